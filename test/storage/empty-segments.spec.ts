// Empty segments: the head after compaction deleted its newest messages, and
// a sealed segment with no messages between two that have some (a directory
// put together from backups taken at different times). Every read skips them;
// klevdb's getByTime fails on an empty newest segment (issue 14, item 2).
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { OffsetNewest, OffsetOldest, V1, V2, compact, compactUpdatesMulti, trimByAgeMulti } from '../../src/index.js';
import type { Log, Message, Options, PublishMessage } from '../../src/index.js';
import { backup, check, open } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { segmentFile, useTempDirs } from '../helpers/fs.js';
import { consumeAll } from '../helpers/messages.js';
import { segmentOffsets } from '../helpers/segments.js';

/** 2024-05-01T12:00:00Z, in microseconds: long before now, so compact(log, 0) takes everything. */
const T0 = Date.parse('2024-05-01T12:00:00Z') * 1000;
const SECOND = 1_000_000;
const at = (s: number): Date => new Date((T0 + s * SECOND) / 1000);
const msg = (key: string, value: string | null, s: number): PublishMessage => ({
  key,
  value,
  timeMicros: T0 + s * SECOND,
});
const offsets = (ms: Message[]): number[] => ms.map((m) => m.offset);

for (const version of [V1, V2]) {
  const opts: Options = { keyIndex: true, timeIndex: true, version: { newSegmentsVersion: version } };

  describe(`empty segments (${version.name})`, () => {
    const tempDir = useTempDirs('klevdb-empty-');
    const logs: Log[] = [];
    const keep = (log: Log): Log => (logs.push(log), log);
    afterEach(async () => {
      for (const log of logs.splice(0)) await log.close();
    });

    /** The steps: a, b, a tombstone for b, compact(log, 0). Leaves [a] sealed at 0 and an empty head at 3. */
    async function compactedToEmptyHead(dir: string): Promise<Log> {
      const log = keep(await open(dir, { ...opts, createDirs: true }));
      await log.publish([msg('a', 'A', 0), msg('b', 'B', 1)]);
      await log.publish([msg('b', null, 2)]);
      await compact(log, 0);
      expect(await segmentOffsets(dir), 'segments after compaction').to.deep.equal([0, 3]);
      expect(await log.stat()).to.include({ segments: 2, messages: 1 });
      return log;
    }

    /** Every read answers as if the empty head were not there (only offset 0, key a, stored). */
    async function expectOnlyA(log: Log): Promise<void> {
      expect((await log.getByTime(new Date('2000-01-01'))).offset).to.equal(0);
      expect(await log.offsetByTime(at(0))).to.deep.equal({ offset: 0, time: at(0) });
      await expectLogError(() => log.getByTime(at(0.5)), 'ERR_NOT_FOUND', 'no message at or after');
      expect((await log.get(OffsetOldest)).offset).to.equal(0);
      expect((await log.get(OffsetNewest)).offset).to.equal(0);
      await expectLogError(() => log.get(2), 'ERR_NOT_FOUND', 'deleted');
      await expectLogError(() => log.get(3), 'ERR_INVALID_OFFSET', 'after the end of the log (next offset 3)');
      expect(offsets(await consumeAll(log))).to.deep.equal([0]);
      expect(await log.consume(1, 10)).to.deep.equal({ nextOffset: 3, messages: [] });
      await expectLogError(() => log.consume(4, 10), 'ERR_INVALID_OFFSET', 'after the end');
      expect((await log.getByKey('a')).offset).to.equal(0);
      await expectLogError(() => log.getByKey('b'), 'ERR_NOT_FOUND');
      expect(offsets((await log.consumeByKey('a', OffsetOldest, 10)).messages)).to.deep.equal([0]);
      expect(await log.nextOffset()).to.equal(3);
    }

    it('getByTime after compaction emptied the head answers from the segment before it (klevdb fails there)', async () => {
      const dir = await tempDir();
      const log = await compactedToEmptyHead(dir);
      await expectOnlyA(log);
      // A follower beside the writer (as the CLI and the inspector read) and a reopened log answer the same.
      await expectOnlyA(keep(await open(dir, { ...opts, readonly: true, followWriter: true })));
      await log.close();
      await expectOnlyA(keep(await open(dir, opts)));
      await check(dir, opts);
    });

    it('trimByAge and compaction work across the empty head; once nothing is left getByTime is ERR_INVALID_OFFSET', async () => {
      const log = await compactedToEmptyHead(await tempDir());
      // Before the fix, trimByAge failed here with "no time items in segment 3".
      expect(offsets((await trimByAgeMulti(log, at(1))).deleted)).to.deep.equal([0]);
      expect(await log.stat()).to.include({ messages: 0 });
      await expectLogError(() => log.getByTime(new Date('2000-01-01')), 'ERR_INVALID_OFFSET', 'the log is empty');
      await expectLogError(() => log.get(OffsetOldest), 'ERR_INVALID_OFFSET', 'the log is empty');
      await expectLogError(() => log.get(OffsetNewest), 'ERR_INVALID_OFFSET', 'the log is empty');
      // The head takes appends again, and the time search finds them.
      await log.publish([msg('c', 'C', 10)]);
      expect((await log.getByTime(new Date('2000-01-01'))).offset).to.equal(3);
      expect(offsets(await consumeAll(log))).to.deep.equal([3]);
    });

    /**
     * Segments [m0] at 0, an empty sealed segment at 2, [m3, m4] at 3. Such a
     * directory is what an incremental backup into the directory of an older
     * backup gives (backup copies and never removes): the older one held the
     * then-empty head at 2, which the log has since dropped. Here the two
     * backups are put together explicitly.
     */
    async function withEmptyMiddle(): Promise<string> {
      const src = await tempDir();
      const log = keep(await open(src, { ...opts, createDirs: true }));
      await log.publish([msg('k0', 'v0', 0), msg('k1', 'v1', 1)]);
      await log.delete([1]); // the newest went: [m0] sealed at 0, an empty head at 2
      const older = await tempDir();
      await backup(src, older);
      await log.publish([msg('k2', 'v2', 2)]);
      await log.delete([2]); // the head at 2 lost its only message: an empty head at 3
      await log.publish([msg('k3', 'v3', 3), msg('k0', 'v4', 4)]);
      const dst = await tempDir();
      await backup(src, dst);
      for (const ext of ['log', 'index'] as const)
        await copyFile(path.join(older, segmentFile(2, ext)), path.join(dst, segmentFile(2, ext)));
      expect(await segmentOffsets(dst)).to.deep.equal([0, 2, 3]);
      return dst;
    }

    it('an empty sealed segment between two others is skipped by every read', async () => {
      const dir = await withEmptyMiddle();
      for (const o of [opts, { ...opts, readonly: true }, { ...opts, readonly: true, followWriter: true }]) {
        const log = keep(await open(dir, o));
        expect(await log.stat()).to.deep.include({ segments: 3, messages: 3 });
        expect(offsets(await consumeAll(log, 1))).to.deep.equal([0, 3, 4]);
        expect(offsets((await log.consume(1, 10)).messages)).to.deep.equal([3, 4]);
        expect(offsets((await log.consume(2, 10)).messages)).to.deep.equal([3, 4]);
        await expectLogError(() => log.get(2), 'ERR_NOT_FOUND', 'deleted');
        await expectLogError(() => log.get(1), 'ERR_NOT_FOUND', 'deleted');
        expect((await log.get(OffsetOldest)).offset).to.equal(0);
        expect((await log.get(OffsetNewest)).offset).to.equal(4);
        // The time search steps over the empty segment both ways.
        expect((await log.getByTime(new Date('2000-01-01'))).offset).to.equal(0);
        expect((await log.getByTime(at(0.5))).offset).to.equal(3);
        expect((await log.getByTime(at(2))).offset).to.equal(3);
        expect((await log.getByTime(at(4))).offset).to.equal(4);
        await expectLogError(() => log.getByTime(at(5)), 'ERR_NOT_FOUND');
        expect((await log.getByKey('k0')).offset).to.equal(4);
        expect((await log.getByKey('k3')).offset).to.equal(3);
        await expectLogError(() => log.getByKey('k1'), 'ERR_NOT_FOUND');
        expect(offsets((await log.consumeByKey('k0', OffsetOldest, 10)).messages)).to.deep.equal([0]);
        expect(offsets((await log.consumeByKey('k0', 1, 10)).messages)).to.deep.equal([4]);
        await log.close();
        logs.splice(logs.indexOf(log), 1);
      }
      await check(dir, opts);
    });

    it('trim by age and compaction run through an empty sealed segment', async () => {
      const log = keep(await open(await withEmptyMiddle(), opts));
      expect(offsets((await compactUpdatesMulti(log, at(10))).deleted)).to.deep.equal([0]);
      expect(offsets((await trimByAgeMulti(log, at(3.5))).deleted)).to.deep.equal([3]);
      expect(offsets(await consumeAll(log))).to.deep.equal([4]);
      expect((await log.getByTime(new Date('2000-01-01'))).offset).to.equal(4);
    });
  });
}
