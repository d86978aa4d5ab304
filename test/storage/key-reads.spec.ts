// consumeByKey reads a key's records in few large reads (records close
// together share one pread), never one system call per record, and still
// checks every record it returns: a damaged one is ERR_CORRUPTED.
import { expect } from 'chai';
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Log } from '../../src/index.js';
import { open } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { flipByte, segmentFile, useTempDirs } from '../helpers/fs.js';

const COUNT = 3_000;
/** Key "a" every third message, interleaved with "b" and "c". */
const keyOf = (i: number): string => ['a', 'b', 'c'][i % 3]!;

async function writeLog(dir: string): Promise<void> {
  const log = await open(dir, { keyIndex: true });
  await log.publish(Array.from({ length: COUNT }, (_, i) => ({ key: keyOf(i), value: `value ${i}` })));
  await log.close();
}

/** Counts fs.readSync calls (the segment reader's pread) while `fn` runs. */
async function countingReads<T>(fn: () => Promise<T>): Promise<{ result: T; reads: number }> {
  const original = fs.readSync;
  let reads = 0;
  fs.readSync = ((...args: Parameters<typeof fs.readSync>) => (reads++, original(...args))) as typeof fs.readSync;
  try {
    return { result: await fn(), reads };
  } finally {
    fs.readSync = original;
  }
}

describe('consumeByKey reads', () => {
  const tempDir = useTempDirs();
  let log: Log | undefined;
  afterEach(() => log?.close());

  it("returns exactly the key's messages, in order, from a few large reads", async () => {
    const dir = await tempDir();
    await writeLog(dir);
    log = await open(dir, { keyIndex: true });
    await log.consumeByKey('a', 0, 1); // the first key read of an open checks the index against the log
    const { result, reads } = await countingReads(() => log!.consumeByKey('a', 0, 1000));
    expect(result.messages.map((m) => m.offset)).to.deep.equal(Array.from({ length: 1000 }, (_, i) => i * 3));
    expect(result.messages.map((m) => m.value?.toString())).to.deep.equal(
      Array.from({ length: 1000 }, (_, i) => `value ${i * 3}`),
    );
    expect(result.nextOffset).to.equal(2998);
    expect(reads).to.be.below(10);
    const rest = await log.consumeByKey('a', 1501, 1000);
    expect(rest.messages.map((m) => m.offset)).to.deep.equal(Array.from({ length: 499 }, (_, i) => 1503 + i * 3));
    expect((await log.consumeByKey('c', 2999, 5)).messages.map((m) => m.offset)).to.deep.equal([2999]);
  });

  it('says ERR_CORRUPTED for a damaged record among those read together', async () => {
    const dir = await tempDir();
    await writeLog(dir);
    const file = path.join(dir, segmentFile(0, 'log'));
    await flipByte(file, (await readFile(file)).indexOf('value 1500'));
    log = await open(dir, { keyIndex: true });
    await expectLogError(() => log!.consumeByKey('a', 0, 1000), 'ERR_CORRUPTED', /.+/);
    // Records before the damaged one are still served.
    expect((await log.consumeByKey('a', 0, 10)).messages).to.have.length(10);
  });
});
