// Port of klevdb's trim_age_test.go, trim_count_test.go, trim_offset_test.go
// and trim_size_test.go, in both formats, with and without indexes, in one
// segment (as Go) and across many (where X trims one segment and XMulti all).
import { expect } from 'chai';
import {
  findByAge,
  findByCount,
  findByOffset,
  findBySize,
  trimByAge,
  trimByAgeMulti,
  trimByAgeMultiOffsets,
  trimByCount,
  trimByCountMulti,
  trimByCountMultiOffsets,
  trimByOffset,
  trimByOffsetMulti,
  trimByOffsetMultiOffsets,
  trimBySize,
  trimBySizeMulti,
  trimBySizeMultiOffsets,
} from '../../src/storage/trim.js';
import { OffsetNewest, OffsetOldest } from '../../src/index.js';
import type { DeleteMultiBackoff } from '../../src/storage/delete-multi.js';
import type { DeleteOffsetsResult, DeleteResult, Log } from '../../src/index.js';
import { open } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { consumeAll, expectedViews, GEN_BASE_MICROS, gen, V2_HEADER } from '../helpers/messages.js';
import {
  offsetsOf,
  openSegmented,
  openWith,
  options,
  range,
  sorted,
  twoPerSegment,
  VARIANTS,
  viewsByOffset,
  wrapLog,
  useLogs,
} from './retention-fixtures.js';

/** The time of gen()[i], as a Date. */
const genTime = (i: number): Date => new Date(GEN_BASE_MICROS / 1000 + i * 1000);

type Arg = Date | number;
interface Rule {
  name: string;
  find(log: Log, arg: Arg, opts?: { signal?: AbortSignal }): Promise<Set<number>>;
  one(log: Log, arg: Arg): Promise<DeleteResult>;
  multi(log: Log, arg: Arg, backoff?: DeleteMultiBackoff, signal?: AbortSignal): Promise<DeleteResult>;
  multiOffsets(log: Log, arg: Arg, backoff?: DeleteMultiBackoff, signal?: AbortSignal): Promise<DeleteOffsetsResult>;
  /** The argument that trims the first 10 of 20 gen() messages. */
  half(log: Log): Promise<Arg>;
  /** Arguments that are not what the rule takes. */
  bad: unknown[];
}

const sizeOfOne = async (log: Log): Promise<number> => log.size((await consumeAll(log))[0]);

// Erases each rule's argument type so one table drives every test.
const RULES = [
  {
    name: 'age',
    find: findByAge,
    one: trimByAge,
    multi: trimByAgeMulti,
    multiOffsets: trimByAgeMultiOffsets,
    half: async () => new Date(genTime(10).getTime() - 1),
    bad: ['2023-01-01', 0, new Date(Number.NaN), null],
  },
  {
    name: 'count',
    find: findByCount,
    one: trimByCount,
    multi: trimByCountMulti,
    multiOffsets: trimByCountMultiOffsets,
    half: async () => 10,
    bad: [-1, 1.5, '10', Number.NaN, 2 ** 53],
  },
  {
    name: 'offset',
    find: findByOffset,
    one: trimByOffset,
    multi: trimByOffsetMulti,
    multiOffsets: trimByOffsetMultiOffsets,
    half: async () => 10,
    bad: [-3, 1.5, '10', null],
  },
  {
    name: 'size',
    find: findBySize,
    one: trimBySize,
    multi: trimBySizeMulti,
    multiOffsets: trimBySizeMultiOffsets,
    // As Go: trim until the log is smaller than 11 messages.
    half: async (log: Log) => (await sizeOfOne(log)) * 11,
    bad: [-1, 0.5, '100', undefined],
  },
] as unknown as Rule[];

describe('trim', () => {
  const { tempDir, keep } = useLogs();

  for (const v of VARIANTS) {
    describe(v.name, () => {
      for (const rule of RULES) {
        describe(`by ${rule.name}`, () => {
          it('trims the first half of one segment (Go: Partial / Half)', async () => {
            const log = keep(await openWith(await tempDir(), options(v), gen(20)));
            const size = await sizeOfOne(log);
            const arg = await rule.half(log);
            expect(sorted(await rule.find(log, arg))).to.deep.equal(range(0, 10));
            const res = await rule.one(log, arg);
            expect(viewsByOffset(res.deleted)).to.deep.equal(expectedViews(gen(10)));
            expect(res.deletedSize).to.equal(size * 10);
            expect((await log.stat()).messages).to.equal(10);
            expect((await log.get(OffsetOldest)).offset).to.equal(10);
          });

          it('trims one segment per X call and all of them with XMulti', async () => {
            const log = keep(await openSegmented(await tempDir(), v, 20));
            const arg = await rule.half(log);
            expect(offsetsOf((await rule.one(log, arg)).deleted)).to.deep.equal([0, 1]);
            const rest = await rule.multi(log, await rule.half(log));
            expect(offsetsOf(rest.deleted)).to.deep.equal(range(2, 10));
            expect(offsetsOf(await consumeAll(log))).to.deep.equal(range(10, 20));
            expect((await log.stat()).segments).to.equal(5);
          });

          it('XMultiOffsets returns the offsets it trimmed from every segment', async () => {
            const log = keep(await openSegmented(await tempDir(), v, 20));
            const size = await sizeOfOne(log);
            const res = await rule.multiOffsets(log, await rule.half(log));
            expect(res.deleted).to.be.instanceOf(Set);
            expect(sorted(res.deleted)).to.deep.equal(range(0, 10));
            expect(res.deletedSize).to.equal(size * 10);
            expect((await log.stat()).messages).to.equal(10);
          });

          it('finds nothing on an empty log', async () => {
            const log = keep(await open(await tempDir(), options(v)));
            if (rule.name === 'age' && v.timeIndex) {
              // Go's FindByAge fails here too: OffsetByTime on an empty time index is ErrInvalidOffset.
              await expectLogError(() => rule.find(log, genTime(1)), 'ERR_INVALID_OFFSET');
            } else {
              expect((await rule.find(log, rule.name === 'age' ? genTime(1) : 0)).size).to.equal(0);
            }
          });

          it('stops with ERR_ABORTED, deleting nothing, when the signal fires', async () => {
            const log = keep(await openSegmented(await tempDir(), v, 20));
            const arg = await rule.half(log);
            await expectLogError(() => rule.find(log, arg, { signal: AbortSignal.abort() }), 'ERR_ABORTED');
            await expectLogError(() => rule.multi(log, arg, undefined, AbortSignal.abort()), 'ERR_ABORTED');
            await expectLogError(() => rule.multiOffsets(log, arg, undefined, AbortSignal.abort()), 'ERR_ABORTED');
            // Fired during the scan, after the first batch.
            const ac = new AbortController();
            const aborting = wrapLog(log, {
              consume: async (offset, max) => {
                const res = await log.consume(offset, max);
                ac.abort();
                return res;
              },
            });
            await expectLogError(() => rule.multi(aborting, arg, undefined, ac.signal), 'ERR_ABORTED');
            expect((await log.stat()).messages).to.equal(20);
          });
        });
      }

      it('age: trims everything before a time after the last message (Go: All)', async () => {
        const log = keep(await openWith(await tempDir(), options(v), gen(20)));
        const res = await trimByAge(log, genTime(20));
        expect(viewsByOffset(res.deleted)).to.deep.equal(expectedViews(gen(20)));
        expect(res.deletedSize).to.equal(log.size(res.deleted[0]) * 20);
        const { nextOffset, messages } = await log.consume(OffsetOldest, 32);
        expect(nextOffset).to.equal(20);
        expect(messages).to.have.length(0);
      });

      it('age: stops at the first message after `before`, even if older ones follow', async () => {
        const msgs = gen(6);
        msgs[2].timeMicros = GEN_BASE_MICROS + 100 * 1_000_000;
        const log = keep(await openWith(await tempDir(), options(v, { rollover: twoPerSegment(v.version) }), msgs));
        expect(sorted(await findByAge(log, genTime(10)))).to.deep.equal([0, 1]);
      });
    });
  }

  describe('Go cases on one log (TestTrimByCount, TestByOffset, TestByOffsetRelative, TestTrimBySize)', () => {
    let log: Log;
    let size: number;
    beforeEach(async () => {
      log = keep(await openWith(await tempDir(), {}, gen(20)));
      size = await sizeOfOne(log);
    });

    const expectRemaining = async (first: number, count: number): Promise<void> => {
      expect((await log.stat()).messages).to.equal(count);
      if (count > 0) expect((await log.get(OffsetOldest)).offset).to.equal(first);
      else await expectLogError(() => log.get(OffsetOldest), 'ERR_INVALID_OFFSET');
    };

    it('count: None, then Half, then 0 trims all', async () => {
      expect(await trimByCount(log, 21)).to.deep.equal({ deleted: [], deletedSize: 0 });
      expect(await trimByCount(log, 20)).to.deep.equal({ deleted: [], deletedSize: 0 });
      await expectRemaining(0, 20);
      expect((await trimByCount(log, 10)).deletedSize).to.equal(size * 10);
      await expectRemaining(10, 10);
      expect(offsetsOf((await trimByCount(log, 0)).deleted)).to.deep.equal(range(10, 20));
      await expectRemaining(0, 0);
    });

    it('offset: None, Half, then All', async () => {
      expect((await trimByOffset(log, 0)).deleted).to.have.length(0);
      await expectRemaining(0, 20);
      const half = await trimByOffset(log, 10);
      expect(half.deleted).to.have.length(10);
      expect(half.deletedSize).to.equal(size * 10);
      await expectRemaining(10, 10);
      const all = await trimByOffset(log, 100);
      expect(offsetsOf(all.deleted)).to.deep.equal(range(10, 20));
      await expectRemaining(0, 0);
    });

    it('offset: OffsetOldest trims nothing, OffsetNewest everything', async () => {
      expect((await trimByOffset(log, OffsetOldest)).deleted).to.have.length(0);
      await expectRemaining(0, 20);
      const all = await trimByOffset(log, OffsetNewest);
      expect(all.deleted).to.have.length(20);
      expect(all.deletedSize).to.equal(size * 20);
      await expectRemaining(0, 0);
    });

    it('size: counts headers as Go, None then Half', async () => {
      const headers = 2 * V2_HEADER; // the default V2 log and index headers
      expect((await log.stat()).size).to.equal(size * 20 + headers);
      expect((await trimBySize(log, size * 21)).deleted).to.have.length(0);
      const half = await trimBySize(log, size * 11);
      expect(half.deleted).to.have.length(10);
      expect((await log.stat()).size).to.equal(size * 10 + headers);
      // Already below: strictly less than the target stays.
      expect(await findBySize(log, size * 10 + headers + 1)).to.deep.equal(new Set());
      expect(sorted(await findBySize(log, size * 10 + headers))).to.deep.equal([10]);
    });
  });

  describe('readonly', () => {
    it('finds on a readonly log, and trimming there is ERR_READONLY', async () => {
      const dir = await tempDir();
      await (await openWith(dir, {}, gen(4))).close();
      const log = keep(await open(dir, { readonly: true }));
      expect(sorted(await findByCount(log, 2))).to.deep.equal([0, 1]);
      await expectLogError(() => trimByCount(log, 2), 'ERR_READONLY');
      await expectLogError(() => trimByCountMulti(log, 2), 'ERR_READONLY');
    });
  });

  describe('bad input', () => {
    let log: Log;
    beforeEach(async () => {
      log = keep(await openWith(await tempDir(), {}, gen(4)));
    });

    for (const rule of RULES) {
      for (const arg of rule.bad) {
        it(`by ${rule.name}: refuses ${String(arg)} with ERR_INVALID_ARGUMENT`, async () => {
          for (const call of [rule.find, rule.one, rule.multi, rule.multiOffsets]) {
            await expectLogError(
              () => call(log, arg as Arg),
              'ERR_INVALID_ARGUMENT',
              rule.name === 'count' ? /max/ : rule.name === 'size' ? /size/ : /before/,
            );
          }
          expect((await log.stat()).messages).to.equal(4);
        });
      }
      it(`by ${rule.name}: refuses a missing log, a bad backoff, signal or options`, async () => {
        const arg = await rule.half(log);
        await expectLogError(() => rule.find(undefined as unknown as Log, arg), 'ERR_INVALID_ARGUMENT', /log/);
        await expectLogError(() => rule.one({} as Log, arg), 'ERR_INVALID_ARGUMENT', /log/);
        await expectLogError(() => rule.find(log, arg, 'x' as never), 'ERR_INVALID_ARGUMENT', /options/);
        await expectLogError(() => rule.find(log, arg, { signal: 1 as never }), 'ERR_INVALID_ARGUMENT', /signal/);
        const multi = rule.multi as unknown as (...a: unknown[]) => Promise<unknown>;
        await expectLogError(() => multi(log, arg, 'slow'), 'ERR_INVALID_ARGUMENT', /backoff/);
        await expectLogError(() => multi(log, arg, undefined, new AbortController()), 'ERR_INVALID_ARGUMENT', /signal/);
        await expectLogError(
          () => multi(log, arg, undefined, undefined, { onProgress: 'x' }),
          'ERR_INVALID_ARGUMENT',
          /onProgress/,
        );
        expect((await log.stat()).messages).to.equal(4);
      });
    }
  });
});
