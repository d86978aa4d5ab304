/**
 * klevdb itself, through its public API only, with both indexes and the
 * workload's 1 MiB rollover. Its methods are returned, not wrapped in another
 * async function, so it pays one promise per call like every other peer.
 */
import { open } from '../../src/index.js';
import type { ConsumeResult, Log, Message } from '../../src/storage/types.js';
import type { BenchMessage } from '../workload.js';
import { ROLLOVER_BYTES } from '../workload.js';
import type { Peer, Store } from './peer.js';

class KlevdbStore implements Store {
  constructor(private readonly log: Log) {}

  publish(messages: BenchMessage[]): Promise<number> {
    return this.log.publish(messages);
  }

  consume(offset: number, maxCount: number): Promise<ConsumeResult> {
    return this.log.consume(offset, maxCount);
  }

  get(offset: number): Promise<Message> {
    return this.log.get(offset);
  }

  getByKey(key: string): Promise<Message> {
    return this.log.getByKey(key);
  }

  getByTime(start: Date): Promise<Message> {
    return this.log.getByTime(start);
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

export const peer: Peer = {
  name: 'klevdb',
  setup: `klevdb (this package): V2 segments, keyIndex + timeIndex, rollover ${ROLLOVER_BYTES} bytes, autoSync only where stated`,
  open: async (dir, options) =>
    new KlevdbStore(
      await open(dir, {
        createDirs: true,
        keyIndex: true,
        timeIndex: true,
        rollover: ROLLOVER_BYTES,
        autoSync: options.autoSync,
      }),
    ),
};
