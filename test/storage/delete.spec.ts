// Log.delete (klevdb log.go delete, log_writer.go Delete, Segment.Rewrite):
// port of log_test.go TestDelete, the delete cases of TestVersionOptions and
// TestConcurrent, in both formats, with and without indexes; plus the file
// layout a delete leaves, lookups after deletes, and a followWriter reader
// beside the writer that deletes.
import { expect } from 'chai';
import path from 'node:path';
import { OffsetNewest, OffsetOldest, V1, V2 } from '../../src/index.js';
import type { Log, Message, Options, PublishMessage, Version } from '../../src/index.js';
import { check } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { fileSize, fingerprintDir, segmentFile, useTempDirs } from '../helpers/fs.js';
import {
  consumeAll,
  expectedView,
  gen,
  GEN_BASE_MICROS,
  GEN_V1_SIZE,
  GEN_V2_SIZE,
  indexItemSize,
  publishBatched,
  V1_RECORD_OVERHEAD,
  V2_HEADER,
  V2_RECORD_OVERHEAD,
  view,
  views,
} from '../helpers/messages.js';
import type { MessageView } from '../helpers/messages.js';
import { useOpenLogs } from '../helpers/open-logs.js';
import { leftoverFiles, logVersions, segmentOffsets, segmentVersions } from '../helpers/segments.js';
import { options, range, VARIANTS } from './retention-fixtures.js';
import type { Variant } from './retention-fixtures.js';

/** The view of gen()'s message number `i`, stored at `offset` (default: i). */
const genView = (i: number, offset = i): MessageView => expectedView(gen(1, i)[0], offset);
const genViews = (indexes: number[]): MessageView[] => indexes.map((i) => genView(i));
const genKey = (i: number): string => gen(1, i)[0].key as string;
const genDate = (i: number): Date => new Date(GEN_BASE_MICROS / 1000 + i * 1000);
const offsetsOfMessages = (ms: Message[]): number[] => ms.map((m) => m.offset);

describe('Log.delete', function () {
  const { openLog, closeLog } = useOpenLogs();
  const tempDir = useTempDirs('klevdb-delete-');

  for (const v of VARIANTS) {
    describe(v.name, function () {
      const recordSize = v.version === V1 ? GEN_V1_SIZE : GEN_V2_SIZE;
      /** log.size of a gen() message: record plus index item. */
      const cost = recordSize + indexItemSize(v);
      /** Rollover that puts `n` gen() messages in each segment (0: one big segment). */
      const perSegment = (n: number): number => (n > 0 ? n * recordSize - 1 : 0);
      const optsFor = (n: number, extra: Options = {}): Options => options(v, { rollover: perSegment(n), ...extra });

      async function start(
        count: number,
        n: number,
        extra: Options = {},
      ): Promise<{ dir: string; log: Log; o: Options }> {
        const dir = await tempDir();
        const o = optsFor(n, extra);
        const log = await openLog(dir, o);
        await publishBatched(log, gen(count), 1);
        return { dir, log, o };
      }

      /** The whole log is exactly gen()'s messages at `offsets`, and stat agrees. */
      async function expectHolds(log: Log, offsets: number[], segments?: number): Promise<void> {
        expect(views(await consumeAll(log, 3))).to.deep.equal(genViews(offsets));
        const st = await log.stat();
        expect(st.messages, 'stat messages').to.equal(offsets.length);
        if (segments !== undefined) expect(st.segments, 'stat segments').to.equal(segments);
      }

      /**
       * Deletes `offsets`, expecting exactly gen()'s `deleted` back, and stat's size to drop by
       * deletedSize (plus the file headers of a segment that went, minus those of a new head).
       */
      async function deleteExpecting(log: Log, offsets: Iterable<number>, deleted: number[]): Promise<void> {
        const before = await log.stat();
        const res = await log.delete(offsets);
        expect(views(res.deleted), 'deleted messages').to.deep.equal(genViews(deleted));
        expect(res.deletedSize, 'deletedSize').to.equal(deleted.length * cost);
        for (const m of res.deleted) expect(log.size(m), `log.size of deleted ${m.offset}`).to.equal(cost);
        const after = await log.stat();
        const headers = (after.segments - before.segments) * (v.version === V2 ? 2 * V2_HEADER : 0);
        expect(after.size, 'stat size').to.equal(before.size - res.deletedSize + headers);
        expect(after.messages, 'stat messages').to.equal(before.messages - deleted.length);
      }

      describe('TestDelete', function () {
        it('ReaderPartial: the first message of a sealed segment goes, the segment is renamed to the next offset', async function () {
          const { dir, log } = await start(4, 2);
          expect(await segmentOffsets(dir)).to.deep.equal([0, 2]);
          await deleteExpecting(log, [0], [0]);
          await expectHolds(log, [1, 2, 3], 2);
          expect(await segmentOffsets(dir)).to.deep.equal([1, 2]);
          const first = await log.consume(OffsetOldest, 32);
          expect(first.nextOffset).to.equal(2);
          expect(views(first.messages)).to.deep.equal(genViews([1]));
          await expectLogError(() => log.get(0), 'ERR_NOT_FOUND');
          if (v.keyIndex) await expectLogError(() => log.getByKey(genKey(0)), 'ERR_NOT_FOUND');
          expect(await leftoverFiles(dir)).to.deep.equal([]);
        });

        it('ReaderPartialReload: the same after a reopen (indexes loaded from disk)', async function () {
          const { dir, log, o } = await start(4, 2);
          await closeLog(log);
          const again = await openLog(dir, o);
          expect(await again.stat()).to.include({ messages: 4, segments: 2 });
          await deleteExpecting(again, [0], [0]);
          await expectHolds(again, [1, 2, 3], 2);
          expect((await again.consume(OffsetOldest, 32)).nextOffset).to.equal(2);
          await expectLogError(() => again.get(0), 'ERR_NOT_FOUND');
          if (v.keyIndex) await expectLogError(() => again.getByKey(genKey(0)), 'ERR_NOT_FOUND');
        });

        it('ReaderFull: a sealed segment that loses every message disappears', async function () {
          const { dir, log } = await start(4, 2);
          await deleteExpecting(log, [0, 1], [0, 1]);
          await expectHolds(log, [2, 3], 1);
          expect(await segmentOffsets(dir)).to.deep.equal([2]);
          expect(await log.consume(OffsetOldest, 32)).to.have.property('nextOffset', 4);
          for (const o of [0, 1]) await expectLogError(() => log.get(o), 'ERR_NOT_FOUND');
          expect(views((await log.consume(0, 32)).messages)).to.deep.equal(genViews([2, 3]));
        });

        it('WriterSingle: the first messages of the head go, the head is renamed and keeps growing', async function () {
          const { dir, log, o } = await start(4, 4);
          expect(await segmentOffsets(dir)).to.deep.equal([0]);
          await deleteExpecting(log, new Set([0, 1]), [0, 1]);
          await expectHolds(log, [2, 3], 1);
          expect(await segmentOffsets(dir)).to.deep.equal([2]);
          for (const from of [OffsetOldest, 1]) {
            const r = await log.consume(from, 32);
            expect(r.nextOffset).to.equal(4);
            expect(views(r.messages)).to.deep.equal(genViews([2, 3]));
          }
          expect(await log.publish(gen(1, 4))).to.equal(5);
          expect(await segmentOffsets(dir)).to.deep.equal([2]);
          await closeLog(log);
          await check(dir, o);
          const again = await openLog(dir, o);
          expect(await again.nextOffset()).to.equal(5);
          await expectHolds(again, [2, 3, 4], 1);
        });

        it('WriterLast: deleting the newest message keeps the next offset, which is never handed out again', async function () {
          const { dir, log, o } = await start(4, 0);
          await deleteExpecting(log, [3], [3]);
          expect(await log.stat()).to.include({ messages: 3, segments: 2 });
          // The rewritten head is sealed and an empty head starts at the old next offset.
          expect(await segmentOffsets(dir)).to.deep.equal([0, 4]);
          expect(await log.nextOffset()).to.equal(4);
          await expectLogError(() => log.get(3), 'ERR_NOT_FOUND');
          expect(await log.consume(3, 32)).to.deep.equal({ nextOffset: 4, messages: [] });
          await closeLog(log);
          await check(dir, o);

          const again = await openLog(dir, o);
          expect(await again.nextOffset()).to.equal(4);
          await expectLogError(() => again.get(3), 'ERR_NOT_FOUND');
          expect(await again.publish(gen(1, 4))).to.equal(5);
          expect(view(await again.get(4))).to.deep.equal(genView(4));
          await expectLogError(() => again.get(3), 'ERR_NOT_FOUND');
          await expectHolds(again, [0, 1, 2, 4], 2);
        });

        it('WriterPartial: the first message of the head goes, the head is renamed, the next offset stays', async function () {
          const { dir, log } = await start(4, 2);
          await deleteExpecting(log, [2], [2]);
          await expectHolds(log, [0, 1, 3], 2);
          expect(await segmentOffsets(dir)).to.deep.equal([0, 3]);
          const a = await log.consume(OffsetOldest, 32);
          expect(a.nextOffset).to.equal(2);
          expect(views(a.messages)).to.deep.equal(genViews([0, 1]));
          const b = await log.consume(2, 32);
          expect(b.nextOffset).to.equal(4);
          expect(views(b.messages)).to.deep.equal(genViews([3]));
          await expectLogError(() => log.get(2), 'ERR_NOT_FOUND');
          expect(await log.nextOffset()).to.equal(4);
          expect(await log.publish(gen(1, 4))).to.equal(5);
          await expectHolds(log, [0, 1, 3, 4], 2);
        });

        it('WriterFull: a head that loses every message is replaced by an empty head at the next offset', async function () {
          const { dir, log } = await start(4, 2);
          await deleteExpecting(log, [2, 3], [2, 3]);
          await expectHolds(log, [0, 1], 2);
          expect(await segmentOffsets(dir)).to.deep.equal([0, 4]);
          const a = await log.consume(OffsetOldest, 32);
          expect(a.nextOffset).to.equal(2);
          expect(views(a.messages)).to.deep.equal(genViews([0, 1]));
          expect(await log.consume(2, 32)).to.deep.equal({ nextOffset: 4, messages: [] });
          expect(await log.publish(gen(2, 2))).to.equal(6);
          const b = await log.consume(2, 32);
          expect(b.nextOffset).to.equal(6);
          expect(views(b.messages)).to.deep.equal([genView(2, 4), genView(3, 5)]);
        });

        it('All: deleting the head then the sealed segment leaves one empty head; offsets go on', async function () {
          const { dir, log } = await start(4, 2);
          await deleteExpecting(log, [2, 3], [2, 3]);
          await deleteExpecting(log, [0, 1], [0, 1]);
          expect(await log.stat()).to.include({ messages: 0, segments: 1 });
          expect(await segmentOffsets(dir)).to.deep.equal([4]);
          expect(await log.consume(OffsetOldest, 32)).to.deep.equal({ nextOffset: 4, messages: [] });
          expect(await log.consume(1, 32)).to.deep.equal({ nextOffset: 4, messages: [] });
          for (const o of [0, 3]) await expectLogError(() => log.get(o), 'ERR_NOT_FOUND');
          expect(await log.publish(gen(1))).to.equal(5);
          expect(view(await log.get(4))).to.deep.equal(genView(0, 4));
        });
      });

      it('a middle segment: a middle message keeps the name, the first renames it, the last removes it', async function () {
        const { dir, log, o } = await start(9, 3);
        expect(await segmentOffsets(dir)).to.deep.equal([0, 3, 6]);
        await deleteExpecting(log, [4], [4]);
        expect(await segmentOffsets(dir)).to.deep.equal([0, 3, 6]);
        expect(await fileSize(path.join(dir, segmentFile(3, 'log')))).to.equal(
          (v.version === V2 ? 8 : 0) + 2 * recordSize,
        );
        await expectLogError(() => log.get(4), 'ERR_NOT_FOUND');
        expect(views((await log.consume(3, 32)).messages)).to.deep.equal(genViews([3, 5]));
        const from4 = await log.consume(4, 32);
        expect(from4.nextOffset).to.equal(6);
        expect(views(from4.messages)).to.deep.equal(genViews([5]));

        await deleteExpecting(log, [3], [3]);
        expect(await segmentOffsets(dir)).to.deep.equal([0, 5, 6]);
        await expectLogError(() => log.get(3), 'ERR_NOT_FOUND');
        const head0 = await log.consume(0, 32);
        expect(head0.nextOffset).to.equal(3);
        const from3 = await log.consume(head0.nextOffset, 32);
        expect(from3.nextOffset).to.equal(6);
        expect(views(from3.messages)).to.deep.equal(genViews([5]));

        await deleteExpecting(log, [5], [5]);
        expect(await segmentOffsets(dir)).to.deep.equal([0, 6]);
        await expectHolds(log, [0, 1, 2, 6, 7, 8], 2);
        const skip = await log.consume(3, 32);
        expect(views(skip.messages), 'a consume in the gap goes on in the next segment').to.deep.equal(
          genViews([6, 7, 8]),
        );
        expect(await leftoverFiles(dir)).to.deep.equal([]);
        await closeLog(log);
        await check(dir, o);
      });

      it('a message in the middle of the head: the head keeps its name and keeps growing', async function () {
        const { dir, log, o } = await start(5, 0);
        await deleteExpecting(log, [2], [2]);
        expect(await segmentOffsets(dir)).to.deep.equal([0]);
        expect(await log.nextOffset()).to.equal(5);
        await publishBatched(log, gen(2, 5), 1);
        await expectHolds(log, [0, 1, 3, 4, 5, 6], 1);
        await expectLogError(() => log.get(2), 'ERR_NOT_FOUND');
        await closeLog(log);
        await check(dir, o);
        const again = await openLog(dir, o);
        await expectHolds(again, [0, 1, 3, 4, 5, 6], 1);
      });

      it('the first and the newest message of the head at once: renamed, sealed, and an empty head at the next offset', async function () {
        const { dir, log, o } = await start(5, 0);
        await deleteExpecting(log, [4, 0], [0, 4]);
        expect(await segmentOffsets(dir)).to.deep.equal([1, 5]);
        expect(await log.nextOffset()).to.equal(5);
        await expectHolds(log, [1, 2, 3], 2);
        expect(await log.publish(gen(1, 5))).to.equal(6);
        await closeLog(log);
        await check(dir, o);
        const again = await openLog(dir, o);
        await expectHolds(again, [1, 2, 3, 5], 2);
        await expectLogError(() => again.get(4), 'ERR_NOT_FOUND');
      });

      it('rewrites only the segment that holds the lowest offset asked for (one segment per call)', async function () {
        const { log } = await start(6, 2);
        await deleteExpecting(log, [5, 1, 2], [1]);
        await deleteExpecting(log, [2, 5], [2]);
        await deleteExpecting(log, [5], [5]);
        await expectHolds(log, [0, 3, 4]);
      });

      it('offsets the log does not hold delete nothing and change no file', async function () {
        const { dir, log } = await start(6, 2);
        await deleteExpecting(log, [0, 1], [0, 1]);
        await deleteExpecting(log, [3], [3]);
        await log.sync();
        const files = await fingerprintDir(dir);
        const none = { deleted: [], deletedSize: 0 };
        const absent: Iterable<number>[] = [[], new Set<number>(), [6], [1_000_000], [3], [3, 3], new Set([3, 6])];
        for (const offsets of absent)
          expect(await log.delete(offsets), JSON.stringify([...offsets])).to.deep.equal(none);
        // Before the first segment (0 and 1 went with theirs): klevdb's segment.Get says
        // "offset before start", an ErrNotFound, and nothing is deleted.
        await expectLogError(() => log.delete([0]), 'ERR_NOT_FOUND');
        await expectLogError(() => log.delete([1, 4]), 'ERR_NOT_FOUND');
        expect(await fingerprintDir(dir)).to.deep.equal(files);
        expect(await leftoverFiles(dir)).to.deep.equal([]);
        await expectHolds(log, [2, 4, 5]);
      });

      it('relative offsets are ERR_INVALID_OFFSET and delete nothing', async function () {
        const { dir, log } = await start(4, 2);
        await log.sync();
        const files = await fingerprintDir(dir);
        await expectLogError(() => log.delete([OffsetOldest]), 'ERR_INVALID_OFFSET');
        await expectLogError(() => log.delete([OffsetNewest]), 'ERR_INVALID_OFFSET');
        await expectLogError(() => log.delete([2, OffsetNewest, 0]), 'ERR_INVALID_OFFSET');
        expect(await fingerprintDir(dir)).to.deep.equal(files);
        await expectHolds(log, [0, 1, 2, 3], 2);
      });

      it('a readonly log (plain or following) refuses with ERR_READONLY, even for no offsets', async function () {
        const { dir, log, o } = await start(4, 2);
        await closeLog(log);
        const files = await fingerprintDir(dir);
        const ro = await openLog(dir, { ...o, readonly: true });
        for (const offsets of [[0], [], [OffsetOldest]]) await expectLogError(() => ro.delete(offsets), 'ERR_READONLY');
        await closeLog(ro);
        const follower = await openLog(dir, { ...o, readonly: true, followWriter: true });
        await expectLogError(() => follower.delete([1]), 'ERR_READONLY');
        await closeLog(follower);
        expect(await fingerprintDir(dir)).to.deep.equal(files);
      });

      it('after a series of deletes, a reopened log reads the same and check passes', async function () {
        const { dir, log, o } = await start(12, 3);
        await deleteExpecting(log, [1], [1]);
        await deleteExpecting(log, [3, 4, 5], [3, 4, 5]);
        await deleteExpecting(log, [6], [6]);
        await deleteExpecting(log, [11], [11]);
        await deleteExpecting(log, [9], [9]);
        const left = [0, 2, 7, 8, 10];
        await expectHolds(log, left);
        const stat = await log.stat();
        expect(await segmentOffsets(dir)).to.deep.equal([0, 7, 10, 12]);
        await closeLog(log);
        await check(dir, o);
        for (const ro of [true, false]) {
          const again = await openLog(dir, { ...o, readonly: ro, check: true });
          expect(await again.nextOffset()).to.equal(12);
          expect(await again.stat()).to.deep.equal(stat);
          await expectHolds(again, left);
          for (const gone of [1, 3, 4, 5, 6, 9, 11]) await expectLogError(() => again.get(gone), 'ERR_NOT_FOUND');
          for (const kept of left) expect(view(await again.get(kept))).to.deep.equal(genView(kept));
          await closeLog(again);
        }
      });

      if (v.keyIndex) {
        it('lookups by key and by time skip deleted messages (an older message of the key comes back)', async function () {
          const dir = await tempDir();
          const o = optsFor(2);
          const log = await openLog(dir, o);
          const msgs = gen(6);
          // offsets 6 and 7 repeat the keys of 0 and 3
          const again: PublishMessage[] = [
            { ...msgs[0], timeMicros: GEN_BASE_MICROS + 6_000_000 },
            { ...msgs[3], timeMicros: GEN_BASE_MICROS + 7_000_000 },
          ];
          await publishBatched(log, [...msgs, ...again], 1);
          expect((await log.getByKey(genKey(0))).offset).to.equal(6);

          await log.delete([6]);
          expect(view(await log.getByKey(genKey(0)))).to.deep.equal(genView(0));
          await log.delete([0]);
          await expectLogError(() => log.getByKey(genKey(0)), 'ERR_NOT_FOUND');
          expect(views((await log.consumeByKey(genKey(0), OffsetOldest, 10)).messages)).to.deep.equal([]);

          await log.delete([3]);
          const byKey = await log.consumeByKey(genKey(3), OffsetOldest, 10);
          expect(offsetsOfMessages(byKey.messages)).to.deep.equal([7]);
          expect((await log.getByKey(genKey(3))).offset).to.equal(7);

          // segments [1] [2] [4,5] [7] (6 went with its head half; 3 renamed [2,3] to [2])
          expect(await segmentOffsets(dir)).to.deep.equal([1, 2, 4, 7]);
          await log.delete([2]);
          // getByTime: the first message at or after the time, across the gaps
          expect((await log.getByTime(genDate(0))).offset, 'before every message: the first').to.equal(1);
          expect((await log.getByTime(genDate(1))).offset).to.equal(1);
          expect((await log.getByTime(genDate(2))).offset, 'a deleted time: the next one').to.equal(4);
          expect((await log.getByTime(genDate(3))).offset).to.equal(4);
          expect((await log.getByTime(genDate(6))).offset, 'deleted 6: on to 7').to.equal(7);
          await expectLogError(() => log.getByTime(genDate(8)), 'ERR_NOT_FOUND');
          expect((await log.offsetByTime(genDate(5))).offset).to.equal(5);
        });

        it('getByTime skips an emptied head (klevdb fails with ERR_INVALID_OFFSET, time index empty, until the next publish)', async function () {
          const { log } = await start(4, 2);
          await log.delete([3]);
          expect((await log.getByTime(genDate(0))).offset).to.equal(0);
          expect((await log.getByTime(genDate(2))).offset).to.equal(2);
          await expectLogError(() => log.getByTime(genDate(3)), 'ERR_NOT_FOUND');
          await log.publish(gen(1, 9));
          expect((await log.getByTime(genDate(2))).offset).to.equal(2);
          expect((await log.getByTime(genDate(3))).offset, 'offset 3 is gone: the new message').to.equal(4);
        });
      } else {
        it('lookups by key and time stay ERR_NO_INDEX after deletes', async function () {
          const { log } = await start(4, 2);
          await log.delete([1]);
          await expectLogError(() => log.getByKey(genKey(0)), 'ERR_NO_INDEX');
          await expectLogError(() => log.getByTime(genDate(0)), 'ERR_NO_INDEX');
        });
      }
    });
  }

  describe('a rollover below the V2 file header', function () {
    it('puts each message in its own segment, never a segment twice, deletes included; an empty head never rolls over', async function () {
      const dir = await tempDir();
      const o: Options = { keyIndex: true, timeIndex: true, rollover: 1 };
      const log = await openLog(dir, o);
      await publishBatched(log, gen(3), 1);
      expect(await segmentOffsets(dir)).to.deep.equal([0, 1, 2]);
      expect(await log.stat()).to.include({ segments: 3, messages: 3 });
      expect(views((await log.consume(OffsetOldest, 10)).messages)).to.deep.equal(genViews([0]));
      await log.delete([2]);
      expect(await segmentOffsets(dir)).to.deep.equal([0, 1, 3]);
      expect(await log.publish(gen(1, 3))).to.equal(4);
      expect(await segmentOffsets(dir), 'the empty head takes the publish').to.deep.equal([0, 1, 3]);
      await log.delete([1]);
      expect(views(await consumeAll(log))).to.deep.equal(genViews([0, 3]));
      expect(await log.stat()).to.include({ segments: 2, messages: 2 });
      await closeLog(log);
      await check(dir, o);
      const again = await openLog(dir, o);
      expect(await again.nextOffset()).to.equal(4);
      expect(views(await consumeAll(again))).to.deep.equal(genViews([0, 3]));
    });
  });

  describe('the index time chain of a rewritten segment', function () {
    it('restarts at 0, as Go rebuilds it (a message whose time went back is found by its own time)', async function () {
      const dir = await tempDir();
      const o: Options = { timeIndex: true, keyIndex: true };
      const log = await openLog(dir, o);
      const ms = (s: number): number => GEN_BASE_MICROS + s * 1_000_000;
      // index times 3s, 3s (the 1s message is carried up), 5s
      await log.publish([
        { value: 'a', timeMicros: ms(3) },
        { value: 'b', timeMicros: ms(1) },
        { value: 'c', timeMicros: ms(5) },
      ]);
      const at = (s: number): Date => new Date(ms(s) / 1000);
      expect((await log.getByTime(at(2))).offset).to.equal(0);
      await log.delete([0]);
      // rebuilt: 1s, 5s
      expect((await log.getByTime(at(0))).offset).to.equal(1);
      expect((await log.getByTime(at(2))).offset).to.equal(2);
      await closeLog(log);
      await check(dir, o);
    });
  });

  describe('format versions (TestVersionOptions)', function () {
    const v1Size = GEN_V1_SIZE;
    const v2Size = GEN_V2_SIZE;
    /** A closed log of `count` gen() messages written in `version`, one publish each. */
    async function writtenIn(version: Version, rollover: number, count: number, extra: Options = {}): Promise<string> {
      const dir = await tempDir();
      const log = await openLog(dir, { ...extra, rollover, version: { newSegmentsVersion: version } });
      await publishBatched(log, gen(count), 1);
      await closeLog(log);
      return dir;
    }

    it('V1Constant: every segment, rewrites included, stays V1', async function () {
      const dir = await tempDir();
      const o: Options = { rollover: 2 * v1Size, version: { newSegmentsVersion: V1 } };
      const log = await openLog(dir, o);
      await publishBatched(log, gen(4), 1);
      expect(await logVersions(dir)).to.deep.equal(['V1', 'V1']);
      await log.delete([0]);
      await closeLog(log);
      expect(await segmentVersions(dir)).to.deep.equal([
        { offset: 1, log: 'V1', index: 'V1' },
        { offset: 3, log: 'V1', index: 'V1' },
      ]);
      const again = await openLog(dir, o);
      expect(views(await consumeAll(again))).to.deep.equal(genViews([1, 2, 3]));
    });

    it('NewSegmentsV2Only: keepRewriteVersion keeps a rewritten V1 segment V1; new segments are V2', async function () {
      const dir = await writtenIn(V1, 2 * v1Size, 2);
      const log = await openLog(dir, {
        rollover: 2 * v1Size,
        version: { newSegmentsVersion: V2, keepRewriteVersion: true },
      });
      await publishBatched(log, gen(2, 2), 1);
      expect(await logVersions(dir)).to.deep.equal(['V1', 'V2']);
      const res = await log.delete([1]);
      // klevdb counts a deleted record in its own segment's format.
      expect(res.deletedSize).to.equal(v1Size + indexItemSize({}));
      expect(res.deletedSize).to.equal(log.size(res.deleted[0]) - (V2_RECORD_OVERHEAD - V1_RECORD_OVERHEAD));
      expect(await segmentVersions(dir)).to.deep.equal([
        { offset: 0, log: 'V1', index: 'V1' },
        { offset: 3, log: 'V2', index: 'V2' },
      ]);
      expect(views(await consumeAll(log))).to.deep.equal(genViews([0, 2, 3]));
    });

    it('RewriteToV2: without keepRewriteVersion a rewritten V1 segment becomes V2', async function () {
      const dir = await writtenIn(V1, 2 * v1Size, 2);
      const o: Options = { rollover: 2 * v1Size, version: { newSegmentsVersion: V2 } };
      const log = await openLog(dir, o);
      await publishBatched(log, gen(2, 2), 1);
      const res = await log.delete([0]);
      expect(res.deletedSize).to.equal(v1Size + indexItemSize({}));
      expect(await segmentVersions(dir)).to.deep.equal([
        { offset: 1, log: 'V2', index: 'V2' },
        { offset: 3, log: 'V2', index: 'V2' },
      ]);
      expect(views(await consumeAll(log))).to.deep.equal(genViews([1, 2, 3]));
      await closeLog(log);
      await check(dir, o);
    });

    it('Downgrade: with newSegmentsVersion V1 a rewritten V2 segment becomes V1', async function () {
      const dir = await writtenIn(V2, 4 * v2Size, 2);
      const log = await openLog(dir, { rollover: 2 * v2Size, version: { newSegmentsVersion: V1 } });
      await publishBatched(log, gen(2, 2), 1);
      expect(await logVersions(dir)).to.deep.equal(['V2', 'V1']);
      const res = await log.delete([1]);
      expect(res.deletedSize).to.equal(v2Size + indexItemSize({}));
      expect(await logVersions(dir)).to.deep.equal(['V1', 'V1']);
      expect(views(await consumeAll(log))).to.deep.equal(genViews([0, 2, 3]));
    });

    for (const keep of [true, false]) {
      it(`a V1 head under V2 options ${keep ? 'stays V1 with' : 'becomes V2 without'} keepRewriteVersion, and keeps growing in that version`, async function () {
        const dir = await writtenIn(V1, 0, 4, { keyIndex: true });
        const o: Options = { keyIndex: true, version: { newSegmentsVersion: V2, keepRewriteVersion: keep } };
        const log = await openLog(dir, o);
        await log.delete([1]);
        const want = keep ? 'V1' : 'V2';
        expect(await segmentVersions(dir)).to.deep.equal([{ offset: 0, log: want, index: want }]);
        const logFile = path.join(dir, segmentFile(0, 'log'));
        const before = await fileSize(logFile);
        await log.publish(gen(1, 4));
        expect(await fileSize(logFile), "the next record is written in the head's version").to.equal(
          before + (keep ? v1Size : v2Size),
        );
        expect(views(await consumeAll(log))).to.deep.equal(genViews([0, 2, 3, 4]));
        await closeLog(log);
        await check(dir, o);
        const again = await openLog(dir, o);
        expect((await again.getByKey(genKey(4))).offset).to.equal(4);
        expect(views(await consumeAll(again))).to.deep.equal(genViews([0, 2, 3, 4]));
      });
    }
  });

  describe('concurrent publish and delete (TestConcurrent)', function () {
    this.timeout(30_000);

    it('DeleteRollover: deleting the newest message while publishing on a tiny rollover loses nothing', async function () {
      const dir = await tempDir();
      const o: Options = { keyIndex: true, timeIndex: true, rollover: 1024 };
      const log = await openLog(dir, o);
      const total = 160;
      const msgs = gen(total);
      const cost = GEN_V2_SIZE + indexItemSize(o);
      let last = -1;
      let done = false;
      const deleted = new Set<number>();
      const publisher = (async () => {
        try {
          for (let i = 0; i < total; i++) {
            expect(await log.publish([msgs[i]])).to.equal(i + 1);
            last = i;
            if (i % 4 === 0) await new Promise((r) => setImmediate(r));
          }
        } finally {
          done = true;
        }
      })();
      const deleter = (async () => {
        let round = 0;
        while (!done) {
          const current = last;
          // Mostly the newest message (the head case); now and then an older one.
          const target = round++ % 3 === 2 && current > 10 ? current - 7 : current;
          if (target >= 0 && !deleted.has(target) && current < total - 1) {
            const res = await log.delete([target]);
            expect(offsetsOfMessages(res.deleted), `delete ${target}`).to.deep.equal([target]);
            expect(res.deletedSize).to.equal(cost);
            deleted.add(target);
          } else {
            await new Promise((r) => setImmediate(r));
          }
        }
      })();
      await Promise.all([publisher, deleter]);
      expect(deleted.size, 'the deleter ran while the publisher did').to.be.greaterThan(10);
      expect(await log.nextOffset()).to.equal(total);

      const verify = async (l: Log): Promise<void> => {
        const left = range(0, total).filter((o) => !deleted.has(o));
        const all = await consumeAll(l);
        expect(views(all)).to.deep.equal(left.map((i) => genView(i)));
        for (let i = 0; i < total; i++) {
          if (deleted.has(i)) await expectLogError(() => l.get(i), 'ERR_NOT_FOUND');
          else expect(view(await l.get(i))).to.deep.equal(genView(i));
        }
      };
      await verify(log);
      expect(await log.publish(gen(1, total))).to.equal(total + 1);
      await closeLog(log);
      await check(dir, o);
      const again = await openLog(dir, { ...o, readonly: true });
      expect(await again.nextOffset()).to.equal(total + 1);
      const all = await consumeAll(again);
      expect(all[all.length - 1].offset).to.equal(total);
    });

    it('autoSync publishes still in flight when a delete replaces the head all resolve, in order', async function () {
      const dir = await tempDir();
      const o: Options = { keyIndex: true, timeIndex: true, rollover: 3 * GEN_V2_SIZE - 1, autoSync: true };
      const log = await openLog(dir, o);
      await publishBatched(log, gen(3), 1);
      const calls: Promise<unknown>[] = [];
      const deleted: number[] = [];
      for (let i = 3; i < 30; i++) {
        calls.push(log.publish([gen(1, i)[0]]).then((next) => expect(next).to.equal(i + 1)));
        // Without waiting: the newest message, or the one before it, goes while its sync may be running.
        const target = i % 2 === 0 ? i : i - 1;
        if (i % 3 === 0) {
          deleted.push(target);
          calls.push(log.delete([target]).then((r) => expect(offsetsOfMessages(r.deleted)).to.deep.equal([target])));
        }
      }
      await Promise.all(calls);
      const left = range(0, 30).filter((i) => !deleted.includes(i));
      expect(views(await consumeAll(log))).to.deep.equal(genViews(left));
      await closeLog(log);
      await check(dir, o);
      const again = await openLog(dir, { ...o, readonly: true });
      expect(views(await consumeAll(again))).to.deep.equal(genViews(left));
      expect(await again.nextOffset()).to.equal(30);
    });

    it('Delete: a consumer deleting everything it reads while another loop publishes ends with an empty log', async function () {
      const dir = await tempDir();
      const o: Options = { keyIndex: true, timeIndex: true, rollover: 4096 };
      const log = await openLog(dir, o);
      const total = 400;
      const msgs = gen(total);
      const cost = GEN_V2_SIZE + indexItemSize(o);
      const publisher = (async () => {
        for (let i = 0; i < total; i += 10) {
          await log.publish(msgs.slice(i, i + 10));
          await new Promise((r) => setImmediate(r));
        }
      })();
      const seen: number[] = [];
      const consumer = (async () => {
        for (let rounds = 0; ; rounds++) {
          expect(rounds).to.be.lessThan(100_000);
          const { nextOffset, messages } = await log.consume(OffsetOldest, 10);
          const res = await log.delete(offsetsOfMessages(messages));
          expect(offsetsOfMessages(res.deleted).sort((a, b) => a - b)).to.deep.equal(offsetsOfMessages(messages));
          expect(res.deletedSize).to.equal(messages.length * cost);
          for (const m of messages) expect(view(m)).to.deep.equal(genView(m.offset));
          seen.push(...offsetsOfMessages(messages));
          if (nextOffset >= total && messages.length === 0) break;
          if (messages.length === 0) await new Promise((r) => setTimeout(r, 1));
        }
      })();
      await Promise.all([publisher, consumer]);
      expect(seen).to.deep.equal(range(0, total));
      expect(await log.stat()).to.include({ messages: 0 });
      expect(await log.nextOffset()).to.equal(total);
      // A later time: the empty head continues the index time chain (see the format notes).
      expect(await log.publish(gen(1, total))).to.equal(total + 1);
      await closeLog(log);
      await check(dir, o);
    });
  });

  describe('a followWriter reader beside the writer', function () {
    const cases: Variant[] = [VARIANTS[0], VARIANTS[3]];
    for (const v of cases) {
      it(`keeps reading the right messages while the writer deletes and rewrites segments (${v.name})`, async function () {
        const dir = await tempDir();
        const recordSize = v.version === V1 ? GEN_V1_SIZE : GEN_V2_SIZE;
        const o = options(v, { rollover: 3 * recordSize - 1 });
        const writer = await openLog(dir, o);
        await publishBatched(writer, gen(12), 1);
        const follower = await openLog(dir, { ...o, readonly: true, followWriter: true });
        const present = new Set(range(0, 12));
        let next = 12;

        const same = async (step: string): Promise<void> => {
          const want = [...present].sort((a, b) => a - b).map((i) => genView(i));
          expect(views(await consumeAll(follower, 2)), `follower after ${step}`).to.deep.equal(want);
          expect(views(await consumeAll(writer, 2)), `writer after ${step}`).to.deep.equal(want);
          expect(await follower.nextOffset(), `nextOffset after ${step}`).to.equal(next);
          expect(await follower.stat(), `stat after ${step}`).to.deep.equal(await writer.stat());
          for (let i = 0; i < next; i++) {
            if (present.has(i))
              expect(view(await follower.get(i)), `get(${i}) after ${step}`).to.deep.equal(genView(i));
            else await expectLogError(() => follower.get(i), 'ERR_NOT_FOUND');
          }
          if (v.keyIndex) {
            for (const i of present) expect((await follower.getByKey(genKey(i))).offset).to.equal(i);
          }
        };
        const del = async (step: string, offsets: number[]): Promise<void> => {
          const res = await writer.delete(offsets);
          expect(
            offsetsOfMessages(res.deleted).sort((a, b) => a - b),
            step,
          ).to.deep.equal(offsets);
          for (const o2 of offsets) present.delete(o2);
          await same(step);
        };
        const pub = async (count: number): Promise<void> => {
          await publishBatched(writer, gen(count, next), 1);
          for (let i = 0; i < count; i++) present.add(next + i);
          next += count;
          await same(`publishing ${count}`);
        };

        await same('opening');
        // segments [0,1,2] [3,4,5] [6,7,8] [9,10,11]
        await del('a middle message of a middle segment', [4]);
        await del('the first message of a segment (renamed)', [3]);
        await del('the rest of that segment (removed)', [5]);
        await del('a middle message of the head', [10]);
        await del('the first message of the head (renamed)', [9]);
        await pub(2);
        await del('the newest message (a new empty head)', [13]);
        await pub(3);
        await del('a whole head', [14, 15, 16]);
        await pub(1);
        await del('the first segment', [0, 1, 2]);
        expect((await segmentOffsets(dir))[0]).to.equal(6);
        await pub(4);
        // A consumer position inside what was deleted goes on after it.
        const r = await follower.consume(4, 100);
        expect(offsetsOfMessages(r.messages)).to.deep.equal(
          [...present]
            .filter((o2) => o2 > 4)
            .sort((a, b) => a - b)
            .slice(0, r.messages.length),
        );
        expect(r.messages.length).to.be.greaterThan(0);
      });
    }
  });
});
