// Port of klevdb's compact_deletes_test.go and compact_updates_test.go, in
// both formats, with and without indexes, plus compact() (compact.go), the
// multi-segment variants, abort, bad input and the memory bound of a scan.
import { expect } from 'chai';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  compact,
  compactDeletes,
  compactDeletesMulti,
  compactDeletesMultiOffsets,
  compactUpdates,
  compactUpdatesMulti,
  compactUpdatesMultiOffsets,
  findDeletes,
  findUpdates,
} from '../../src/storage/compact.js';
import { OffsetOldest } from '../../src/index.js';
import type { Log, Message, Progress, PublishMessage } from '../../src/index.js';
import { expectLogError } from '../helpers/errors.js';
import { consumeAll, expectedView, expectedViews, gen, GEN_BASE_MICROS, view } from '../helpers/messages.js';
import type { MessageView } from '../helpers/messages.js';
import {
  offsetsOf,
  openWith,
  options,
  range,
  sorted,
  twoPerSegment,
  useLogs,
  VARIANTS,
  viewsByOffset,
  wrapLog,
} from './retention-fixtures.js';

const HOUR_MICROS = 3_600_000_000;
// Below any message with its framing, above the V2 header: one message per segment.
const ONE_PER_SEGMENT = 20;

/** What the log holds now, as views. */
const remaining = async (log: Log): Promise<MessageView[]> => (await consumeAll(log)).map(view);
const withValue = (pms: PublishMessage[], value: string | null): PublishMessage[] =>
  pms.map((pm) => ({ ...pm, value }));
const later = (pms: PublishMessage[], micros: number): PublishMessage[] =>
  pms.map((pm) => ({ ...pm, timeMicros: (pm.timeMicros as number) + micros }));

describe('compact', () => {
  const { tempDir, keep } = useLogs();

  for (const v of VARIANTS) {
    describe(v.name, () => {
      const msgs = gen(5);
      const start = async (published: PublishMessage[], rollover?: number): Promise<Log> =>
        keep(await openWith(await tempDir(), options(v, { rollover }), published));

      for (const [name, compaction] of [
        ['compactDeletes', compactDeletes],
        ['compactUpdates', compactUpdates],
      ] as const) {
        it(`${name}: Empty and None (no tombstones, every key once) change nothing`, async () => {
          const empty = await start([]);
          expect(await compaction(empty, new Date())).to.deep.equal({ deleted: [], deletedSize: 0 });
          await empty.close();
          const log = await start(msgs);
          expect((await compaction(log, new Date())).deleted).to.have.length(0);
          expect(await remaining(log)).to.deep.equal(expectedViews(msgs));
        });
      }

      describe('deletes (TestDeletes)', () => {
        it('Dups: tombstones first for their key go, the values after them stay', async () => {
          const tombstones = withValue(msgs, null);
          const log = await start([...tombstones, ...msgs]);
          const res = await compactDeletes(log, new Date());
          expect(viewsByOffset(res.deleted)).to.deep.equal(expectedViews(tombstones));
          expect(res.deletedSize).to.equal(log.size(res.deleted[0]) * 5);
          expect(await remaining(log)).to.deep.equal(expectedViews(msgs, 5));
        });

        it('keeps a tombstone that follows a value of its key, and one after `before`', async () => {
          const [a, b] = gen(2);
          const log = await start([
            a,
            { ...a, value: null },
            { ...b, value: '', timeMicros: GEN_BASE_MICROS + HOUR_MICROS },
          ]);
          expect(await findDeletes(log, new Date(GEN_BASE_MICROS / 1000 + 60_000))).to.deep.equal(new Set());
          // An empty value is a tombstone too: on disk it is the same as none.
          expect(sorted(await findDeletes(log, new Date()))).to.deep.equal([2]);
        });

        it('treats a null key as one key, as Go does', async () => {
          const log = await start([
            { ...msgs[0], key: null, value: null },
            { ...msgs[1], key: null, value: null },
          ]);
          expect(sorted(await findDeletes(log, new Date()))).to.deep.equal([0]);
        });
      });

      describe('updates (TestUpdates)', () => {
        for (const [name, which] of [
          ['First', 0],
          ['Last', 4],
        ] as const) {
          it(`${name}: the replaced message goes, its replacement stays`, async () => {
            const update = { ...msgs[which], value: 'abc' };
            const log = await start([...msgs, update]);
            const res = await compactUpdates(log, new Date());
            expect(viewsByOffset(res.deleted)).to.deep.equal([expectedView(msgs[which], which)]);
            expect(res.deletedSize).to.equal(log.size(res.deleted[0]));
            const left = await remaining(log);
            expect(left.at(-1)).to.deep.equal(expectedView(update, 5));
            expect(left.map((m) => m.offset)).to.deep.equal(range(0, 6).filter((o) => o !== which));
            if (v.keyIndex)
              expect(view(await log.getByKey(msgs[which].key as string))).to.deep.equal(expectedView(update, 5));
          });
        }

        it('Multi: a whole second round of the same keys replaces the first', async () => {
          const log = await start([...msgs, ...msgs]);
          const res = await compactUpdates(log, new Date());
          expect(viewsByOffset(res.deleted)).to.deep.equal(expectedViews(msgs));
          expect(res.deletedSize).to.equal(log.size(res.deleted[0]) * 5);
          expect(await remaining(log)).to.deep.equal(expectedViews(msgs, 5));
        });

        it('Time: only replacements up to `before` count', async () => {
          const newer = later(msgs, HOUR_MICROS);
          const log = await start([...msgs, ...newer]);
          const before = new Date((newer[2].timeMicros as number) / 1000);
          const res = await compactUpdates(log, before);
          expect(offsetsOf(res.deleted)).to.deep.equal([0, 1, 2]);
          expect(res.deletedSize).to.equal(log.size(res.deleted[0]) * 3);
          if (v.keyIndex)
            expect(view(await log.getByKey(msgs[1].key as string))).to.deep.equal(expectedView(newer[1], 6));
        });

        it('NilKey: messages without a key are all one key', async () => {
          const nil = gen(3).map((pm, i) => (i === 0 ? pm : { ...pm, key: null }));
          const log = await start(nil);
          const res = await compactUpdates(log, new Date());
          expect(viewsByOffset(res.deleted)).to.deep.equal([expectedView(nil[1], 1)]);
          expect(res.deletedSize).to.equal(log.size(res.deleted[0]));
        });
      });

      describe('across segments', () => {
        const updated = (): PublishMessage[] => [...msgs, ...withValue(msgs, 'new')];

        it('compactUpdates rewrites one segment per call, compactUpdatesMulti all', async () => {
          const log = await start(updated(), twoPerSegment(v.version));
          expect(offsetsOf((await compactUpdates(log, new Date())).deleted)).to.deep.equal([0, 1]);
          const rest = await compactUpdatesMulti(log, new Date());
          expect(offsetsOf(rest.deleted)).to.deep.equal([2, 3, 4]);
          expect(await remaining(log)).to.deep.equal(expectedViews(withValue(msgs, 'new'), 5));
        });

        it('compactUpdatesMultiOffsets and compactDeletesMultiOffsets return offsets', async () => {
          const log = await start(
            [...withValue(msgs, null), ...msgs, ...withValue(msgs, 'new')],
            twoPerSegment(v.version),
          );
          const updates = await compactUpdatesMultiOffsets(log, new Date());
          expect(sorted(updates.deleted)).to.deep.equal(range(0, 10));
          expect((await log.stat()).messages).to.equal(5);
          const deletes = await compactDeletesMultiOffsets(log, new Date());
          expect(deletes).to.deep.equal({ deleted: new Set(), deletedSize: 0 });
        });

        it('compactDeletesMulti removes first tombstones from every segment', async () => {
          const log = await start([...withValue(msgs, null), ...msgs], ONE_PER_SEGMENT);
          const res = await compactDeletesMulti(log, new Date());
          expect(offsetsOf(res.deleted)).to.deep.equal(range(0, 5));
          expect(await remaining(log)).to.deep.equal(expectedViews(msgs, 5));
        });
      });

      describe('compact()', () => {
        const nowMicros = Date.now() * 1000;
        const at = (key: string, value: string | null, timeMicros: number): PublishMessage => ({
          key,
          value,
          timeMicros,
        });
        const history: PublishMessage[] = [
          at('a', '1', GEN_BASE_MICROS), // replaced by offset 1
          at('a', '2', GEN_BASE_MICROS + 1),
          at('b', '1', GEN_BASE_MICROS + 2), // replaced by the tombstone at 3
          at('b', null, GEN_BASE_MICROS + 3), // then first for b: goes
          at('c', null, GEN_BASE_MICROS + 4), // first for c: goes
          at('d', '1', GEN_BASE_MICROS + 5), // replaced, but only by a recent message
          at('d', '2', nowMicros),
          at('e', null, nowMicros), // a recent tombstone stays
        ];

        it('removes old updates, then old tombstones, then runs gc(0)', async () => {
          const log = await start(history, ONE_PER_SEGMENT);
          const gcs: number[] = [];
          const progress: Progress[] = [];
          const spied = wrapLog(log, { gc: async (ms) => void gcs.push(ms) });
          await compact(spied, 3_600_000, undefined, undefined, { onProgress: (p) => progress.push(p) });
          expect(await remaining(log)).to.deep.equal([1, 5, 6, 7].map((o) => expectedView(history[o], o)));
          expect(gcs).to.deep.equal([0]);
          expect(progress.map((p) => [p.operation, p.done, p.total])).to.deep.equal([
            ['compactUpdatesMultiOffsets', 1, 2],
            ['compactUpdatesMultiOffsets', 2, 2],
            ['compactDeletesMultiOffsets', 1, 2],
            ['compactDeletesMultiOffsets', 2, 2],
          ]);
        });

        it('touches nothing younger than the age, and an age beyond any Date is no error', async () => {
          const log = await start(history);
          await compact(log, Date.now() - GEN_BASE_MICROS / 1000 + 3_600_000);
          await compact(log, 1e300);
          expect(await remaining(log)).to.deep.equal(expectedViews(history));
        });

        it('stops with ERR_ABORTED and deletes nothing when the signal fired', async () => {
          const log = await start(history, ONE_PER_SEGMENT);
          await expectLogError(() => compact(log, 0, undefined, AbortSignal.abort()), 'ERR_ABORTED');
          expect((await log.stat()).messages).to.equal(history.length);
        });
      });
    });
  }

  describe('bad input', () => {
    let log: Log;
    beforeEach(async () => {
      log = keep(await openWith(await tempDir(), {}, gen(3)));
    });

    const finders = {
      findDeletes,
      findUpdates,
      compactDeletes,
      compactUpdates,
      compactDeletesMulti,
      compactUpdatesMulti,
    };
    for (const [name, fn] of Object.entries(finders)) {
      it(`${name} refuses a missing log and a bad before`, async () => {
        await expectLogError(() => fn(null as unknown as Log, new Date()), 'ERR_INVALID_ARGUMENT', /log/);
        for (const before of [undefined, Date.now(), new Date('nope'), '2024-01-01']) {
          await expectLogError(() => fn(log, before as Date), 'ERR_INVALID_ARGUMENT', /before/);
        }
      });
    }

    it('compact refuses bad ageMs, backoff, signal and options', async () => {
      for (const age of [-1, Number.NaN, Number.POSITIVE_INFINITY, '1h', undefined]) {
        await expectLogError(() => compact(log, age as number), 'ERR_INVALID_ARGUMENT', /ageMs/);
      }
      await expectLogError(() => compact(log, 0, 1 as never), 'ERR_INVALID_ARGUMENT', /backoff/);
      await expectLogError(() => compact(log, 0, undefined, 'stop' as never), 'ERR_INVALID_ARGUMENT', /signal/);
      await expectLogError(
        () => compact(log, 0, undefined, undefined, null as never),
        'ERR_INVALID_ARGUMENT',
        /options/,
      );
      await expectLogError(() => compact({ gc: () => 0 } as never, 0), 'ERR_INVALID_ARGUMENT', /log/);
      expect((await log.stat()).messages).to.equal(3);
    });
  });

  describe('memory', () => {
    // A Log of a million generated messages (10,000 keys, 100-byte values)
    // that exist only for the batch that reads them.
    function syntheticLog(count: number, keys: number): Log {
      const value = Buffer.alloc(100, 0x61);
      const fail = (): never => {
        throw new Error('not used by findUpdates');
      };
      const consume = async (offset: number, max: number): Promise<{ nextOffset: number; messages: Message[] }> => {
        const from = offset === OffsetOldest ? 0 : offset;
        const to = Math.min(count, from + max);
        const messages: Message[] = [];
        for (let i = from; i < to; i++) {
          const timeMicros = GEN_BASE_MICROS + i;
          messages.push({
            offset: i,
            time: new Date(timeMicros / 1000),
            timeMicros,
            key: Buffer.from(`key-${i % keys}`),
            value: Buffer.from(value),
          });
        }
        return { nextOffset: to, messages };
      };
      return {
        publish: fail,
        consumeByKey: fail,
        get: fail,
        getByKey: fail,
        offsetByKey: fail,
        getByTime: fail,
        offsetByTime: fail,
        delete: fail,
        size: fail,
        backup: fail,
        sync: fail,
        gc: fail,
        close: fail,
        nextOffset: async () => count,
        stat: async () => ({ segments: 1, messages: count, size: count * 200 }),
        consume,
      };
    }

    it('findUpdates over 1,000,000 messages keeps per-key bookkeeping only', async function () {
      this.timeout(120_000);
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as () => void;
      const used = (): number => {
        gc();
        const m = process.memoryUsage();
        return m.heapUsed + m.arrayBuffers;
      };
      const count = 1_000_000;
      const keys = 10_000;
      const before = used();
      const found = await findUpdates(syntheticLog(count, keys), new Date());
      const retained = used() - before;
      expect(found.size).to.equal(count - keys);
      expect(found.has(0)).to.equal(true);
      expect(found.has(count - 1)).to.equal(false);
      // Holding the messages would take hundreds of MB; the result set alone is tens.
      expect(retained, `retained ${Math.round(retained / 2 ** 20)} MiB`).to.be.lessThan(100 * 2 ** 20);
    });
  });
});
