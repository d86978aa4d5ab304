// check() on a head whose first index time carries the time chain of the
// segment before it (a message older than the one before the rollover):
// healthy, so check passes (klevdb's Check rebuilds the chain from 0 and
// calls it corrupted); damage to those items is still found.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { Options } from '../../src/index.js';
import { check, open } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { flipByte, segmentFile, useTempDirs } from '../helpers/fs.js';

const S = 1_000_000;
const opts: Options = { keyIndex: true, timeIndex: true, rollover: 10 };
/** V2 index: an 8-byte header, then items of offset, position, time and key hash (8 bytes each). */
const itemAt = (i: number): number => 8 + 32 * i;

describe('check: a time chain carried over a rollover', () => {
  const tempDir = useTempDirs('klevdb-chain-');

  /** Segment 0 holds a message at 100 s, the head (segment 1) two at 50 s and 60 s, indexed at 100 s. */
  async function carried(): Promise<string> {
    const dir = await tempDir();
    const log = await open(dir, { ...opts, createDirs: true });
    await log.publish([{ key: 'a', value: 'x', timeMicros: 100 * S }]);
    await log.publish([
      { key: 'b', value: 'y', timeMicros: 50 * S },
      { key: 'c', value: 'z', timeMicros: 60 * S },
    ]);
    await log.close();
    const index = await readFile(path.join(dir, segmentFile(1, 'index')));
    expect([0, 1].map((i) => Number(index.readBigInt64BE(itemAt(i) + 16)))).to.deep.equal([100 * S, 100 * S]);
    return dir;
  }

  it('passes on the healthy head, and open with check: true opens it', async () => {
    const dir = await carried();
    await check(dir, opts);
    const log = await open(dir, { ...opts, check: true });
    expect((await log.getByKey('c')).offset).to.equal(2);
    await log.close();
  });

  it('still finds a damaged time or key hash in those items', async () => {
    const dir = await carried();
    const file = path.join(dir, segmentFile(1, 'index'));
    const healthy = await readFile(file);
    // The second item's time below the first's (the chain never goes back).
    const lowered = Buffer.from(healthy);
    lowered.writeBigInt64BE(BigInt(60 * S), itemAt(1) + 16);
    await writeFile(file, lowered);
    await expectLogError(() => check(dir, opts), 'ERR_CORRUPTED', 'does not match its log');
    // The first item's time below its record's time.
    const early = Buffer.from(healthy);
    early.writeBigInt64BE(BigInt(40 * S), itemAt(0) + 16);
    await writeFile(file, early);
    await expectLogError(() => check(dir, opts), 'ERR_CORRUPTED', 'does not match its log');
    await writeFile(file, healthy);
    await flipByte(file, itemAt(1) + 30);
    await expectLogError(() => check(dir, opts), 'ERR_CORRUPTED', 'does not match its log');
  });
});
