// The shared format samples: reading what an independent klevdb encoder
// wrote, writing the same bytes, and the check/recover/reindex outcomes of
// the damaged samples (shared/format/README.md, manifest.json).
import { expect } from 'chai';
import path from 'node:path';
import { OffsetOldest } from '../../src/index.js';
import type { Log, Options } from '../../src/index.js';
import { check, open, recover } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { fingerprint, fingerprintDir, listLogFiles, useTempDirs } from '../helpers/fs.js';
import type { FileFingerprint } from '../helpers/fs.js';
import { consumeAll, indexItemSize, V1_RECORD_OVERHEAD, V2_RECORD_OVERHEAD, view, views } from '../helpers/messages.js';
import {
  copySample,
  DAMAGED_SAMPLES,
  FORMAT_DIR,
  manifest,
  sample,
  samplePublish,
  sampleView,
  toOptions,
} from '../helpers/samples.js';
import type { Sample } from '../helpers/samples.js';

/** name -> fingerprint of every file the manifest lists for the sample. */
function manifestFingerprints(s: Sample): Record<string, FileFingerprint> {
  const out: Record<string, FileFingerprint> = {};
  for (const seg of s.segments) {
    out[seg.log] = { size: seg.logSize, sha256: seg.logSha256 };
    if (seg.index !== null) out[seg.index] = { size: seg.indexSize as number, sha256: seg.indexSha256 as string };
  }
  return out;
}

async function withLog<T>(dir: string, opts: Options, fn: (log: Log) => Promise<T>): Promise<T> {
  const log = await open(dir, opts);
  try {
    return await fn(log);
  } finally {
    await log.close();
  }
}

describe('format samples', function () {
  const tempDir = useTempDirs('klevdb-format-');

  it('the manifest lists every sample directory it describes', function () {
    expect(manifest.samples.length).to.be.greaterThan(10);
    for (const name of DAMAGED_SAMPLES) expect(sample(name).name).to.equal(name);
  });

  describe('reading (readonly open of a copy)', function () {
    for (const s of manifest.samples.filter(
      (x) => !DAMAGED_SAMPLES.includes(x.name) || x.name === 'v2-missing-index',
    )) {
      it(`${s.name}: every message, nextOffset, stat and size`, async function () {
        const dir = await tempDir();
        await copySample(s.name, dir);
        const opts = toOptions(s.options, { readonly: true });
        await withLog(dir, opts, async (log) => {
          expect(await log.nextOffset(), 'nextOffset').to.equal(s.nextOffset);
          const all = await consumeAll(log);
          expect(views(all)).to.deep.equal(s.messages.map(sampleView));

          for (const m of s.messages) {
            const got = await log.get(m.offset);
            expect(view(got), `get(${m.offset})`).to.deep.equal(sampleView(m));
            expect(got.time.toISOString().slice(0, 23), `time of ${m.offset}`).to.equal(m.time.slice(0, 23));
            const overhead = s.options.version === 'V1' ? V1_RECORD_OVERHEAD : V2_RECORD_OVERHEAD;
            const body = (got.key?.length ?? 0) + (got.value?.length ?? 0);
            expect(log.size(got), `size(${m.offset})`).to.equal(overhead + body + indexItemSize(s.options));
            if (s.segments.every((seg) => seg.logVersion === s.options.version)) {
              expect(overhead + body, `record size of ${m.offset}`).to.equal(m.size);
            }
          }

          if (s.name !== 'v2-missing-index') {
            const stat = await log.stat();
            const size = s.segments.reduce((a, seg) => a + seg.logSize + (seg.indexSize ?? 0), 0);
            expect(stat).to.deep.equal({ segments: s.segments.length, messages: s.messages.length, size });
          }
        });
      });
    }
  });

  describe('key and time lookups on the samples', function () {
    for (const s of manifest.samples.filter((x) => !DAMAGED_SAMPLES.includes(x.name) && x.messages.length > 0)) {
      if (s.options.keyIndex) {
        it(`${s.name}: getByKey gives the last message of each key`, async function () {
          const dir = await tempDir();
          await copySample(s.name, dir);
          await withLog(dir, toOptions(s.options, { readonly: true }), async (log) => {
            const last = new Map<string, number>();
            for (const m of s.messages) if (m.key !== null) last.set(m.key, m.offset);
            expect(last.size).to.be.greaterThan(0);
            for (const [key, offset] of last) {
              const got = await log.getByKey(Buffer.from(key, 'base64'));
              expect(view(got), `getByKey(${key})`).to.deep.equal(sampleView(s.messages[offset]));
              expect(await log.offsetByKey(Buffer.from(key, 'base64'))).to.equal(offset);
            }
          });
        });
      }
      if (s.options.timeIndex && s.segments.length === 1) {
        it(`${s.name}: getByTime gives the first message whose index time is at or after it`, async function () {
          const dir = await tempDir();
          await copySample(s.name, dir);
          await withLog(dir, toOptions(s.options, { readonly: true }), async (log) => {
            for (const m of s.messages) {
              const ms = Math.floor((m.indexTime as number) / 1000);
              const ts = ms * 1000;
              const want = s.messages.find((x) => (x.indexTime as number) >= ts) as (typeof s.messages)[number];
              const got = await log.getByTime(new Date(ms));
              expect(view(got), `getByTime(${new Date(ms).toISOString()})`).to.deep.equal(sampleView(want));
              const byTime = await log.offsetByTime(new Date(ms));
              expect(byTime.offset).to.equal(want.offset);
              expect(byTime.time.getTime()).to.equal(Math.floor(want.unixMicro / 1000));
            }
          });
        });
      }
    }
  });

  describe("byte-identical writing (replaying each sample's publish history)", function () {
    for (const s of manifest.samples.filter((x) => !DAMAGED_SAMPLES.includes(x.name))) {
      it(`${s.name}: same files, sizes and sha256`, async function () {
        const dir = await tempDir();
        let next = 0;
        for (const phase of s.phases) {
          await withLog(dir, toOptions(phase.options), async (log) => {
            for (const n of phase.batches) {
              const batch = s.messages.slice(next, next + n).map(samplePublish);
              expect(await log.publish(batch)).to.equal(next + n);
              next += n;
            }
          });
        }
        expect(next).to.equal(s.messages.length);
        expect(await listLogFiles(dir)).to.deep.equal([...s.files].sort());
        expect(await fingerprintDir(dir)).to.deep.equal(manifestFingerprints(s));
      });
    }
  });

  describe('damaged samples', function () {
    for (const name of ['v2-torn-tail', 'v2-bad-crc']) {
      const s = sample(name);
      const rec = s.expected.recover as NonNullable<typeof s.expected.recover>;
      const headLog = (rec.log as { file: string }).file;
      const headIndex = (rec.index as { file: string }).file;
      const headName = path.basename(headLog);

      it(`${name}: check fails with ERR_CORRUPTED`, async function () {
        expect(s.expected.check.ok).to.equal(false);
        const dir = await tempDir();
        await copySample(name, dir);
        await expectLogError(() => check(dir, toOptions(s.options)), 'ERR_CORRUPTED');
        expect(await fingerprintDir(dir), 'check changes nothing').to.deep.equal(manifestFingerprints(s));
      });

      it(`${name}: open with check fails with ERR_CORRUPTED`, async function () {
        const dir = await tempDir();
        await copySample(name, dir);
        await expectLogError(() => open(dir, toOptions(s.options, { check: true })), 'ERR_CORRUPTED');
      });

      const expectRecovered = async (dir: string): Promise<void> => {
        const files = await fingerprintDir(dir);
        const want = manifestFingerprints(s);
        want[headName] = await fingerprint(path.join(FORMAT_DIR, headLog));
        want[path.basename(headIndex)] = await fingerprint(path.join(FORMAT_DIR, headIndex));
        expect(want[headName]).to.deep.equal({ size: rec.log?.size, sha256: rec.log?.sha256 });
        expect(files).to.deep.equal(want);
        await withLog(dir, toOptions(s.options, { readonly: true }), async (log) => {
          expect(await log.nextOffset()).to.equal(rec.nextOffset);
          expect(views(await consumeAll(log))).to.deep.equal(s.messages.slice(0, rec.keptTotal).map(sampleView));
        });
      };

      it(`${name}: recover keeps the good prefix, files equal expected/${name}/`, async function () {
        const dir = await tempDir();
        await copySample(name, dir);
        await recover(dir, toOptions(s.options));
        await expectRecovered(dir);
        await check(dir, toOptions(s.options));
      });

      it(`${name}: open with recover repairs the head and continues at the recovered offset`, async function () {
        const dir = await tempDir();
        await copySample(name, dir);
        await withLog(dir, toOptions(s.options, { recover: true }), async (log) => {
          expect(await log.nextOffset()).to.equal(rec.nextOffset);
        });
        await expectRecovered(dir);
        await withLog(dir, toOptions(s.options), async (log) => {
          const last = s.messages[s.messages.length - 1];
          expect(await log.publish([samplePublish(last)])).to.equal((rec.nextOffset as number) + 1);
          const got = await log.get(rec.nextOffset as number);
          expect(view(got)).to.deep.equal({ ...sampleView(last), offset: rec.nextOffset });
        });
      });
    }

    describe('v2-bad-crc-nonhead', function () {
      const s = sample('v2-bad-crc-nonhead');
      const bad = (s.expected.readErrors as { offset: number }[])[0].offset;

      it('check passes (only the head is checked) and recover is a no-op', async function () {
        const dir = await tempDir();
        await copySample(s.name, dir);
        await check(dir, toOptions(s.options));
        await recover(dir, toOptions(s.options));
        expect(await fingerprintDir(dir)).to.deep.equal(manifestFingerprints(s));
      });

      it('reading the damaged offset gives ERR_CORRUPTED, every other offset reads normally', async function () {
        const dir = await tempDir();
        await copySample(s.name, dir);
        await withLog(dir, toOptions(s.options, { readonly: true }), async (log) => {
          expect(await log.nextOffset()).to.equal(s.nextOffset);
          await expectLogError(() => log.get(bad), 'ERR_CORRUPTED');
          await expectLogError(() => log.consume(OffsetOldest, 32), 'ERR_CORRUPTED');
          await expectLogError(() => log.consume(bad, 1), 'ERR_CORRUPTED');
          const before = await log.consume(0, bad);
          expect(views(before.messages)).to.deep.equal(s.messages.slice(0, bad).map(sampleView));
          expect(before.nextOffset).to.equal(bad);
          for (const m of s.messages) {
            if (m.offset === bad) continue;
            expect(view(await log.get(m.offset)), `get(${m.offset})`).to.deep.equal(sampleView(m));
          }
          const after: ReturnType<typeof sampleView>[] = [];
          let offset = bad + 1;
          for (;;) {
            const r = await log.consume(offset, 5);
            after.push(...views(r.messages));
            if (r.nextOffset === offset) break;
            offset = r.nextOffset;
          }
          expect(after).to.deep.equal(s.messages.slice(bad + 1).map(sampleView));
        });
      });

      it('open with check succeeds (the damage is not in the head)', async function () {
        const dir = await tempDir();
        await copySample(s.name, dir);
        await withLog(dir, toOptions(s.options, { check: true }), async (log) => {
          expect(await log.nextOffset()).to.equal(s.nextOffset);
        });
      });
    });

    describe('v2-missing-index', function () {
      const s = sample('v2-missing-index');
      const reindex = s.expected.reindex as NonNullable<typeof s.expected.reindex>;

      it('check passes: a missing index is not a failure', async function () {
        const dir = await tempDir();
        await copySample(s.name, dir);
        await check(dir, toOptions(s.options));
      });

      it('opening and reading rebuilds the missing indexes byte-equal to expected/', async function () {
        const dir = await tempDir();
        await copySample(s.name, dir);
        await withLog(dir, toOptions(s.options), async (log) => {
          expect(await log.nextOffset()).to.equal(s.nextOffset);
          expect(views(await consumeAll(log))).to.deep.equal(s.messages.map(sampleView));
          const keyed = s.messages.filter((m) => m.key !== null);
          const first = keyed[0];
          const got = await log.getByKey(Buffer.from(first.key as string, 'base64'));
          const lastOfKey = [...keyed].reverse().find((m) => m.key === first.key);
          expect(got.offset).to.equal(lastOfKey?.offset);
        });
        const files = await fingerprintDir(dir);
        const want = manifestFingerprints(s);
        for (const f of reindex.files) {
          want[path.basename(f.file)] = await fingerprint(path.join(FORMAT_DIR, f.file));
          expect(want[path.basename(f.file)]).to.deep.equal({ size: f.size, sha256: f.sha256 });
        }
        expect(files).to.deep.equal(want);
      });
    });
  });
});
