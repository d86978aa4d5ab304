// gc(0) drops the indexes of the sealed segments it finds unused, on a
// writable log as on a readonly one: the next lookup in such a segment loads
// its index file again (counted here). A reloaded index is trusted only if it
// holds the items checked before it was dropped: an index file damaged in
// between is ERR_CORRUPTED on the next key lookup, never a silent miss.
import { expect } from 'chai';
import fs from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Log, Options, PublishMessage } from '../../src/index.js';
import { expectLogError } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';
import { useOpenLogs } from '../helpers/open-logs.js';

const OPTS: Options = { keyIndex: true, timeIndex: true, rollover: 2048 };
const COUNT = 400;
/** Key k<i % KEYS>: every key has a message in most segments. */
const KEYS = 40;
const message = (i: number): PublishMessage => ({ key: `k${i % KEYS}`, value: `value-${i}-${'x'.repeat(60)}` });
/** V2 index file: an 8-byte header, then 32-byte items (offset, position, time, key hash). */
const INDEX_HEADER = 8;
const ITEM = 32;

/** Runs `fn`, counting the index files fs.readFileSync reads (an index load). */
async function indexLoads<T>(fn: () => Promise<T>): Promise<{ result: T; loads: string[] }> {
  const original = fs.readFileSync;
  const loads: string[] = [];
  fs.readFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    if (typeof file === 'string' && file.endsWith('.index')) loads.push(path.basename(file));
    return (original as (...args: unknown[]) => unknown)(file, ...rest);
  }) as typeof fs.readFileSync;
  try {
    return { result: await fn(), loads };
  } finally {
    fs.readFileSync = original;
  }
}

/** The offsets of every message with `key`, read by key (a batch ends at a segment's end). */
async function streamOf(log: Log, key: string): Promise<number[]> {
  const offsets: number[] = [];
  for (let from = 0; ;) {
    const { nextOffset, messages } = await log.consumeByKey(key, from, COUNT);
    if (messages.length === 0) return offsets;
    offsets.push(...messages.map((m) => m.offset));
    from = nextOffset;
  }
}

describe('storage: gc(0) drops sealed indexes, on a writer as on a readonly log', function () {
  const { openLog, closeLog } = useOpenLogs();
  const tempDir = useTempDirs('klevdb-gc-');

  async function written(): Promise<{ dir: string; log: Log }> {
    const dir = await tempDir();
    const log = await openLog(dir, OPTS);
    for (let i = 0; i < COUNT; i += 10) await log.publish(Array.from({ length: 10 }, (_, k) => message(i + k)));
    const stat = await log.stat();
    expect(stat.segments, 'sealed segments to drop').to.be.greaterThan(10);
    return { dir, log };
  }

  /** Every key's newest message and whole stream, read once: every segment's index is loaded and checked. */
  async function lookUpAll(log: Log): Promise<void> {
    for (let k = 0; k < KEYS; k++) {
      expect((await log.getByKey(`k${k}`)).offset).to.equal(COUNT - KEYS + k);
      expect(await streamOf(log, `k${k}`)).to.deep.equal(Array.from({ length: COUNT / KEYS }, (_, j) => k + j * KEYS));
    }
  }

  const logs: [string, (dir: string, writer: Log) => Promise<Log>][] = [
    ['the writer that rolled the segments over', async (_dir, writer) => writer],
    ['a writable reopen', async (dir, writer) => (await closeLog(writer), openLog(dir, OPTS))],
    ['a readonly open', async (dir, writer) => (await closeLog(writer), openLog(dir, { ...OPTS, readonly: true }))],
  ];

  for (const [name, reopen] of logs) {
    it(`${name}: the first read of an old segment after gc(0) loads its index again, the next one does not`, async function () {
      const { dir, log: writer } = await written();
      const log = await reopen(dir, writer);
      await lookUpAll(log);
      const warm = await indexLoads(() => log.consume(0, 5));
      expect(warm.loads, 'an index in memory is not read again').to.deep.equal([]);
      await log.gc(60_000);
      expect((await indexLoads(() => log.consume(0, 5))).loads, 'gc(60s) right after use keeps it').to.deep.equal([]);

      await log.gc(0);
      const cold = await indexLoads(() => log.consume(0, 5));
      expect(cold.loads, 'gc(0) dropped the oldest segment index').to.deep.equal(['00000000000000000000.index']);
      expect(cold.result.messages.map((m) => m.value?.toString())).to.deep.equal(
        [0, 1, 2, 3, 4].map((i) => message(i).value),
      );
      expect((await indexLoads(() => log.consume(0, 5))).loads, 'loaded again, kept').to.deep.equal([]);

      // Every sealed segment was dropped: a stream read by key loads each again, and answers as before.
      await log.gc(0);
      const stream = await indexLoads(() => streamOf(log, 'k3'));
      expect(stream.loads.length).to.equal((await log.stat()).segments - 1);
      expect(stream.result).to.have.length(COUNT / KEYS);
      await lookUpAll(log);
    });
  }

  for (const [name, reopen] of logs) {
    it(`${name}: an index file damaged while gc had it dropped is ERR_CORRUPTED on the next key read`, async function () {
      const { dir, log: writer } = await written();
      const log = await reopen(dir, writer);
      await lookUpAll(log);
      await log.gc(0);
      // Item 3 of the oldest segment holds offset 3, key k3: flip a bit of its key hash.
      const file = path.join(dir, '00000000000000000000.index');
      const bytes = await readFile(file);
      bytes[INDEX_HEADER + 3 * ITEM + ITEM - 1]! ^= 0x10;
      await writeFile(file, bytes);
      // Without a second check the reloaded hash would hide offset 3 from k3's stream.
      await expectLogError(() => streamOf(log, 'k3'), 'ERR_CORRUPTED', /item 3 of .*key hash/);
      // The file put back as it was, the segment is checked again and reads as before.
      bytes[INDEX_HEADER + 3 * ITEM + ITEM - 1]! ^= 0x10;
      await writeFile(file, bytes);
      expect(await streamOf(log, 'k3')).to.have.length(COUNT / KEYS);
    });
  }
});
