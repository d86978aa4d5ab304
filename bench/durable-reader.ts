/**
 * The durable-subscription reader of the streams bench (issue 19): reads the
 * catch-up slices through openSubscription's run() with a commit per batch,
 * beside the plain consume loop of the same batch size. Slices come in order
 * within a round, so one subscription per round reads them one after
 * another, each run() stopped once its slice is read; a round starts again
 * at offset 0 with reset: true.
 */
import path from 'node:path';
import type { BlockingLog } from '../src/index.js';
import { openSubscription, type DurableSubscription } from '../src/streams/index.js';

export interface DurableReader {
  id: string;
  label: string;
  read: (log: BlockingLog, offset: number, count: number) => Promise<number>;
  close(): Promise<void>;
}

export function durableReader(dataDir: string, batchSize: number): DurableReader {
  let sub: DurableSubscription | undefined;
  let log: BlockingLog | undefined;
  return {
    id: `durable-${batchSize}`,
    label: `durable subscription run(), commit per batch of ${batchSize}`,
    read: async (source, offset, count) => {
      if (sub === undefined || offset === 0 || source !== log) {
        await sub?.close();
        log = source;
        sub = await openSubscription(source, {
          name: `bench-${batchSize}`,
          offsets: path.join(dataDir, 'offsets'),
          batchSize,
          start: { offset },
          reset: true,
        });
      }
      const current = sub;
      let seen = 0;
      await current.run(async (batch) => {
        seen += batch.messages.length;
        if (seen >= count) current.stop();
      });
      return seen;
    },
    close: async () => {
      await sub?.close();
      sub = undefined;
    },
  };
}
