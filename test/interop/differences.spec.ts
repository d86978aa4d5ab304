// Where we differ from klevdb (docs/format.md), shown against the real Go
// library: damage that klevdb goes on with silently and this library refuses
// or cuts. Each case runs Go on one copy and this library on a twin.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { check, open, recover, V1 } from '../../src/index.js';
import type { Options, PublishMessage } from '../../src/index.js';
import { expectLogError } from '../helpers/errors.js';
import { copyDir, flipByte, truncateFile, useTempDirs } from '../helpers/fs.js';
import { goRead, goWrite } from './go-log.js';
import { requireKlevgo } from './klevgo.js';
import { nodeRead } from './node-log.js';

const OPTS: Options = { keyIndex: true, timeIndex: true };
const ITEM = 32; // offset, position, time, key hash
const msg = (i: number): PublishMessage => ({ key: `k${i}`, value: `value-${i}`, timeMicros: 1_000 + i });
const LOG = '00000000000000000000.log';
const INDEX = '00000000000000000000.index';

async function cut(file: string, bytes: number): Promise<void> {
  await truncateFile(file, (await readFile(file)).length - bytes);
}

describe('interop with Go klevdb: where we differ, shown against Go', function () {
  before(async function () {
    await requireKlevgo(this);
  });
  const tempDir = useTempDirs('klevdb-interop-');

  /** A log of three messages written by Go, damaged by `damage`, and a twin copy. */
  async function damagedTwins(opts: Options, damage: (dir: string) => Promise<void>): Promise<[string, string]> {
    const dir = await tempDir();
    const twin = await tempDir();
    await goWrite(dir, opts, [[msg(0)], [msg(1)], [msg(2)]]);
    await damage(dir);
    await copyDir(dir, twin);
    return [dir, twin];
  }

  it('a whole record past the last index item (a crash between the two writes): Go appends and gives two messages offset 2; Node indexes it at open, then appends after it', async function () {
    const [dir, twin] = await damagedTwins(OPTS, (d) => cut(path.join(d, INDEX), ITEM));
    await goWrite(twin, OPTS, [[msg(3)]]);
    expect((await goRead(twin, OPTS)).messages.map((m) => m.offset), 'Go').to.deep.equal([0, 1, 2, 2]);

    const log = await open(dir, OPTS);
    await log.publish([msg(3)]);
    await log.close();
    expect((await goRead(dir, OPTS)).messages.map((m) => m.offset), 'Node, read by Go').to.deep.equal([0, 1, 2, 3]);
  });

  it('a torn record header (under 28 bytes): Go appends after it and can no longer read its own log; Node cuts it at open', async function () {
    const [dir, twin] = await damagedTwins(OPTS, async (d) => {
      await cut(path.join(d, LOG), 30);
      await cut(path.join(d, INDEX), ITEM);
    });
    await goWrite(twin, OPTS, [[msg(3)]]);
    const failed = await goRead(twin, OPTS).then(() => null, (err: Error) => err.message);
    expect(failed, 'Go reads its own log after appending').to.include('log corrupted');

    await expectLogError(() => check(dir, OPTS), 'ERR_CORRUPTED');
    const log = await open(dir, OPTS);
    expect(await log.nextOffset(), 'Node, after the open cut the torn header').to.equal(2);
    await log.close();
    await goWrite(dir, OPTS, [[msg(3)]]);
    expect((await goRead(dir, OPTS)).messages.map((m) => m.offset), 'Go, after Node cut it').to.deep.equal([0, 1, 2]);
  });

  it('a V1 record whose offset field is damaged (V1 checksums only key and value): Go recover indexes it and reads offsets out of order; Node recover cuts it', async function () {
    const v1 = { ...OPTS, version: { newSegmentsVersion: V1 } };
    // Record 0 is 28 + 2 + 7 bytes; the low byte of record 1's offset is at 37 + 7.
    const [dir, twin] = await damagedTwins(v1, (d) => flipByte(path.join(d, LOG), 37 + 7));
    await goWrite(twin, { ...v1, recover: true }, []);
    const goOffsets = (await goRead(twin, v1)).messages.map((m) => m.offset);
    expect(goOffsets[0]).to.equal(0);
    expect(goOffsets[1], 'Go indexes the damaged offset').to.not.equal(1);
    expect(goOffsets).to.have.length(3);

    await recover(dir, v1);
    expect((await nodeRead(dir, v1)).messages.map((m) => m.offset), 'Node keeps the records before it').to.deep.equal([0]);
    expect((await goRead(dir, v1)).messages.map((m) => m.offset), 'and Go reads that').to.deep.equal([0]);
  });
});
