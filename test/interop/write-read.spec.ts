// Items 1 and 2 of the interop suite: every combination of V1/V2 and the key
// and time indexes, over several segments, written by this library and read
// by the real Go klevdb, written by Go and read here, and the same messages
// giving the same bytes from both.
import { expect } from 'chai';
import { backup, check, open } from '../../src/index.js';
import { fingerprintDir, useTempDirs } from '../helpers/fs.js';
import { expectedViews } from '../helpers/messages.js';
import { COMBINATIONS, corpusBatches } from './corpus.js';
import { goBackup, goCheck, goRead, goWrite } from './go-log.js';
import { requireKlevgo } from './klevgo.js';
import { nodeRead, nodeWrite } from './node-log.js';

describe('interop with Go klevdb: writing and reading', function () {
  before(async function () {
    await requireKlevgo(this);
  });
  const tempDir = useTempDirs('klevdb-interop-');
  const batches = corpusBatches();
  const expected = expectedViews(batches.flat());

  for (const { name, opts } of COMBINATIONS) {
    describe(name, function () {
      it('Node writes; Go checks, reads every message and answers the same key and time lookups', async function () {
        const dir = await tempDir();
        expect(await nodeWrite(dir, opts, batches)).to.equal(expected.length);
        expect(await goCheck(dir, opts)).to.deep.equal({ ok: true });
        const go = await goRead(dir, opts, { lookups: true });
        expect(go.messages).to.deep.equal(expected);
        const node = await nodeRead(dir, opts, true);
        expect(go.stats.segments, 'several segments').to.be.greaterThan(2);
        expect({ ...go, raw: undefined }).to.deep.equal({ ...node, raw: undefined });
      });

      it('Go writes; Node checks and reads every message and lookup as Go does', async function () {
        const dir = await tempDir();
        expect(await goWrite(dir, { ...opts }, batches)).to.equal(expected.length);
        await check(dir, opts);
        const node = await nodeRead(dir, opts, true);
        expect(node.messages).to.deep.equal(expected);
        const go = await goRead(dir, opts, { lookups: true });
        expect({ ...node, raw: undefined }).to.deep.equal({ ...go, raw: undefined });
      });

      it('backups: Go backs up a Node log and Node a Go log (of a closed directory and through an open readonly log), each the same files, read by the other', async function () {
        const dir = await tempDir();
        await nodeWrite(dir, opts, batches);
        const source = await fingerprintDir(dir);
        const byGo = [await tempDir(), await tempDir()];
        expect(await goBackup(dir, byGo[0]!)).to.deep.equal({ ok: true });
        expect(await goBackup(dir, byGo[1]!, { ...opts, readonly: true })).to.deep.equal({ ok: true });
        const byNode = [await tempDir(), await tempDir()];
        await backup(dir, byNode[0]!);
        const log = await open(dir, { ...opts, readonly: true });
        await log.backup(byNode[1]!);
        await log.close();
        for (const copy of [...byGo, ...byNode]) expect(await fingerprintDir(copy), copy).to.deep.equal(source);
        for (const copy of byGo) expect((await nodeRead(copy, opts)).messages).to.deep.equal(expected);
        for (const copy of byNode) expect((await goRead(copy, opts)).messages).to.deep.equal(expected);
      });

      it('the same messages, times and options give identical .log and .index files', async function () {
        const nodeDir = await tempDir();
        const goDir = await tempDir();
        await nodeWrite(nodeDir, opts, batches);
        await goWrite(goDir, opts, batches);
        const fromGo = await fingerprintDir(goDir);
        expect(Object.keys(fromGo).length).to.be.greaterThan(4);
        expect(await fingerprintDir(nodeDir)).to.deep.equal(fromGo);
      });
    });
  }
});
