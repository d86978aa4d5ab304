// Maintenance of log directories (klevdb api.go Check, Recover, Backup,
// Migrate; log.go Backup, GC; pkg/segment Check, Recover, Migrate): the
// damaged samples beyond format.spec (idempotence, the lock, backups of
// them, migrating what was recovered), migration between the formats down to
// the byte, eager migration on open, backups of a log being written,
// incremental backups, gc, and recovery from a head cut at every byte of its
// last record or with any byte of a record flipped.
import { expect } from 'chai';
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { migrate, OffsetOldest, V1, V2 } from '../../src/index.js';
import type { Log, Options, PublishMessage, Version } from '../../src/index.js';
import { backup, check, open, recover } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import {
  copyDir,
  fileSize,
  fingerprintDir,
  flipByte,
  listLogFiles,
  segmentFile,
  truncateFile,
  useTempDirs,
} from '../helpers/fs.js';
import type { FileFingerprint } from '../helpers/fs.js';
import {
  consumeAll,
  expectedViews,
  gen,
  GEN_BASE_MICROS,
  GEN_V2_SIZE,
  publishBatched,
  view,
  views,
} from '../helpers/messages.js';
import { useOpenLogs } from '../helpers/open-logs.js';
import { copySample, FORMAT_DIR, sample, samplePath, sampleView, toOptions } from '../helpers/samples.js';
import { leftoverFiles, segmentOffsets, segmentVersions } from '../helpers/segments.js';

const BOTH: Options = { keyIndex: true, timeIndex: true };
const v = (version: Version, o: Options = {}): Options => ({ ...o, version: { newSegmentsVersion: version } });

/** The files recover must leave for a damaged sample: the sample's, with expected/<name>/ over them. */
async function recoveredFingerprints(name: string): Promise<Record<string, FileFingerprint>> {
  return {
    ...(await fingerprintDir(samplePath(name))),
    ...(await fingerprintDir(path.join(FORMAT_DIR, 'expected', name))),
  };
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('maintenance: check, recover, backup, migrate, gc', function () {
  const { openLog, closeLog } = useOpenLogs();
  const tempDir = useTempDirs('klevdb-maint-');

  async function readAll(dir: string, opts: Options): Promise<ReturnType<typeof views>> {
    const log = await openLog(dir, { ...opts, readonly: true });
    try {
      return views(await consumeAll(log, 7));
    } finally {
      await closeLog(log);
    }
  }

  describe('damaged samples (beyond format.spec)', function () {
    for (const name of ['v2-torn-tail', 'v2-bad-crc']) {
      const s = sample(name);
      const opts = toOptions(s.options);
      const kept = s.messages.slice(0, s.expected.recover?.keptTotal).map(sampleView);

      it(`${name}: recover waits for no one (ERR_LOCKED beside a reader), repeats as a no-op, and repairs a backup alike`, async function () {
        const dir = await tempDir();
        await copySample(name, dir);
        const bdir = await tempDir();
        await backup(dir, bdir);
        expect(await fingerprintDir(bdir), 'a backup copies the damaged bytes as they are').to.deep.equal(
          await fingerprintDir(samplePath(name)),
        );

        const reader = await openLog(dir, { ...opts, readonly: true });
        await expectLogError(() => recover(dir, opts), 'ERR_LOCKED');
        await closeLog(reader);
        expect(await fingerprintDir(dir), 'nothing changed while locked').to.deep.equal(
          await fingerprintDir(samplePath(name)),
        );

        const want = await recoveredFingerprints(name);
        await recover(dir, opts);
        expect(await fingerprintDir(dir)).to.deep.equal(want);
        await recover(dir, opts);
        expect(await fingerprintDir(dir), 'a second recover changes nothing').to.deep.equal(want);
        await recover(bdir, opts);
        expect(await fingerprintDir(bdir), 'the backup recovers to the same bytes').to.deep.equal(want);
        for (const d of [dir, bdir]) {
          await check(d, opts);
          expect(await readAll(d, opts)).to.deep.equal(kept);
          expect(await leftoverFiles(d)).to.deep.equal([]);
        }
      });

      it(`${name}: the recovered log migrates to V1 and back to the same bytes`, async function () {
        const dir = await tempDir();
        await copySample(name, dir);
        await recover(dir, opts);
        const recovered = await fingerprintDir(dir);
        await migrate(dir, opts, V1);
        expect((await segmentVersions(dir)).map((x) => `${x.log}/${x.index}`)).to.deep.equal(
          s.segments.map(() => 'V1/V1'),
        );
        await check(dir, opts);
        expect(await readAll(dir, opts)).to.deep.equal(kept);
        await migrate(dir, opts, V2);
        expect(await fingerprintDir(dir)).to.deep.equal(recovered);
      });

      it(`${name}: migrate stops with ERR_CORRUPTED at the damaged head, which it leaves as it was`, async function () {
        const dir = await tempDir();
        await copySample(name, dir);
        const head = s.segments[s.segments.length - 1];
        await expectLogError(() => migrate(dir, opts, V1), 'ERR_CORRUPTED');
        // Go's MigrateDir goes segment by segment: those before the head are migrated.
        expect((await segmentVersions(dir)).map((x) => x.log)).to.deep.equal(
          s.segments.map((g) => (g === head ? 'V2' : 'V1')),
        );
        const files = await fingerprintDir(dir);
        const original = await fingerprintDir(samplePath(name));
        for (const f of [head.log, head.index as string]) expect(files[f], f).to.deep.equal(original[f]);
        expect(await leftoverFiles(dir)).to.deep.equal([]);
      });
    }
  });

  describe('migrate (Go Migrate, Segment.Migrate)', function () {
    it('v1-keys-times migrates to the bytes of v2-keys-times and back (the same messages written in each format)', async function () {
      const s1 = sample('v1-keys-times');
      const s2 = sample('v2-keys-times');
      expect(s1.messages.map(sampleView)).to.deep.equal(s2.messages.map(sampleView));
      const opts = toOptions(s1.options);
      const dir = await tempDir();
      await copySample('v1-keys-times', dir);
      await migrate(dir, opts, V2);
      expect(await fingerprintDir(dir)).to.deep.equal(await fingerprintDir(samplePath('v2-keys-times')));
      await migrate(dir, opts, V2);
      expect(await fingerprintDir(dir), 'migrating to the version it has is a no-op').to.deep.equal(
        await fingerprintDir(samplePath('v2-keys-times')),
      );
      await migrate(dir, opts, V1);
      expect(await fingerprintDir(dir)).to.deep.equal(await fingerprintDir(samplePath('v1-keys-times')));
      expect(await readAll(dir, opts)).to.deep.equal(s1.messages.map(sampleView));
    });

    it('v2-times-edge (pre-epoch, sub-ms, decreasing times) survives V2 -> V1 -> V2 to the byte, with every time exact', async function () {
      const s = sample('v2-times-edge');
      const opts = toOptions(s.options);
      const dir = await tempDir();
      await copySample(s.name, dir);
      await migrate(dir, opts, V1);
      expect(await readAll(dir, opts)).to.deep.equal(s.messages.map(sampleView));
      const log = await openLog(dir, { ...opts, readonly: true });
      for (const m of s.messages) {
        if (m.indexTime !== undefined) {
          const byTime = await log.getByTime(new Date(Math.floor(m.indexTime / 1000)));
          expect(byTime.offset, `getByTime at the index time of ${m.offset}`).to.be.at.most(m.offset);
        }
      }
      await closeLog(log);
      await check(dir, opts);
      await migrate(dir, opts, V2);
      expect(await fingerprintDir(dir)).to.deep.equal(await fingerprintDir(samplePath(s.name)));
    });

    it('v2-multi-segment: logs round-trip to the byte; a rebuilt index restarts a carried index time (klevdb)', async function () {
      const s = sample('v2-multi-segment');
      const opts = toOptions(s.options);
      const carried = s.messages.filter((m) => m.indexTime !== m.unixMicro);
      expect(
        carried.map((m) => m.offset),
        'the sample carries the index time into segment 13',
      ).to.deep.equal([13]);
      const dir = await tempDir();
      await copySample(s.name, dir);
      await migrate(dir, opts, V1);
      expect(await readAll(dir, opts)).to.deep.equal(s.messages.map(sampleView));
      await migrate(dir, opts, V2);
      const files = await fingerprintDir(dir);
      const original = await fingerprintDir(samplePath(s.name));
      const idx13 = segmentFile(13, 'index');
      for (const f of Object.keys(original)) if (f !== idx13) expect(files[f], f).to.deep.equal(original[f]);
      const before = await readFile(path.join(samplePath(s.name), idx13));
      const after = await readFile(path.join(dir, idx13));
      expect(after.length).to.equal(before.length);
      // V2 index: 8-byte header, then items of offset, position, time, key hash: item 0's time is bytes 24..32.
      const TIME = 8 + 16;
      expect(after.subarray(0, TIME)).to.deep.equal(before.subarray(0, TIME));
      expect(after.subarray(TIME + 8)).to.deep.equal(before.subarray(TIME + 8));
      expect(Number(before.readBigInt64BE(TIME))).to.equal(carried[0].indexTime);
      expect(Number(after.readBigInt64BE(TIME))).to.equal(carried[0].unixMicro);
      await check(dir, opts);
    });

    it('mixed-v1-v2: only segments in the other version are rewritten, each way', async function () {
      const s = sample('mixed-v1-v2');
      const opts = toOptions(s.options);
      const dir = await tempDir();
      await copySample(s.name, dir);
      const original = await fingerprintDir(samplePath(s.name));
      await migrate(dir, opts, V2);
      expect((await segmentVersions(dir)).every((x) => x.log === 'V2' && x.index === 'V2')).to.equal(true);
      let files = await fingerprintDir(dir);
      for (const seg of s.segments.filter((g) => g.logVersion === 'V2')) {
        expect(files[seg.log], `${seg.log} was V2 already`).to.deep.equal(original[seg.log]);
        expect(files[seg.index as string]).to.deep.equal(original[seg.index as string]);
      }
      expect(await readAll(dir, opts)).to.deep.equal(s.messages.map(sampleView));
      await migrate(dir, opts, V1);
      files = await fingerprintDir(dir);
      for (const seg of s.segments.filter((g) => g.logVersion === 'V1')) {
        expect(files[seg.log], `${seg.log} is back to its V1 bytes`).to.deep.equal(original[seg.log]);
        expect(files[seg.index as string]).to.deep.equal(original[seg.index as string]);
      }
      expect(await readAll(dir, opts)).to.deep.equal(s.messages.map(sampleView));
      await check(dir, opts);
    });

    it('TestMigrateAPI: a V1 log written through the API becomes the V2 log written directly', async function () {
      const msgs = gen(4);
      const v1dir = await tempDir();
      const v2dir = await tempDir();
      for (const [dir, version] of [
        [v1dir, V1],
        [v2dir, V2],
      ] as const) {
        const log = await openLog(dir, v(version, BOTH));
        await publishBatched(log, msgs, 1);
        await closeLog(log);
      }
      await migrate(v1dir, BOTH, V2);
      expect(await fingerprintDir(v1dir)).to.deep.equal(await fingerprintDir(v2dir));
      const log = await openLog(v1dir, BOTH);
      expect(views(await consumeAll(log))).to.deep.equal(expectedViews(msgs));
    });

    it('round-trips a multi-segment log of varied messages V2 -> V1 -> V2, and each step equals a log written in that format', async function () {
      // Rollovers that split both formats after the same messages: 3 per segment.
      const msgs: PublishMessage[] = Array.from({ length: 20 }, (_, i) => ({
        key: i % 4 === 0 ? null : `key-${i % 5}`,
        value: i % 6 === 0 ? null : Buffer.alloc(40, i),
        timeMicros: GEN_BASE_MICROS + i * 1_500_001,
      }));
      const write = async (version: Version): Promise<string> => {
        const dir = await tempDir();
        const log = await openLog(dir, v(version, { ...BOTH, rollover: version === V2 ? 3 * 76 + 7 : 3 * 68 - 1 }));
        await publishBatched(log, msgs, 3);
        await closeLog(log);
        return dir;
      };
      const [direct2, direct1] = [await write(V2), await write(V1)];
      expect(await segmentOffsets(direct2)).to.deep.equal(await segmentOffsets(direct1));
      const dir = await tempDir();
      await copyDir(direct2, dir);
      await migrate(dir, BOTH, V1);
      expect(await fingerprintDir(dir)).to.deep.equal(await fingerprintDir(direct1));
      await migrate(dir, BOTH, V2);
      expect(await fingerprintDir(dir)).to.deep.equal(await fingerprintDir(direct2));
      expect(await readAll(dir, BOTH)).to.deep.equal(expectedViews(msgs));
    });

    it('takes the writer lock: ERR_LOCKED beside an open log, which it leaves alone', async function () {
      const dir = await tempDir();
      const log = await openLog(dir, v(V1, BOTH));
      await log.publish(gen(3));
      await log.sync();
      const files = await fingerprintDir(dir);
      await expectLogError(() => migrate(dir, BOTH, V2), 'ERR_LOCKED');
      expect(await fingerprintDir(dir)).to.deep.equal(files);
      await closeLog(log);
      await migrate(dir, BOTH, V2);
      expect((await segmentVersions(dir))[0]).to.deep.include({ log: 'V2', index: 'V2' });
    });

    describe('eagerVersionMigrate on open (testVersionEagerMigrate)', function () {
      it('migrates every segment before the first read; a readonly open migrates nothing', async function () {
        const dir = await tempDir();
        const rollover = 2 * (28 + 10 + 128);
        const first = await openLog(dir, { rollover, version: { newSegmentsVersion: V1 } });
        await publishBatched(first, gen(4), 1);
        await closeLog(first);
        expect((await segmentVersions(dir)).map((x) => x.log)).to.deep.equal(['V1', 'V1']);
        const files = await fingerprintDir(dir);

        const ro = await openLog(dir, {
          rollover,
          readonly: true,
          version: { newSegmentsVersion: V2, eagerVersionMigrate: true },
        });
        expect(views(await consumeAll(ro))).to.deep.equal(expectedViews(gen(4)));
        await closeLog(ro);
        expect(await fingerprintDir(dir), 'readonly: no migration').to.deep.equal(files);

        const log = await openLog(dir, { rollover, version: { newSegmentsVersion: V2, eagerVersionMigrate: true } });
        expect(await segmentVersions(dir)).to.deep.equal([
          { offset: 0, log: 'V2', index: 'V2' },
          { offset: 3, log: 'V2', index: 'V2' },
        ]);
        expect(views(await consumeAll(log))).to.deep.equal(expectedViews(gen(4)));
        expect(await log.publish(gen(1, 4))).to.equal(5);
      });

      it('turns the v1-keys-times sample into the v2-keys-times files', async function () {
        const s = sample('v1-keys-times');
        const dir = await tempDir();
        await copySample(s.name, dir);
        const log = await openLog(
          dir,
          toOptions(s.options, { version: { newSegmentsVersion: V2, eagerVersionMigrate: true } }),
        );
        expect(views(await consumeAll(log))).to.deep.equal(s.messages.map(sampleView));
        await closeLog(log);
        expect(await fingerprintDir(dir)).to.deep.equal(await fingerprintDir(samplePath('v2-keys-times')));
      });
    });
  });

  describe('backup', function () {
    const segmented: Options = { ...BOTH, rollover: 3 * GEN_V2_SIZE - 1 };
    /** A log of `count` gen() messages, three per segment; closed unless `keepOpen`. */
    async function written(count: number, keepOpen = false): Promise<{ dir: string; log: Log }> {
      const dir = await tempDir();
      const log = await openLog(dir, segmented);
      await publishBatched(log, gen(count), 1);
      if (!keepOpen) await closeLog(log);
      return { dir, log };
    }

    it('of an open log while another loop publishes: every copy opens, passes check and is a prefix', async function () {
      this.timeout(30_000);
      for (const version of [V1, V2]) {
        const dir = await tempDir();
        const opts = v(version, { ...BOTH, rollover: 700 });
        const log = await openLog(dir, opts);
        const msgs: PublishMessage[] = Array.from({ length: 300 }, (_, i) => ({
          key: `k${i % 11}`,
          value: `value ${i} `.repeat(1 + (i % 5)),
          timeMicros: GEN_BASE_MICROS + i,
        }));
        await log.publish(msgs.slice(0, 20));
        const fresh = [await tempDir(), await tempDir(), await tempDir()];
        const same = await tempDir(); // backed up into again and again
        let writing = true;
        const copies: { dir: string; next: number }[] = [];
        const midWrite = (): boolean => copies.some((c) => c.next > 20 && c.next < msgs.length);
        const writer = (async () => {
          for (let i = 20; i < msgs.length; i += 3) {
            // The last batch waits (at most 10 s) for a copy taken after the first batch: backups slower
            // than the whole write on a busy disk would otherwise leave none between the first and the last.
            if (i + 3 >= msgs.length) {
              const bound = Date.now() + 10_000;
              while (!midWrite() && Date.now() < bound) await new Promise((r) => setTimeout(r, 5));
            }
            await log.publish(msgs.slice(i, i + 3));
            await new Promise((r) => setTimeout(r, 1));
          }
          writing = false;
        })();
        const backups = (async () => {
          for (let k = 0; writing || k < 5; k++) {
            const target = k < fresh.length ? fresh[k] : same;
            await log.backup(target);
            const copy = await open(target, { ...opts, readonly: true });
            copies.push({ dir: target, next: await copy.nextOffset() });
            await copy.close();
            await new Promise((r) => setImmediate(r));
          }
        })();
        await Promise.all([writer, backups]);
        expect(copies.length).to.be.greaterThan(4);
        expect(midWrite(), 'a backup landed while the log was written').to.equal(true);
        let last = 0;
        for (const [k, c] of copies.entries()) {
          if (c.dir === same) {
            expect(c.next, 'a later backup into the same dir is no older').to.be.at.least(last);
            last = c.next;
          }
          expect(c.next, `copy ${k}`).to.be.at.least(20);
        }
        const final = await log.nextOffset();
        await log.backup(same); // once more, after the writes: the copy catches up
        await closeLog(log);
        for (const target of [...fresh, same]) {
          await check(target, opts);
          const copy = await openLog(target, { ...opts, check: true });
          const n = await copy.nextOffset();
          expect(views(await consumeAll(copy)), `${version.name} copy in ${target}`).to.deep.equal(
            expectedViews(msgs.slice(0, n)),
          );
          expect((await copy.getByKey('k3')).offset).to.equal([...Array(n).keys()].filter((i) => i % 11 === 3).pop());
          await closeLog(copy);
        }
        expect(final).to.equal(msgs.length);
        expect(await readAll(same, opts)).to.deep.equal(expectedViews(msgs));
      }
    });

    it('into an older backup skips files of the same size and modification time (klevdb copyFile)', async function () {
      const opts = segmented;
      const { dir, log } = await written(8, true);
      const bdir = await tempDir();
      const stamps = async (): Promise<Record<string, bigint>> => {
        const out: Record<string, bigint> = {};
        for (const f of await listLogFiles(bdir)) out[f] = statSync(path.join(bdir, f), { bigint: true }).ctimeNs;
        return out;
      };
      const sealed = [0, 3].flatMap((o) => [segmentFile(o, 'log'), segmentFile(o, 'index')]);
      // An open log: its sealed segments are skipped the second time.
      await log.backup(bdir);
      const first = await stamps();
      await new Promise((r) => setTimeout(r, 20));
      await log.backup(bdir);
      const second = await stamps();
      for (const f of sealed) expect(second[f], `${f} of an open log`).to.equal(first[f]);
      await closeLog(log);
      // A closed directory: every file is skipped the second time.
      await backup(dir, bdir);
      const third = await stamps();
      await new Promise((r) => setTimeout(r, 20));
      await backup(dir, bdir);
      expect(await stamps(), 'nothing written into an up-to-date backup').to.deep.equal(third);
      expect(await fingerprintDir(bdir)).to.deep.equal(await fingerprintDir(dir));
      await check(bdir, opts);
    });

    it('into an older backup of a closed dir copies again what a delete rewrote', async function () {
      const opts = segmented;
      const { dir } = await written(9);
      const bdir = await tempDir();
      await backup(dir, bdir);
      expect(await fingerprintDir(bdir)).to.deep.equal(await fingerprintDir(dir));
      // A middle message of segment 3: rewritten under the same name, smaller.
      const again = await openLog(dir, opts);
      await again.delete([4]);
      await closeLog(again);
      await backup(dir, bdir);
      expect(await fingerprintDir(bdir)).to.deep.equal(await fingerprintDir(dir));
      await check(bdir, opts);
      expect(await readAll(bdir, opts)).to.deep.equal(expectedViews(gen(9)).filter((m) => m.offset !== 4));
    });

    it('of an open log after deletes holds the log as it is, and an earlier copy keeps what was deleted since', async function () {
      const opts = segmented;
      const { dir, log } = await written(9, true);
      const before = await tempDir();
      await log.backup(before);
      await log.delete([0, 1]);
      await log.delete([7]);
      const after = await tempDir();
      await log.backup(after);
      expect(await segmentOffsets(after)).to.deep.equal(await segmentOffsets(dir));
      expect(await readAll(before, opts)).to.deep.equal(expectedViews(gen(9)));
      expect(await readAll(after, opts)).to.deep.equal(views(await consumeAll(log)));
      expect(await readAll(after, opts)).to.deep.equal(
        expectedViews(gen(9)).filter((m) => ![0, 1, 7].includes(m.offset)),
      );
      for (const d of [before, after]) await check(d, opts);
    });
  });

  describe('gc (TestConcurrent GC)', function () {
    it('gc(0) releases the segments read so far; every read works after it', async function () {
      const dir = await tempDir();
      const opts: Options = { ...BOTH, rollover: 2 * GEN_V2_SIZE - 1 };
      const log = await openLog(dir, opts);
      await publishBatched(log, gen(20), 1);
      await closeLog(log);
      const ro = await openLog(dir, { ...opts, readonly: true });
      const want = expectedViews(gen(20));
      expect(views(await consumeAll(ro))).to.deep.equal(want);
      const loaded = openFds();
      await ro.gc(60_000);
      expect(openFds(), 'gc(60s) right after reading keeps everything').to.equal(loaded);
      await ro.gc(0);
      expect(loaded - openFds(), 'gc(0) closes the files of the 9 segments before the head').to.be.at.least(9);
      expect(views(await consumeAll(ro))).to.deep.equal(want);
      await ro.gc(0);
      expect(view(await ro.get(3))).to.deep.equal(want[3]);
      await ro.gc(0);
      expect((await ro.getByKey(gen(1, 5)[0].key as string)).offset).to.equal(5);
      await ro.gc(0);
      expect((await ro.getByTime(new Date(GEN_BASE_MICROS / 1000 + 7_000))).offset).to.equal(7);
      expect(await ro.stat()).to.include({ segments: 10, messages: 20 });
    });

    it('gc(0) on a writer, then deletes and publishes, in a loop beside a consumer (testConcurrentGC)', async function () {
      const dir = await tempDir();
      const opts: Options = { ...BOTH, rollover: 10 * GEN_V2_SIZE };
      const log = await openLog(dir, opts);
      await publishBatched(log, gen(100), 10);
      const first10 = expectedViews(gen(10));
      // Until both loops went round enough times side by side (counted, not a time window: a busy
      // machine may give a window few turns); the bound only turns a stuck loop into a failure.
      const ROUNDS = 20;
      const bound = Date.now() + 30_000;
      let consumes = 0;
      let gcs = 0;
      const going = (): boolean => (consumes < ROUNDS || gcs < ROUNDS) && Date.now() < bound;
      await Promise.all([
        (async () => {
          while (going()) {
            const r = await log.consume(OffsetOldest, 32);
            expect(r.nextOffset).to.equal(10);
            expect(views(r.messages)).to.deep.equal(first10);
            consumes++;
            await new Promise((res) => setImmediate(res));
          }
        })(),
        (async () => {
          while (going()) {
            await log.gc(0);
            gcs++;
            await new Promise((res) => setTimeout(res, 1));
          }
        })(),
      ]);
      expect(consumes, 'consumes beside the gcs').to.be.at.least(ROUNDS);
      expect(gcs, 'gcs beside the consumes').to.be.at.least(ROUNDS);
      await log.gc(0);
      await log.delete([50]);
      await log.gc(0);
      expect(await log.publish(gen(1, 100))).to.equal(101);
      expect(views(await consumeAll(log))).to.deep.equal(expectedViews(gen(101)).filter((m) => m.offset !== 50));
    });
  });

  // A log of small records whose head (the third segment) holds `headCount` of them.
  const small = (i: number): PublishMessage => ({
    key: `k${i % 3}`,
    value: `value-${String(i).padStart(3, '0')}`,
    timeMicros: GEN_BASE_MICROS + i * 1000,
  });
  const SMALL_BODY = 2 + 9;

  async function smallLog(
    version: Version,
    count: number,
  ): Promise<{ dir: string; opts: Options; headStart: number; recordSize: number }> {
    const recordSize = (version === V2 ? 36 : 28) + SMALL_BODY;
    const opts = v(version, { ...BOTH, rollover: 3 * recordSize - 1 });
    const dir = await tempDir();
    const log = await openLog(dir, opts);
    await publishBatched(
      log,
      Array.from({ length: count }, (_, i) => small(i)),
      1,
    );
    await closeLog(log);
    const segs = await segmentOffsets(dir);
    return { dir, opts, headStart: segs[segs.length - 1], recordSize };
  }

  describe('a head cut at every byte of its last record', function () {
    this.timeout(60_000);
    for (const version of [V1, V2]) {
      it(`${version.name}: open with recover keeps exactly the whole records before it, the files of a log without it, and check passes`, async function () {
        const total = 8; // segments [0,1,2] [3,4,5] [6,7]
        const { dir, opts, headStart, recordSize } = await smallLog(version, total);
        expect(headStart).to.equal(6);
        const reference = (await smallLog(version, total - 1)).dir;
        const want = await fingerprintDir(reference);
        const headLog = segmentFile(headStart, 'log');
        const size = await fileSize(path.join(dir, headLog));
        const lastStart = size - recordSize;
        const kept = expectedViews(Array.from({ length: total - 1 }, (_, i) => small(i)));
        const work = await tempDir();
        for (let cut = lastStart; cut < size; cut++) {
          const trial = path.join(work, String(cut));
          await copyDir(dir, trial);
          await truncateFile(path.join(trial, headLog), cut);
          if (cut > lastStart) await expectLogError(() => check(trial, opts), 'ERR_CORRUPTED');
          const log = await open(trial, { ...opts, recover: true });
          try {
            expect(await log.nextOffset(), `cut at ${cut}`).to.equal(total - 1);
            expect(views(await consumeAll(log)), `cut at ${cut}`).to.deep.equal(kept);
          } finally {
            await log.close();
          }
          await check(trial, opts);
          expect(await fingerprintDir(trial), `files after a cut at ${cut}`).to.deep.equal(want);
          expect(await leftoverFiles(trial)).to.deep.equal([]);
        }
      });
    }
  });

  describe('a flipped byte in a record of the head', function () {
    this.timeout(60_000);
    for (const version of [V1, V2]) {
      // V1's CRC covers only key and value: flips in the offset and time go unseen by it.
      const from = version === V1 ? 16 : 0;
      it(`${version.name}: check is ERR_CORRUPTED; recover drops that record and every one after it (bytes ${from}.. of the record)`, async function () {
        const total = 9; // segments [0,1,2] [3,4,5] and a head [6,7,8]
        const { dir, opts, headStart, recordSize } = await smallLog(version, total);
        expect(headStart).to.equal(6);
        const damaged = 7; // the head's middle record
        const want = await fingerprintDir((await smallLog(version, damaged)).dir);
        const headLog = segmentFile(headStart, 'log');
        const recordStart = (version === V2 ? 8 : 0) + (damaged - headStart) * recordSize;
        const kept = expectedViews(Array.from({ length: damaged }, (_, i) => small(i)));
        const work = await tempDir();
        for (let b = from; b < recordSize; b++) {
          const trial = path.join(work, String(b));
          await copyDir(dir, trial);
          await flipByte(path.join(trial, headLog), recordStart + b);
          await expectLogError(() => check(trial, opts), 'ERR_CORRUPTED');
          await recover(trial, opts);
          expect(await fingerprintDir(trial), `files after flipping byte ${b}`).to.deep.equal(want);
          await check(trial, opts);
          const log = await open(trial, opts);
          try {
            expect(views(await consumeAll(log)), `flipped byte ${b}`).to.deep.equal(kept);
            expect(await log.publish([small(damaged)]), 'the log goes on at the dropped offset').to.equal(damaged + 1);
          } finally {
            await log.close();
          }
        }
      });
    }
  });
});
