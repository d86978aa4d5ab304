// klevdb's index files have no checksum. Key and time lookups check the items
// they rely on against the records (every segment from the answer's to the
// head, once per open), so a damaged hash or time is ERR_CORRUPTED and never
// another stored message; V1 records, whose CRC leaves offset and time out,
// are checked against their index on read and on recover.
import { expect } from 'chai';
import { open as openFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { V1 } from '../../src/index.js';
import type { Log, Options } from '../../src/index.js';
import { check, open } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { segmentFile, useTempDirs } from '../helpers/fs.js';

const BASE_MS = Date.UTC(2026, 0, 1);
const OPTIONS: Options = { keyIndex: true, timeIndex: true, rollover: 300 };
/** V2 index: an 8-byte header, then 32-byte items (offset, position, time, key hash). */
const ITEM = 32;
const TIME_AT = 16;
const HASH_AT = 24;

/** Offsets 0..29, a second apart; key "old" only at 4 and 7; the rest cycle k0..k2. */
const keyOf = (i: number): string => (i === 4 || i === 7 ? 'old' : `k${i % 3}`);

async function writeLog(dir: string): Promise<number[]> {
  const log = await open(dir, OPTIONS);
  for (let i = 0; i < 30; i++)
    await log.publish([{ key: keyOf(i), value: `value ${i}`, time: new Date(BASE_MS + i * 1000) }]);
  await log.close();
  return (await readdir(dir))
    .filter((n) => n.endsWith('.log'))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
}

/** Adds `delta` to the 8-byte big-endian field at `field` of the index item of `offset`. */
async function nudgeItem(dir: string, segments: number[], offset: number, field: number, delta: bigint): Promise<void> {
  const base = segments.filter((s) => s <= offset).pop()!;
  const fh = await openFile(path.join(dir, segmentFile(base, 'index')), 'r+');
  try {
    const at = 8 + (offset - base) * ITEM + field;
    const buf = Buffer.alloc(8);
    await fh.read(buf, 0, 8, at);
    buf.writeBigUInt64BE(BigInt.asUintN(64, buf.readBigUInt64BE(0) + delta));
    await fh.write(buf, 0, 8, at);
  } finally {
    await fh.close();
  }
}

describe('index items checked against their records', function () {
  const tempDir = useTempDirs('klevdb-verify-');
  const logs: Log[] = [];
  afterEach(async () => {
    await Promise.all(logs.splice(0).map((l) => l.close()));
  });
  const reopen = async (dir: string, opts: Options = OPTIONS): Promise<Log> => {
    const log = await open(dir, opts);
    logs.push(log);
    return log;
  };

  it('writes a log of several segments, with "old" only in sealed ones', async function () {
    const dir = await tempDir();
    const segments = await writeLog(dir);
    expect(segments.length, 'segments').to.be.greaterThan(4);
    expect(segments.filter((s) => s <= 7).length, 'segments holding 0..7').to.be.greaterThan(1);
    const log = await reopen(dir);
    expect((await log.getByKey('old')).offset).to.equal(7);
  });

  it('a damaged key hash of the newest message of a key: getByKey and consumeByKey say ERR_CORRUPTED, not the older message', async function () {
    const dir = await tempDir();
    const segments = await writeLog(dir);
    await nudgeItem(dir, segments, 7, HASH_AT, 1n);
    const log = await reopen(dir);
    // Without the check, the search would answer offset 4, a real message of the key.
    await expectLogError(() => log.getByKey('old'), 'ERR_CORRUPTED', /index corrupted: item \d+ of .*key hash/);
    await expectLogError(() => log.consumeByKey('old', 5, 10), 'ERR_CORRUPTED', /key hash/);
    // Lookups answered from segments after the damage never read it, and stay right.
    expect((await log.getByKey('k2')).offset).to.equal(29);
    expect((await log.get(7)).key!.toString()).to.equal('old');
  });

  it('a key whose only item lost its hash: getByKey says ERR_CORRUPTED, not ERR_NOT_FOUND', async function () {
    const dir = await tempDir();
    const segments = await writeLog(dir);
    await nudgeItem(dir, segments, 4, HASH_AT, 1n);
    await nudgeItem(dir, segments, 7, HASH_AT, 1n);
    const log = await reopen(dir);
    await expectLogError(() => log.getByKey('old'), 'ERR_CORRUPTED', /key hash/);
    await expectLogError(() => log.getByKey('never written'), 'ERR_CORRUPTED', /key hash/);
  });

  it('a damaged index time that still fits the chain: getByTime says ERR_CORRUPTED, not the next message', async function () {
    const dir = await tempDir();
    const segments = await writeLog(dir);
    // One microsecond earlier keeps the times in order; getByTime(t7) would answer 8.
    await nudgeItem(dir, segments, 7, TIME_AT, -1n);
    const log = await reopen(dir);
    await expectLogError(
      () => log.getByTime(new Date(BASE_MS + 7000)),
      'ERR_CORRUPTED',
      /index corrupted: item \d+ of .* time/,
    );
    expect((await log.getByTime(new Date(BASE_MS + 28_000))).offset, 'answered by the head').to.equal(28);
  });

  it('an undamaged log answers every key and time lookup after the checks, and check passes', async function () {
    const dir = await tempDir();
    await writeLog(dir);
    const log = await reopen(dir);
    for (let i = 0; i < 30; i++) expect((await log.getByTime(new Date(BASE_MS + i * 1000))).offset).to.equal(i);
    expect((await log.getByKey('k0')).offset).to.equal(27);
    await expectLogError(() => log.getByKey('missing'), 'ERR_NOT_FOUND');
    expect((await log.consumeByKey('old', 0, 10)).messages.map((m) => m.offset)).to.deep.equal([4]);
    await log.close();
    await check(dir, OPTIONS);
  });

  it('V1: a record offset damaged in the head is ERR_CORRUPTED (writer open, readonly read), and recover keeps the records before it', async function () {
    const dir = await tempDir();
    const opts: Options = { version: { newSegmentsVersion: V1 } };
    let log = await reopen(dir, opts);
    await log.publish([0, 1, 2, 3, 4].map((i) => ({ key: `k${i}`, value: `v${i}` })));
    await log.close();
    const file = path.join(dir, segmentFile(0, 'log'));
    // V1 record: offset(8) time(8) key length(4) value length(4) crc(4) key value; 28 + 2 + 2 bytes each.
    const fh = await openFile(file, 'r+');
    await fh.write(Buffer.from([9]), 0, 1, 4 * 32 + 7);
    await fh.close();
    await expectLogError(() => open(dir, opts), 'ERR_CORRUPTED', /names offset 4 for the record at byte 128/);
    const readonly = await reopen(dir, { ...opts, readonly: true });
    await expectLogError(() => readonly.get(4), 'ERR_CORRUPTED', /offset/);
    await readonly.close();
    log = await reopen(dir, { ...opts, recover: true });
    expect((await log.consume(0, 10)).messages.map((m) => m.offset)).to.deep.equal([0, 1, 2, 3]);
    expect(await log.nextOffset()).to.equal(4);
    await log.close();
    await check(dir, opts);
  });
});
