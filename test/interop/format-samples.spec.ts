// The format samples of ../shared/format were written by an independent
// encoder that follows klevdb's Go source. Here the real Go library writes
// each of them again from its manifest (the same options, phases, batches,
// keys, values and times) and every file is compared byte for byte; a
// mismatch lists every differing byte. The damaged samples are compared with
// Go's undamaged log (only the damage may differ), and Go's check, recover
// and reindex of them must give the manifest's outcome and expected/ files.
import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fingerprint, useTempDirs } from '../helpers/fs.js';
import { copySample, FORMAT_DIR, manifest, samplePath, samplePublish, sampleView, toOptions } from '../helpers/samples.js';
import type { Sample } from '../helpers/samples.js';
import type { TypedSampleMessage } from '../helpers/typed-samples.js';
import { goCheck, goRead, goRecover, goWrite } from './go-log.js';
import type { GoCodecs } from './go-log.js';
import { requireKlevgo } from './klevgo.js';

interface ByteDiff {
  file: string;
  sizes: [shared: number, go: number];
  /** [position, shared byte, Go byte] of every differing byte within the shorter length. */
  bytes: [number, number, number][];
}

/** Every byte where two files differ, and their sizes. */
async function diffFile(file: string, shared: string, go: string): Promise<ByteDiff | null> {
  const a = await readFile(shared);
  const b = await readFile(go);
  const bytes: [number, number, number][] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) bytes.push([i, a[i]!, b[i]!]);
  return bytes.length === 0 && a.length === b.length ? null : { file, sizes: [a.length, b.length], bytes };
}

const segmentFiles = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => n !== '.lock').sort();

/** Writes the sample again through Go klevdb, phase by phase, as the manifest says it was written. */
async function regenerate(s: Sample, dir: string): Promise<void> {
  let next = 0;
  for (const phase of s.phases) {
    const batches = phase.batches.map((n) => s.messages.slice(next, (next += n)).map(samplePublish));
    await goWrite(dir, toOptions(phase.options), batches);
  }
  expect(next, 'the phases publish every message').to.equal(s.messages.length);
}

async function diffDirs(s: Sample, goDir: string): Promise<{ onlyShared: string[]; onlyGo: string[]; diffs: ByteDiff[] }> {
  const shared = await segmentFiles(samplePath(s.name));
  const go = await segmentFiles(goDir);
  const diffs: ByteDiff[] = [];
  for (const f of shared.filter((n) => go.includes(n))) {
    const d = await diffFile(f, path.join(samplePath(s.name), f), path.join(goDir, f));
    if (d) diffs.push(d);
  }
  return { onlyShared: shared.filter((n) => !go.includes(n)), onlyGo: go.filter((n) => !shared.includes(n)), diffs };
}

const TYPED_CODECS: Record<string, GoCodecs> = {
  'typed-string-varint': { keyCodec: 'string', valueCodec: 'varint' },
  'typed-stringopt': { keyCodec: 'stringopt', valueCodec: 'stringopt' },
  'typed-json': { keyCodec: 'string', valueCodec: 'json' },
};

describe('interop with Go klevdb: the shared format samples, written again by Go', function () {
  before(async function () {
    await requireKlevgo(this);
  });
  const tempDir = useTempDirs('klevdb-interop-format-');

  it(`reads ${FORMAT_DIR}/manifest.json`, function () {
    expect(manifest.samples.length).to.be.greaterThan(10);
  });

  for (const s of manifest.samples) {
    const damaged = s.expected.check.ok === false || s.expected.readErrors !== undefined || s.expected.reindex !== undefined;

    it(`${s.name}: Go writes the same messages with the same options to ${damaged ? 'the same bytes but for the damage' : 'the same bytes'}`, async function () {
      const dir = await tempDir();
      await regenerate(s, dir);
      const { onlyShared, onlyGo, diffs } = await diffDirs(s, dir);
      expect(onlyShared, 'files only in the shared sample').to.deep.equal([]);
      if (s.name === 'v2-missing-index') {
        expect(onlyGo, 'the indexes the sample lacks').to.deep.equal(['00000000000000000000.index', '00000000000000000026.index']);
      } else {
        expect(onlyGo, 'files only Go wrote').to.deep.equal([]);
      }
      if (s.name === 'v2-torn-tail') {
        // The sample's head log is Go's cut short: one file, shorter, no other byte different.
        expect(diffs.map((d) => ({ ...d, shorter: d.sizes[0] < d.sizes[1] }))).to.deep.equal([
          { file: '00000000000000000026.log', sizes: diffs[0]?.sizes, bytes: [], shorter: true },
        ]);
      } else if (s.name === 'v2-bad-crc' || s.name === 'v2-bad-crc-nonhead') {
        expect(diffs.length, JSON.stringify(diffs)).to.equal(1);
        expect(diffs[0]!.bytes.length, `one flipped byte: ${JSON.stringify(diffs[0])}`).to.equal(1);
        expect(diffs[0]!.sizes[0]).to.equal(diffs[0]!.sizes[1]);
      } else {
        expect(diffs, 'every differing byte').to.deep.equal([]);
      }
      const rebuilt = await Promise.all(s.segments.map(async (seg) => (await fingerprint(path.join(dir, seg.log))).sha256));
      if (!damaged) expect(rebuilt).to.deep.equal(s.segments.map((seg) => seg.logSha256));
    });

    it(`${s.name}: Go's check ${s.expected.check.ok ? 'passes' : `fails with "${s.expected.check.error}"`}${s.expected.recover?.log ? ' and its recover gives the expected/ files' : ''}`, async function () {
      const dir = await tempDir();
      await copySample(s.name, dir);
      const opts = toOptions(s.options);
      const outcome = await goCheck(dir, opts);
      expect(outcome.ok, JSON.stringify(outcome)).to.equal(s.expected.check.ok);
      if (!s.expected.check.ok) expect(outcome.error).to.include(s.expected.check.error!);
      if (s.expected.recover?.log) {
        expect(await goRecover(dir, opts)).to.deep.equal({ ok: true });
        for (const f of [s.expected.recover.log, s.expected.recover.index!]) {
          const got = await fingerprint(path.join(dir, path.basename(f.file)));
          expect(got, f.file).to.deep.equal({ size: f.size, sha256: f.sha256 });
          const d = await diffFile(path.basename(f.file), path.join(FORMAT_DIR, f.file), path.join(dir, path.basename(f.file)));
          expect(d, 'every differing byte').to.equal(null);
        }
        const kept = s.expected.recover.keptTotal!;
        expect((await goRead(dir, opts)).messages, 'Go reads the kept prefix').to.deep.equal(s.messages.slice(0, kept).map(sampleView));
      }
    });

    if (s.expected.readErrors !== undefined) {
      it(`${s.name}: Go's read fails on the damaged record ("${s.expected.readErrors[0]!.error}")`, async function () {
        const dir = await tempDir();
        await copySample(s.name, dir);
        const failed = await goRead(dir, toOptions(s.options)).then(() => null, (err: Error) => err.message);
        expect(failed).to.include(s.expected.readErrors![0]!.error);
      });
    } else if (s.expected.recover?.keptTotal === undefined) {
      it(`${s.name}: Go reads every message of the sample${s.expected.reindex ? ', rebuilding the missing indexes to the expected/ files' : ''}${s.name in TYPED_CODECS ? ' and decodes the typed values with its codecs' : ''}`, async function () {
        const dir = await tempDir();
        await copySample(s.name, dir);
        const codecs = TYPED_CODECS[s.name] ?? {};
        const go = await goRead(dir, toOptions(s.options), codecs);
        expect(go.messages).to.deep.equal(s.messages.map(sampleView));
        expect(go.nextOffset).to.equal(s.nextOffset);
        for (const f of s.expected.reindex?.files ?? []) {
          expect(await fingerprint(path.join(dir, path.basename(f.file))), f.file).to.deep.equal({ size: f.size, sha256: f.sha256 });
        }
        if (s.name in TYPED_CODECS) {
          const typed = go.raw.map((l) => ({ key: l['typedKey'], keyEmpty: l['keyEmpty'], value: l['typedValue'], valueEmpty: l['valueEmpty'] }));
          expect(typed).to.deep.equal(
            (s.messages as TypedSampleMessage[]).map((m) => ({ key: m.typed.key, keyEmpty: m.typed.keyEmpty, value: m.typed.value, valueEmpty: m.typed.valueEmpty })),
          );
        }
      });
    }
  }
});
