// klevdb check, recover, backup and migrate, and progress bars.
import { createHash } from 'node:crypto';
import { readFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { open } from '../../src/index.js';
import { FORMAT_DIR, Workspace, expectError, klevdb, ok, okJson, sample } from './helpers.js';

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('klevdb CLI: check, recover, backup, migrate', function () {
  const ws = new Workspace();
  after(() => ws.remove());

  it('check passes on intact samples, with --all reading every segment', async () => {
    const multi = ws.sample('v2-multi-segment');
    expect(await ok(['check', multi])).to.match(/^ok: .*: head segment 00000000000000000054 is intact \(of 5 segments/);
    expect(await okJson(['check', multi, '--all'])).to.deep.include({
      ok: true,
      checked: 'all',
      segments: 5,
      error: null,
    });
    expect(await ok(['check', ws.sample('v1-keys-times')])).to.match(/^ok: /);
  });

  for (const name of ['v2-torn-tail', 'v2-bad-crc']) {
    it(`check finds the damaged head of ${name} (exit 3), recover repairs it byte for byte as klevdb does`, async () => {
      const s = sample(name);
      const dir = ws.sample(name);
      const r = await klevdb(['check', dir]);
      expectError(r, 3, new RegExp(`is corrupted: ${s.expected.check.error}.*run \`klevdb recover `));
      const json = await klevdb(['check', dir, '--json']);
      expect(json.code).to.equal(3);
      expect(JSON.parse(json.stdout)).to.include({ ok: false, checked: 'head' });

      const rec = s.expected.recover!;
      const out = await okJson<{ dropped: number; nextOffset: number; nextOffsetBefore: number }>(['recover', dir]);
      expect(out.nextOffset).to.equal(rec.nextOffset);
      expect(out.dropped).to.equal(rec.droppedOffsets!.length);
      for (const f of [rec.log!, rec.index!]) {
        expect(sha256(path.join(dir, path.basename(f.file))), f.file).to.equal(f.sha256);
        expect(f.sha256).to.equal(sha256(path.join(FORMAT_DIR, f.file)));
      }
      expect(await ok(['check', dir])).to.match(/^ok: /);
      expect(await ok(['recover', dir])).to.match(/nothing to recover/);
    });
  }

  it('check tells a head a killed writer left from damage (no recover needed); recover indexes its whole messages', async () => {
    const dir = ws.fresh('killed-writer');
    const log = await open(dir, { createDirs: true, keyIndex: true, timeIndex: true });
    for (let i = 0; i < 5; i++) await log.publish([{ key: `k${i}`, value: `v${i}` }]);
    await log.close();
    // What a kill between a publish's log write and its index write leaves: two records with no index item.
    const index = path.join(dir, '00000000000000000000.index');
    truncateSync(index, statSync(index).size - 2 * 32);
    expectError(
      await klevdb(['check', dir]),
      3,
      /was left by a writer killed in the middle of a publish: .*holds 2 whole messages after its last indexed one.*starting your app \(any open for writing\) or `klevdb recover /,
    );
    const out = await okJson<{ dropped: number; indexed: number; nextOffset: number }>(['recover', dir]);
    expect(out).to.include({ dropped: 0, indexed: 2, nextOffset: 5 });
    expect(await ok(['check', dir])).to.match(/^ok: /);
  });

  it('check --all finds a damaged record outside the head segment and names its offset', async () => {
    const dir = ws.sample('v2-bad-crc-nonhead');
    const bad = sample('v2-bad-crc-nonhead').expected.readErrors![0]!.offset;
    expect(await ok(['check', dir])).to.match(/^ok: /); // klevdb's check looks at the head only
    expectError(
      await klevdb(['check', dir, '--all']),
      3,
      new RegExp(`the message at offset ${bad} cannot be read \\(log corrupted: crc failed`),
    );
    expectError(
      await klevdb(['get', dir, '--offset', String(bad)]),
      3,
      /is corrupted: log corrupted: crc failed.*klevdb check --all/,
    );
  });

  it('backup copies a log that then reads the same; a second backup into it skips nothing it needs', async () => {
    const src = ws.sample('mixed-v1-v2');
    const dst = ws.fresh('backup');
    const r = await okJson<{ files: number; messages: number; nextOffset: number; besideWriter: boolean }>([
      'backup',
      src,
      dst,
    ]);
    expect(r).to.include({ files: 14, messages: 40, nextOffset: 40, besideWriter: false });
    const [a, b] = await Promise.all([
      ok(['consume', src, '--json', '--base64']),
      ok(['consume', dst, '--json', '--base64']),
    ]);
    expect(b).to.equal(a);
    await ok(['publish', src, 'k', 'v']);
    await ok(['backup', src, dst]);
    expect((await okJson(['stat', dst])).nextOffset).to.equal(41);
    expectError(await klevdb(['backup', src, path.join(src, 'inside')]), 1, /into a directory outside it/);
  });

  it('migrate rewrites every segment to V1 and back to V2, keeping every message', async () => {
    const dir = ws.sample('mixed-v1-v2');
    const before = await ok(['consume', dir, '--json', '--base64']);
    expect(await okJson(['migrate', dir, '--to', 'V2'])).to.deep.include({ version: 'V2', segments: 7, rewritten: 3 });
    let st = await okJson<{ segmentFiles: { logVersion: string; indexVersion: string }[] }>(['stat', dir]);
    expect(st.segmentFiles.map((f) => f.logVersion + f.indexVersion)).to.deep.equal(Array(7).fill('V2V2'));
    expect(await ok(['migrate', dir, '--to', 'v1'])).to.match(/^migrated .* to V1: 7 of 7 segments rewritten\n$/);
    st = await okJson(['stat', dir]);
    expect(st.segmentFiles.map((f) => f.logVersion + f.indexVersion)).to.deep.equal(Array(7).fill('V1V1'));
    expect(await ok(['consume', dir, '--json', '--base64'])).to.equal(before);
    expectError(await klevdb(['migrate', dir, '--to', 'V3']), 1, /--to must be V1 or V2, got 'V3'/);
    expectError(await klevdb(['migrate', dir]), 1, /required option '--to <version>' not specified/);
  });

  it('progress bars: none when piped, on stderr with --progress', async () => {
    const quiet = await klevdb(['migrate', ws.sample('mixed-v1-v2'), '--to', 'V2']);
    expect(quiet.code).to.equal(0);
    expect(quiet.stderr).to.equal('');
    expect(quiet.stdout).to.not.match(/\[|%/);
    const loud = await klevdb(['migrate', ws.sample('mixed-v1-v2'), '--to', 'V2', '--progress']);
    expect(loud.code).to.equal(0);
    expect(loud.stderr).to.match(/migrate \[.*\] 100% 7\/7 segments/);
    expect(loud.stdout).to.match(/^migrated /);
    const trim = await klevdb(['trim', ws.sample('v2-multi-segment'), '--count', '5', '--progress']);
    expect(trim.stderr).to.match(/trimByCount \[.*\] 100% 55\/55 messages/);
  });
});
