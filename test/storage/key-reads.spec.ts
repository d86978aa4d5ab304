// consumeByKey reads a key's records in few large reads (records close
// together share one pread), never one system call per record, and still
// checks every record it returns: a damaged one is ERR_CORRUPTED. getByKey
// finds string keys of every length and alphabet (short ASCII ones are
// encoded without an allocation).
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { deleteMulti, type Log, type Message } from '../../src/index.js';
import { open } from '../helpers/api.js';
import { countingReads } from '../helpers/count-reads.js';
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

describe('consumeByKey over many sealed segments', () => {
  const tempDir = useTempDirs();

  it('answers each key the same however often it is asked (sealed segments sort their items by key after a few scans), also after a delete rewrote them', async () => {
    const dir = await tempDir();
    const keys = Array.from({ length: 300 }, (_, k) => `stream-${k}`);
    // Keys spread over every segment, some many times in one segment, some in few.
    const keyAt = (i: number): string => keys[(i * 7919 + (i % 5)) % (i % 4 === 0 ? 17 : keys.length)]!;
    const log = await open(dir, { keyIndex: true, rollover: 4 * 1024 });
    try {
      const total = 6_000;
      for (let i = 0; i < total; i += 100)
        await log.publish(Array.from({ length: 100 }, (_, j) => ({ key: keyAt(i + j), value: `v${i + j}` })));
      expect((await log.stat()).segments).to.be.above(20);
      const expected = (gone: Set<number>) => (key: string) =>
        Array.from({ length: total }, (_, i) => i).filter((i) => keyAt(i) === key && !gone.has(i));
      const check = async (want: (key: string) => number[]) => {
        for (const key of [...keys, 'no-such-key']) {
          // A batch ends at a segment's end, as klevdb's does: read on from nextOffset to the end.
          const messages: Message[] = [];
          for (let from = 0; from < total;) {
            const batch = await log.consumeByKey(key, from, total);
            messages.push(...batch.messages);
            if (batch.nextOffset <= from) break;
            from = batch.nextOffset;
          }
          expect(
            messages.map((m) => m.offset),
            key,
          ).to.deep.equal(want(key));
          expect(messages.every((m) => m.key?.toString() === key && m.value?.toString() === `v${m.offset}`)).to.equal(
            true,
          );
        }
      };
      for (let round = 0; round < 5; round++) await check(expected(new Set()));
      // A rewrite replaces sealed segments: their sorted items must go with them.
      const gone = new Set(Array.from({ length: total }, (_, i) => i).filter((i) => i % 3 === 1));
      await deleteMulti(log, gone);
      for (let round = 0; round < 5; round++) await check(expected(gone));
      expect((await log.getByKey('stream-5')).offset).to.equal(expected(gone)('stream-5').at(-1));
    } finally {
      await log.close();
    }
  });
});

describe('getByKey with string keys', () => {
  const tempDir = useTempDirs();
  let log: Log | undefined;
  afterEach(() => log?.close());

  // A short ASCII key is encoded into scratch memory shared by every lookup; longer and non-ASCII keys are not.
  const KEYS = ['a', 'bb', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(65), 'é', 'ключ', 'a🙂', 'tab\tkey'];

  it('finds each key, short or long, ASCII or not, as its bytes find it, lookups of other lengths in between', async () => {
    const dir = await tempDir();
    log = await open(dir, { keyIndex: true, rollover: 4096 });
    // Each key twice across several segments (the newest wins), and the empty key.
    for (let round = 0; round < 2; round++)
      for (const key of KEYS)
        await log.publish([
          { key, value: `${key}#${round}` },
          { key: null, value: 'empty' },
        ]);
    for (const pass of [0, 1]) {
      for (const key of pass ? [...KEYS].reverse() : KEYS) {
        const m = await log.getByKey(key);
        expect(m.key?.toString(), key).to.equal(key);
        expect(m.value?.toString(), key).to.equal(`${key}#1`);
        expect((await log.getByKey(Buffer.from(key))).offset, key).to.equal(m.offset);
        expect(await log.offsetByKey(key), key).to.equal(m.offset);
      }
    }
    expect((await log.getByKey('')).value?.toString()).to.equal('empty');
    // Not found: the error names the key asked for, whatever was looked up before it.
    await log.getByKey('y'.repeat(64));
    await expectLogError(() => log!.getByKey('q'), 'ERR_NOT_FOUND', '"q"');
    await expectLogError(() => log!.getByKey('x'.repeat(64)), 'ERR_NOT_FOUND', `"${'x'.repeat(64)}"`);
    await expectLogError(() => log!.getByKey('ab'), 'ERR_NOT_FOUND', '"ab"');
  });

  it("a message's key is its own: later lookups and changes to it do not change it or the next answer", async () => {
    const dir = await tempDir();
    log = await open(dir, { keyIndex: true });
    await log.publish([
      { key: 'k1', value: 'one' },
      { key: 'k2', value: 'two' },
    ]);
    const first = await log.getByKey('k1');
    const second = await log.getByKey('k2');
    expect(first.key?.toString()).to.equal('k1');
    expect(second.key?.toString()).to.equal('k2');
    first.key![1] = 0x39;
    expect((await log.getByKey('k1')).key?.toString()).to.equal('k1');
    await expectLogError(() => log!.getByKey('k9'), 'ERR_NOT_FOUND', '"k9"');
  });

  it('a bad key is ERR_INVALID_ARGUMENT naming it', async () => {
    const dir = await tempDir();
    log = await open(dir, { keyIndex: true });
    for (const bad of [undefined, null, 42, { key: 'a' }])
      await expectLogError(() => log!.getByKey(bad as unknown as string), 'ERR_INVALID_ARGUMENT', /key/);
  });
});
