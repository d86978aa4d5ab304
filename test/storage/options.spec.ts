// Options of open(): createDirs, readonly, indexes, autoSync, rollover,
// check/recover, segment versions and index rebuilding.
import { expect } from 'chai';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LogError, OffsetOldest, V1, V2 } from '../../src/index.js';
import type { Options } from '../../src/index.js';
import { check, open, recover } from '../helpers/api.js';
import { caught, expectLogError } from '../helpers/errors.js';
import {
  fileSize,
  fingerprintDir,
  flipByte,
  listLogFiles,
  segmentFile,
  truncateFile,
  useTempDirs,
} from '../helpers/fs.js';
import {
  consumeAll,
  expectedView,
  expectedViews,
  gen,
  GEN_V1_SIZE,
  GEN_V2_SIZE,
  indexItemSize,
  publishBatched,
  V2_HEADER,
  view,
  views,
} from '../helpers/messages.js';
import { useOpenLogs } from '../helpers/open-logs.js';

const BOTH: Options = { keyIndex: true, timeIndex: true };
const LOG_MAGIC = Buffer.from([0xff, 0x6b, 0x6c, 0x65, 0x76, 0x73, 0x01, 0x00]);
const INDEX_MAGIC = Buffer.from([0xff, 0x6b, 0x6c, 0x65, 0x76, 0x69, 0x01]);

describe('open options', function () {
  const { openLog, closeLog } = useOpenLogs();
  // registered after useOpenLogs: logs are closed before their dirs are removed
  const tempDir = useTempDirs('klevdb-options-');
  /** A closed log in a fresh dir with `count` gen() messages published one by one. */
  async function writtenDir(opts: Options, count: number, batch = 1): Promise<string> {
    const dir = await tempDir();
    const log = await openLog(dir, opts);
    await publishBatched(log, gen(count), batch);
    await closeLog(log);
    return dir;
  }

  describe('createDirs', function () {
    it('creates missing parent directories', async function () {
      const dir = path.join(await tempDir(), 'a', 'b', 'c');
      const log = await openLog(dir, { createDirs: true });
      expect(await log.publish(gen(1))).to.equal(1);
      expect((await stat(dir)).isDirectory()).to.equal(true);
      expect(await listLogFiles(dir)).to.deep.equal([segmentFile(0, 'index'), segmentFile(0, 'log')]);
    });

    it('without it, a missing directory is an error and nothing is created', async function () {
      const parent = await tempDir();
      const dir = path.join(parent, 'missing');
      const err = await caught(() => open(dir, {}));
      expect(err).to.be.instanceOf(LogError);
      expect(await listLogFiles(parent)).to.deep.equal([]);
    });

    it('with readonly, creates the directory and opens it empty (klevdb: MkdirAll before the lock)', async function () {
      const dir = path.join(await tempDir(), 'ro');
      const log = await openLog(dir, { createDirs: true, readonly: true });
      expect(await log.nextOffset()).to.equal(0);
      expect(await log.stat()).to.deep.equal({ segments: 0, messages: 0, size: 0 });
    });
  });

  describe('readonly', function () {
    it('refuses writes and changes no file', async function () {
      const dir = await writtenDir({ ...BOTH, rollover: 2 * GEN_V2_SIZE }, 5);
      const before = await fingerprintDir(dir);
      const log = await openLog(dir, { ...BOTH, readonly: true });
      await expectLogError(() => log.publish(gen(1)), 'ERR_READONLY');
      await expectLogError(() => log.delete([0]), 'ERR_READONLY');
      expect(views(await consumeAll(log))).to.deep.equal(expectedViews(gen(5)));
      expect(await log.nextOffset()).to.equal(5);
      await log.gc(0);
      await log.sync();
      await closeLog(log);
      expect(await fingerprintDir(dir)).to.deep.equal(before);
    });

    it('on a missing directory (without createDirs) is an error', async function () {
      const dir = path.join(await tempDir(), 'missing');
      expect(await caught(() => open(dir, { readonly: true }))).to.be.instanceOf(LogError);
    });
  });

  describe('keyIndex and timeIndex', function () {
    for (const opts of [{}, { keyIndex: true }, { timeIndex: true }, BOTH] as Options[]) {
      const name = `keyIndex ${!!opts.keyIndex}, timeIndex ${!!opts.timeIndex}`;
      it(`${name}: lookups work or fail with ERR_NO_INDEX; index items are ${indexItemSize(opts)} bytes`, async function () {
        const dir = await tempDir();
        const log = await openLog(dir, opts);
        const msgs = gen(5);
        await log.publish(msgs);
        const key = msgs[3].key as string;
        const time = new Date((msgs[3].timeMicros as number) / 1000);
        if (opts.keyIndex) {
          expect((await log.getByKey(key)).offset).to.equal(3);
          expect(await log.offsetByKey(key)).to.equal(3);
          expect((await log.consumeByKey(key, OffsetOldest, 5)).messages.map((m) => m.offset)).to.deep.equal([3]);
        } else {
          await expectLogError(() => log.getByKey(key), 'ERR_NO_INDEX');
          await expectLogError(() => log.offsetByKey(key), 'ERR_NO_INDEX');
          await expectLogError(() => log.consumeByKey(key, OffsetOldest, 5), 'ERR_NO_INDEX');
        }
        if (opts.timeIndex) {
          expect((await log.getByTime(time)).offset).to.equal(3);
          expect((await log.offsetByTime(time)).offset).to.equal(3);
        } else {
          await expectLogError(() => log.getByTime(time), 'ERR_NO_INDEX');
          await expectLogError(() => log.offsetByTime(time), 'ERR_NO_INDEX');
        }
        await log.sync();
        const index = await readFile(path.join(dir, segmentFile(0, 'index')));
        expect(index.length).to.equal(V2_HEADER + 5 * indexItemSize(opts));
        expect(index.subarray(0, 7)).to.deep.equal(INDEX_MAGIC);
        expect(index[7], 'index flags').to.equal((opts.timeIndex ? 1 : 0) | (opts.keyIndex ? 2 : 0));
      });
    }

    const mismatches: [string, Options, Options, RegExp][] = [
      ['dropping the key index', BOTH, { timeIndex: true }, /key/i],
      ['dropping the time index', BOTH, { keyIndex: true }, /time/i],
      ['adding a key index', {}, { keyIndex: true }, /key/i],
      ['adding a time index', {}, { timeIndex: true }, /time/i],
      ['adding a time index to a keys-only log', { keyIndex: true }, BOTH, /time/i],
    ];
    for (const [name, created, reopened, mentions] of mismatches) {
      it(`reopening after ${name} is ERR_CORRUPTED naming the index`, async function () {
        const dir = await writtenDir(created, 3);
        await expectLogError(() => open(dir, reopened), 'ERR_CORRUPTED', mentions);
        // the failed open released the lock: the right options open it
        const log = await openLog(dir, created);
        expect(await log.nextOffset()).to.equal(3);
      });
    }

    it('reopening an empty log with other index options is ERR_CORRUPTED too (the index header says)', async function () {
      const dir = await writtenDir(BOTH, 0);
      await expectLogError(() => open(dir, {}), 'ERR_CORRUPTED', /time|key/i);
    });
  });

  describe('autoSync', function () {
    it('every publish is on disk when it resolves, across rollovers and a reopen', async function () {
      const dir = await tempDir();
      const log = await openLog(dir, { ...BOTH, autoSync: true, rollover: 3 * GEN_V2_SIZE });
      for (let i = 0; i < 7; i++) {
        await log.publish(gen(1, i));
        const head = Math.floor(i / 3) * 3;
        const inHead = i - head + 1;
        expect(await fileSize(path.join(dir, segmentFile(head, 'log'))), `after ${i}`).to.equal(
          V2_HEADER + inHead * GEN_V2_SIZE,
        );
        expect(await fileSize(path.join(dir, segmentFile(head, 'index')))).to.equal(
          V2_HEADER + inHead * indexItemSize(BOTH),
        );
      }
      await closeLog(log);
      const again = await openLog(dir, { ...BOTH, autoSync: true });
      expect(views(await consumeAll(again, 100))).to.deep.equal(expectedViews(gen(7)));
      expect((await again.stat()).segments).to.equal(3);
      expect(await again.nextOffset()).to.equal(7);
    });
  });

  describe('rollover', function () {
    it('negative is ERR_INVALID_ARGUMENT naming rollover', async function () {
      const dir = await tempDir();
      await expectLogError(() => open(dir, { rollover: -1 }), 'ERR_INVALID_ARGUMENT', 'rollover');
      expect(await listLogFiles(dir)).to.deep.equal([]);
    });

    for (const [name, opts] of [
      ['missing', {}],
      ['0', { rollover: 0 }],
    ] as [string, Options][]) {
      it(`${name} means 1 MiB`, async function () {
        const dir = await tempDir();
        const log = await openLog(dir, opts);
        const MiB = 1024 * 1024;
        // 8 + 36 + (1 MiB - 44) is exactly 1 MiB: not over, the next batch stays
        await log.publish([{ value: Buffer.alloc(MiB - 44, 1), timeMicros: 1 }]);
        await log.publish([{ value: 'small', timeMicros: 2 }]);
        expect((await log.stat()).segments).to.equal(1);
        await log.publish([{ value: 'next', timeMicros: 3 }]);
        expect((await log.stat()).segments).to.equal(2);
        expect((await log.get(3 - 1)).value?.toString()).to.equal('next');
        expect(await listLogFiles(dir)).to.include(segmentFile(2, 'log'));
      });
    }
  });

  describe('check and recover on open', function () {
    // segments [0,1] [2,3] and a head [4,5,6] of 174-byte records
    const layout = { ...BOTH, rollover: 2 * GEN_V2_SIZE };
    const headLog = (dir: string): string => path.join(dir, segmentFile(4, 'log'));
    async function damagedDir(damage: (file: string) => Promise<void>): Promise<string> {
      const dir = await tempDir();
      const log = await openLog(dir, layout);
      await publishBatched(log, gen(4), 1);
      await log.publish(gen(3, 4));
      await closeLog(log);
      expect(await fileSize(headLog(dir))).to.equal(V2_HEADER + 3 * GEN_V2_SIZE);
      await damage(headLog(dir));
      return dir;
    }
    const record = (i: number): number => V2_HEADER + i * GEN_V2_SIZE; // position in the head
    // The last flag: whether the repaired head checks clean after more publishes. A record
    // torn inside its 28-byte header reads as a clean end in klevdb, so recover keeps those
    // bytes and later records are appended after them (klevdb behaviour, not asserted).
    const cases: [string, (file: string) => Promise<void>, number, boolean][] = [
      ['a record cut inside its value', (f) => truncateFile(f, record(2) + 100), 6, true],
      ['a record cut inside its header', (f) => truncateFile(f, record(2) + 10), 6, false],
      ['a flipped value byte', (f) => flipByte(f, record(1) + 100), 5, true],
      ['a flipped trailer byte', (f) => flipByte(f, record(3) - 1), 6, true],
      ['a flipped offset byte', (f) => flipByte(f, record(0) + 11), 4, true],
    ];
    for (const [name, damage, kept, cleanAfter] of cases) {
      it(`${name}: check is ERR_CORRUPTED, recover keeps ${kept - 4} head messages`, async function () {
        const dir = await damagedDir(damage);
        await expectLogError(() => open(dir, { ...layout, check: true }), 'ERR_CORRUPTED');
        await expectLogError(() => open(dir, { ...layout, check: true, readonly: true }), 'ERR_CORRUPTED');
        await expectLogError(() => check(dir, layout), 'ERR_CORRUPTED');

        const log = await openLog(dir, { ...layout, recover: true, check: true });
        expect(await log.nextOffset()).to.equal(kept);
        expect(views(await consumeAll(log))).to.deep.equal(expectedViews(gen(kept)));
        expect(await log.publish(gen(1, 10))).to.equal(kept + 1);
        expect(view(await log.get(kept))).to.deep.equal(expectedView(gen(1, 10)[0], kept));
        expect((await log.getByKey(gen(1, 10)[0].key as string)).offset).to.equal(kept);
        await closeLog(log);
        const again = await openLog(dir, { ...layout, check: cleanAfter });
        expect(await again.nextOffset()).to.equal(kept + 1);
        expect(views(await consumeAll(again))).to.deep.equal([
          ...expectedViews(gen(kept)),
          expectedView(gen(1, 10)[0], kept),
        ]);
        if (cleanAfter) await check(dir, layout);
      });
    }

    it('readonly with recover only checks (klevdb): ERR_CORRUPTED and no file changes', async function () {
      const dir = await damagedDir((f) => truncateFile(f, record(2) + 100));
      const before = await fingerprintDir(dir);
      await expectLogError(() => open(dir, { ...layout, recover: true, readonly: true }), 'ERR_CORRUPTED');
      expect(await fingerprintDir(dir)).to.deep.equal(before);
    });

    it('recover on an intact log changes nothing', async function () {
      const dir = await damagedDir(async () => undefined);
      const before = await fingerprintDir(dir);
      const log = await openLog(dir, { ...layout, recover: true });
      expect(await log.nextOffset()).to.equal(7);
      await closeLog(log);
      expect(await fingerprintDir(dir)).to.deep.equal(before);
    });

    it('damage outside the head passes check and fails only when read', async function () {
      const dir = await damagedDir(async () => undefined);
      await flipByte(path.join(dir, segmentFile(2, 'log')), V2_HEADER + GEN_V2_SIZE + 100);
      await check(dir, layout);
      const log = await openLog(dir, { ...layout, check: true });
      await expectLogError(() => log.get(3), 'ERR_CORRUPTED');
      expect(view(await log.get(2))).to.deep.equal(expectedView(gen(3)[2], 2));
      expect(view(await log.get(4))).to.deep.equal(expectedView(gen(5)[4], 4));
    });
  });

  describe('check and recover of a directory without a log (klevdb: nothing to do)', function () {
    it('an empty directory passes check and recover, which create nothing', async function () {
      const dir = await tempDir();
      await check(dir, BOTH);
      await recover(dir, BOTH);
      expect((await listLogFiles(dir)).filter((f) => f.endsWith('.log') || f.endsWith('.index'))).to.deep.equal([]);
    });

    it('leftover temporary files of an interrupted rewrite or recover are ignored', async function () {
      const dir = await writtenDir(BOTH, 3);
      await writeFile(path.join(dir, `${segmentFile(0, 'log')}.recover`), 'partial');
      await writeFile(path.join(dir, `${segmentFile(0, 'log')}.rewrite.abc123`), 'partial');
      await writeFile(path.join(dir, `${segmentFile(0, 'index')}.rewrite.abc123`), 'partial');
      await check(dir, BOTH);
      const log = await openLog(dir, { ...BOTH, check: true });
      expect(views(await consumeAll(log))).to.deep.equal(expectedViews(gen(3)));
      expect(await log.publish(gen(1, 3))).to.equal(4);
    });
  });

  describe('segment versions', function () {
    it('V1 writes no headers: records start at 0 with the offset, the index has bare items', async function () {
      const dir = await tempDir();
      const log = await openLog(dir, { ...BOTH, rollover: 2 * GEN_V1_SIZE, version: { newSegmentsVersion: V1 } });
      await publishBatched(log, gen(5), 1);
      await log.sync();
      const seg0 = await readFile(path.join(dir, segmentFile(0, 'log')));
      const seg3 = await readFile(path.join(dir, segmentFile(3, 'log')));
      expect(seg0.length).to.equal(3 * GEN_V1_SIZE);
      expect(seg0.readBigInt64BE(0)).to.equal(0n);
      expect(seg0.readBigInt64BE(GEN_V1_SIZE)).to.equal(1n);
      expect(seg3.readBigInt64BE(0), 'a V1 segment starts with its base offset').to.equal(3n);
      expect(await fileSize(path.join(dir, segmentFile(0, 'index')))).to.equal(3 * indexItemSize(BOTH));
      const m = await log.get(4);
      expect(log.size(m)).to.equal(GEN_V1_SIZE + indexItemSize(BOTH));
      expect(await log.stat()).to.deep.equal({
        segments: 2,
        messages: 5,
        size: 5 * (GEN_V1_SIZE + indexItemSize(BOTH)),
      });
      expect(views(await consumeAll(log))).to.deep.equal(expectedViews(gen(5)));
    });

    it('a V1 head keeps growing in V1 after reopening with V2; new segments are V2', async function () {
      const dir = await writtenDir({ ...BOTH, rollover: 2 * GEN_V1_SIZE, version: { newSegmentsVersion: V1 } }, 2);
      const log = await openLog(dir, { ...BOTH, rollover: 2 * GEN_V1_SIZE, version: { newSegmentsVersion: V2 } });
      await publishBatched(log, gen(4, 2), 1);
      await log.sync();
      const seg0 = await readFile(path.join(dir, segmentFile(0, 'log')));
      const seg3 = await readFile(path.join(dir, segmentFile(3, 'log')));
      const seg5 = await readFile(path.join(dir, segmentFile(5, 'log')));
      expect(seg0.length, 'msgs 0..2 in V1').to.equal(3 * GEN_V1_SIZE);
      expect(seg3.subarray(0, 8)).to.deep.equal(LOG_MAGIC);
      expect(seg3.length).to.equal(V2_HEADER + 2 * GEN_V2_SIZE);
      expect(seg5.subarray(0, 8)).to.deep.equal(LOG_MAGIC);
      expect(views(await consumeAll(log, 100))).to.deep.equal(expectedViews(gen(6)));
      expect(views((await log.consume(OffsetOldest, 100)).messages)).to.deep.equal(expectedViews(gen(3)));
      expect(views((await log.consume(3, 100)).messages)).to.deep.equal(expectedViews(gen(2, 3), 3));
      expect((await log.getByKey(gen(1, 1)[0].key as string)).offset).to.equal(1);
      expect((await log.getByKey(gen(1, 5)[0].key as string)).offset).to.equal(5);
      expect((await log.getByTime(new Date((gen(1, 4)[0].timeMicros as number) / 1000))).offset).to.equal(4);
      await closeLog(log);
      const again = await openLog(dir, { ...BOTH, version: { newSegmentsVersion: V1 } });
      expect(await again.nextOffset()).to.equal(6);
      await again.publish(gen(1, 6));
      const head = await readFile(path.join(dir, segmentFile(5, 'log')));
      expect(head.subarray(0, 8), 'a V2 head stays V2').to.deep.equal(LOG_MAGIC);
      expect(head.length).to.equal(V2_HEADER + 2 * GEN_V2_SIZE);
    });

    it('V1 keeps the monotonic index time like V2', async function () {
      const dir = await tempDir();
      const log = await openLog(dir, { timeIndex: true, version: { newSegmentsVersion: V1 } });
      await log.publish([
        { value: 'a', timeMicros: 3_000_000 },
        { value: 'b', timeMicros: 1_000_000 },
        { value: 'c', timeMicros: 5_000_000 },
      ]);
      expect((await log.getByTime(new Date(2_000))).offset).to.equal(0);
      expect((await log.getByTime(new Date(4_000))).offset).to.equal(2);
      expect((await log.get(1)).timeMicros).to.equal(1_000_000);
    });
  });

  describe('index rebuilding on open (TestReindex, TestCorruptReopen)', function () {
    const layout = { ...BOTH, rollover: 2 * GEN_V2_SIZE };

    it('rebuilds every missing index', async function () {
      const dir = await writtenDir(layout, 5);
      const before = await fingerprintDir(dir);
      for (const f of await listLogFiles(dir)) if (f.endsWith('.index')) await rm(path.join(dir, f));
      const log = await openLog(dir, layout);
      expect(await log.nextOffset()).to.equal(5);
      expect(views(await consumeAll(log))).to.deep.equal(expectedViews(gen(5)));
      for (let i = 0; i < 5; i++) expect((await log.getByKey(gen(1, i)[0].key as string)).offset).to.equal(i);
      await closeLog(log);
      expect(await fingerprintDir(dir), 'rebuilt indexes equal the written ones').to.deep.equal(before);
    });

    for (const size of [0, 5, 8]) {
      it(`rebuilds a head index cut to ${size} bytes`, async function () {
        const dir = await writtenDir(layout, 5);
        const before = await fingerprintDir(dir);
        await truncateFile(path.join(dir, segmentFile(4, 'index')), size);
        const log = await openLog(dir, layout);
        expect(await log.nextOffset()).to.equal(5);
        expect((await log.getByKey(gen(1, 4)[0].key as string)).offset).to.equal(4);
        expect(await log.publish(gen(1, 5))).to.equal(6);
        await closeLog(log);
        const after = await fingerprintDir(dir);
        expect(after[segmentFile(4, 'index')].size).to.equal(V2_HEADER + 2 * indexItemSize(BOTH));
        delete before[segmentFile(4, 'index')];
        delete before[segmentFile(4, 'log')];
        delete after[segmentFile(4, 'index')];
        delete after[segmentFile(4, 'log')];
        expect(after).to.deep.equal(before);
      });
    }

    it('rebuilds a missing non-head index when the segment is read', async function () {
      const dir = await writtenDir(layout, 5);
      const before = await fingerprintDir(dir);
      await rm(path.join(dir, segmentFile(0, 'index')));
      const log = await openLog(dir, layout);
      expect((await log.getByKey(gen(1, 0)[0].key as string)).offset).to.equal(0);
      expect(views((await log.consume(OffsetOldest, 10)).messages)).to.deep.equal(expectedViews(gen(2)));
      await closeLog(log);
      expect(await fingerprintDir(dir)).to.deep.equal(before);
    });

    it("a missing index of a V1 log is rebuilt in the options' version", async function () {
      const dir = await writtenDir({ ...BOTH, version: { newSegmentsVersion: V1 } }, 3);
      await rm(path.join(dir, segmentFile(0, 'index')));
      const log = await openLog(dir, BOTH);
      expect(views(await consumeAll(log))).to.deep.equal(expectedViews(gen(3)));
      await closeLog(log);
      const index = await readFile(path.join(dir, segmentFile(0, 'index')));
      expect(index.subarray(0, 7)).to.deep.equal(INDEX_MAGIC);
      expect(index.length).to.equal(V2_HEADER + 3 * indexItemSize(BOTH));
    });

    it('a head index with garbage fails to open with ERR_CORRUPTED; without the indexes it opens', async function () {
      const dir = await writtenDir(layout, 4);
      await writeFile(path.join(dir, segmentFile(2, 'index')), 'random data characters');
      await expectLogError(() => open(dir, layout), 'ERR_CORRUPTED');
      for (const f of await listLogFiles(dir)) if (f.endsWith('.index')) await rm(path.join(dir, f));
      const log = await openLog(dir, layout);
      let r = await log.consume(OffsetOldest, 32);
      expect(r.nextOffset).to.equal(2);
      expect(views(r.messages)).to.deep.equal(expectedViews(gen(2)));
      r = await log.consume(r.nextOffset, 32);
      expect(r.nextOffset).to.equal(4);
      expect(views(r.messages)).to.deep.equal(expectedViews(gen(2, 2), 2));
      expect((await log.getByKey(gen(1, 1)[0].key as string)).offset).to.equal(1);
    });
  });
});
