// fromLog reads no further ahead than its subscriber handles, on any
// backend: a slow subscriber of a fast publisher stays in bounded memory.
import { expect } from 'chai';
import { setImmediate as tick } from 'node:timers/promises';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { concatMap, lastValueFrom, take, type Observable } from 'rxjs';
import { fromLog } from '../../src/streams/index.js';
import type { BlockingLog, ConsumeResult, Message } from '../../src/storage/types.js';
import { override } from '../streams/helpers.js';
import type { Backend } from './backends.js';

// Exposing gc at run time keeps the test independent of node's command line.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** The JS heap plus Buffer contents, which live outside it. */
const heapMiB = (): number => {
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return (heapUsed + external) / 2 ** 20;
};

/** The log, counting the messages its reads hand out. */
function counting(log: BlockingLog): { log: BlockingLog; read: () => number } {
  let read = 0;
  const count = async (p: Promise<ConsumeResult>): Promise<ConsumeResult> => {
    const r = await p;
    read += r.messages.length;
    return r;
  };
  return {
    read: () => read,
    log: override(log, {
      consume: (o: number, n: number) => count(log.consume(o, n)),
      consumeBlocking: (o: number, n: number, s?: AbortSignal) => count(log.consumeBlocking(o, n, s)),
    }),
  };
}

export function backpressureContract(backend: Backend): void {
  describe('streams: backpressure', () => {
    let log: BlockingLog;
    beforeEach(async () => {
      log = await backend.fresh({ rollover: 4 * 2 ** 20 });
    });

    it('a subscriber slower than the publisher for 100,000 messages stays within bounded memory', async function () {
      this.timeout(120000);
      const total = 100_000;
      const batchSize = 500;
      const value = Buffer.alloc(512, 'x');
      const spied = counting(log);
      let handled = 0;
      let maxHeld = 0;
      let handledWhenPublished = -1;
      const baseline = heapMiB();
      let peak = baseline;

      const publishing = (async () => {
        for (let i = 0; i < total; i += 1000) {
          await log.publish(Array.from({ length: 1000 }, () => ({ value })));
        }
        handledWhenPublished = handled;
      })();

      const last = await lastValueFrom(
        fromLog(spied.log, {
          batchSize,
          handle: async (m: Message) => {
            handled++;
            maxHeld = Math.max(maxHeld, spied.read() - handled);
            if (m.offset % 10_000 === 0) peak = Math.max(peak, heapMiB());
            if (m.offset % 50 === 0) await tick();
          },
        }).pipe(take(total)),
      );
      await publishing;

      expect(last.offset).to.equal(total - 1);
      // The premise: the publisher really was ahead of the subscriber.
      expect(handledWhenPublished).to.be.below(total / 2);
      // Read but not yet handled: never more than one batch.
      expect(maxHeld).to.be.at.most(batchSize);
      // Holding all 100,000 messages at once takes about 80 MiB. The local log
      // grows by about 5 MiB here, JetStream by 10-14 (the NATS client's own buffers).
      expect(peak - baseline).to.be.below(24);
    });

    it('the measure above does see read-ahead: an async concatMap buffers the whole log', async () => {
      const total = 20_000;
      for (let i = 0; i < total; i += 1000) await log.publish(Array.from({ length: 1000 }, () => ({ value: 'v' })));
      const spied = counting(log);
      let handled = 0;
      let maxHeld = 0;
      const slow = (source: Observable<Message>): Observable<number> =>
        source.pipe(
          concatMap(async (m) => {
            await tick();
            handled++;
            maxHeld = Math.max(maxHeld, spied.read() - handled);
            return m.offset;
          }),
        );
      await lastValueFrom(slow(fromLog(spied.log, { batchSize: 500 })).pipe(take(total)));
      // The test above allows one batch; this reads several ahead (locally over 10,
      // on JetStream, whose reads are slower, 4 to 8).
      expect(maxHeld).to.be.above(2 * 500);
    });
  });
}
