// Lookups served in place from the read cache: a record inside one cached
// block is CRC-checked there and its key and value copied out once; a record
// crossing a block boundary is gathered first. The head's written blocks are
// cached too (in the writer's process only), its tail block never. getByKey
// finds the head's keys, like the sealed ones, through a fingerprint table.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Log, Message, Options } from '../../src/index.js';
import { keyHash } from '../../src/storage/format/key-hash.js';
import { expectLogError } from '../helpers/errors.js';
import { flipByte, segmentFile, useTempDirs } from '../helpers/fs.js';
import { useOpenLogs } from '../helpers/open-logs.js';
import { GEN_V2_SIZE, V2_HEADER, consumeAll, expectedView, gen, view } from '../helpers/messages.js';

/** The read cache's block: a record whose bytes span two of them is gathered before it is checked. */
const BLOCK = 4096;
type Cache = { hits: number; misses: number; bytes: number };
const cacheOf = async (log: Log): Promise<Cache> => (await log.stat()).readCache as Cache;

/** Where gen() message k of a V2 segment starting at offset `base` lies in its log file (all records are the same size). */
const placeOf = (k: number, base = 0): { start: number; end: number } => {
  const start = V2_HEADER + (k - base) * GEN_V2_SIZE;
  return { start, end: start + GEN_V2_SIZE };
};
const crosses = (k: number, base = 0): boolean => {
  const { start, end } = placeOf(k, base);
  return Math.floor(start / BLOCK) !== Math.floor((end - 1) / BLOCK);
};

describe('read cache: records checked in place', function () {
  this.timeout(60_000);
  const { openLog, closeLog } = useOpenLogs();
  const tempDir = useTempDirs('klevdb-cache-records-');

  async function expectAll(log: Log, count: number, what: string): Promise<void> {
    const msgs = gen(count);
    for (let o = 0; o < count; o++)
      expect(view(await log.get(o)), `${what}: get(${o})`).to.deep.equal(expectedView(msgs[o]!, o));
  }

  it('serves every record of the head from its written blocks, those crossing a block boundary included', async function () {
    const log = await openLog(await tempDir(), { keyIndex: true, timeIndex: true });
    const count = 500; // one head segment of 87,000 bytes: 21 whole blocks and a tail block still being written
    await log.publish(gen(count));
    expect([...Array(count).keys()].filter((k) => crosses(k)).length, 'records crossing a block').to.be.greaterThan(15);
    await expectAll(log, count, 'first pass');
    const first = await cacheOf(log);
    expect(first.misses, 'the first pass loaded the head blocks').to.be.within(1, 21);
    expect(first.bytes).to.equal(first.misses * BLOCK);
    await expectAll(log, count, 'second pass');
    const second = await cacheOf(log);
    expect(second.misses, 'no head block read from the file twice').to.equal(first.misses);
    expect(second.hits - first.hits, 'every record but the tail block ones from memory').to.be.greaterThan(count - 30);
    const msgs = gen(count);
    for (const k of [3, 23, 24, 250]) {
      const key = msgs[k]!.key as string;
      expect(view(await log.getByKey(key)), `getByKey(${key})`).to.deep.equal(expectedView(msgs[k]!, k));
    }
  });

  it("a record crossing a block boundary is gathered from the cached blocks: no file read once cached, its key and value the caller's own", async function () {
    const log = await openLog(await tempDir(), { keyIndex: true });
    const count = 500;
    const msgs = gen(count);
    await log.publish(msgs);
    // Those in the head's written blocks (the tail block is read from the file until it is whole).
    const crossing = [...Array(count).keys()].filter((k) => crosses(k) && placeOf(k).end < 21 * BLOCK);
    expect(crossing.length).to.be.greaterThan(15);
    await expectAll(log, count, 'first pass');
    const original = fs.readSync;
    let reads = 0;
    fs.readSync = ((...args: Parameters<typeof fs.readSync>) => (reads++, original(...args))) as typeof fs.readSync;
    let got: Message[];
    try {
      got = [];
      for (const k of crossing) got.push(await log.get(k));
    } finally {
      fs.readSync = original;
    }
    expect(reads, 'file reads for records of cached blocks').to.equal(0);
    // Each was checked in the same scratch copy: the later ones did not change the earlier ones' bytes.
    got.forEach((m, j) =>
      expect(view(m), `get(${crossing[j]})`).to.deep.equal(expectedView(msgs[crossing[j]!]!, crossing[j]!)),
    );
    for (const m of got) {
      m.key!.fill(0x41);
      m.value!.fill(0xaa);
    }
    for (const k of crossing) {
      expect(view(await log.get(k)), `get(${k}) again`).to.deep.equal(expectedView(msgs[k]!, k));
      expect(view(await log.getByKey(msgs[k]!.key as string)), `getByKey, ${k}`).to.deep.equal(
        expectedView(msgs[k]!, k),
      );
    }
  });

  it("a caller changing a message's key or value read in place changes no later read", async function () {
    const log = await openLog(await tempDir(), { keyIndex: true, rollover: 8192 });
    const msgs = gen(200);
    await log.publish(msgs);
    for (const o of [0, 23, 24, 100, 199]) {
      const key = msgs[o]!.key as string;
      for (const m of [await log.get(o), await log.getByKey(key)]) {
        m.key!.fill(0x41);
        m.value!.fill(0xaa);
      }
      expect(view(await log.get(o)), `get(${o})`).to.deep.equal(expectedView(msgs[o]!, o));
      expect(view(await log.getByKey(key)), `getByKey(${key})`).to.deep.equal(expectedView(msgs[o]!, o));
    }
  });

  it("the head's tail block is read from the file until it is whole, and appends to it are seen", async function () {
    const log = await openLog(await tempDir(), { timeIndex: true });
    const msgs = gen(200);
    let published = 0;
    // Publish in small steps, reading everything so far after each: the tail block grows under the reads.
    for (const step of [1, 2, 5, 10, 17, 30, 35, 50, 50]) {
      await log.publish(msgs.slice(published, published + step));
      published += step;
      await expectAll(log, published, `after publishing ${published}`);
      const newest = await log.get(published - 1);
      expect(view(newest)).to.deep.equal(expectedView(msgs[published - 1]!, published - 1));
    }
    const { misses, bytes } = await cacheOf(log);
    expect(bytes, 'only whole blocks are kept').to.equal(misses * BLOCK);
    expect(bytes).to.be.at.most(Math.floor(placeOf(published).start / BLOCK) * BLOCK);
  });

  it("a follower never serves the head from its cache (the writer's process may cut its tail)", async function () {
    const dir = await tempDir();
    const writer = await openLog(dir, { timeIndex: true });
    await writer.publish(gen(300));
    const follower = await openLog(dir, { timeIndex: true, readonly: true, followWriter: true });
    await expectAll(follower, 300, 'follower, first pass');
    await expectAll(follower, 300, 'follower, second pass');
    expect(await cacheOf(follower)).to.deep.include({ hits: 0, misses: 0, bytes: 0 });
    await writer.publish(gen(10, 300));
    await expectAll(follower, 310, 'follower, after more appends');
  });

  it('getByKey finds the right message when another key shares its hash fingerprint, newer or alone, in the head and sealed', async function () {
    // Two keys whose FNV-1a 64 hashes share the low 32 bits the key tables index by (a birthday search).
    const seen = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; !pair; i++) {
      const key = `fp-${i}`;
      const { lo } = keyHash(Buffer.from(key));
      const other = seen.get(lo);
      if (other !== undefined) pair = [other, key];
      else seen.set(lo, key);
    }
    const [older, newer] = pair;
    expect(keyHash(Buffer.from(older)).hi).to.not.equal(keyHash(Buffer.from(newer)).hi);
    const log = await openLog(await tempDir(), { keyIndex: true, rollover: 4096 });
    const expectKey = async (key: string, offset: number, where: string) =>
      expect((await log.getByKey(key)).offset, `${where}: getByKey(${key})`).to.equal(offset);
    // Only the newer key: the table's entry for the fingerprint is another key's.
    await log.publish([{ key: newer, value: 'n0' }]);
    await expectKey(newer, 0, 'head');
    await expectLogError(() => log.getByKey(older), 'ERR_NOT_FOUND');
    // Both, the other key newer: the lookup of the older one falls back to the search.
    await log.publish([
      { key: older, value: 'o1' },
      { key: 'filler', value: 'f' },
      { key: newer, value: 'n3' },
    ]);
    await expectKey(older, 1, 'head');
    await expectKey(newer, 3, 'head');
    // Roll them into sealed segments (the log-wide table), then one more of each in the new head.
    for (let i = 0; i < 40; i++) await log.publish([{ key: `pad-${i}`, value: Buffer.alloc(200, i) }]);
    await expectKey(older, 1, 'sealed');
    await expectKey(newer, 3, 'sealed');
    const next = await log.publish([{ key: older, value: 'o' }]);
    await expectKey(older, next - 1, 'head over sealed');
    await expectKey(newer, 3, 'sealed under a head holding the other key');
  });

  it('a cache of three blocks, evicting while deletes rewrite segments, serves only the right bytes', async function () {
    const log = await openLog(await tempDir(), { keyIndex: true, rollover: 8192, readCacheSize: 3 * BLOCK });
    const msgs = gen(400);
    await log.publish(msgs);
    const gone = new Set<number>();
    let seed = 11;
    for (let round = 0; round < 12; round++) {
      const target = (seed = (seed * 48271) % 2147483647) % 380;
      if (!gone.has(target)) {
        await log.delete([target]);
        gone.add(target);
      }
      for (let n = 0; n < 60; n++) {
        const o = (seed = (seed * 48271) % 2147483647) % 400;
        if (gone.has(o)) await expectLogError(() => log.get(o), 'ERR_NOT_FOUND');
        else expect(view(await log.get(o)), `round ${round}: get(${o})`).to.deep.equal(expectedView(msgs[o]!, o));
      }
      expect((await cacheOf(log)).bytes).to.be.at.most(3 * BLOCK);
    }
    expect((await cacheOf(log)).hits).to.be.greaterThan(0);
  });

  for (const [what, pick] of [
    ['inside one block', (k: number) => !crosses(k)],
    ['crossing a block boundary', (k: number) => crosses(k)],
  ] as const) {
    it(`a record ${what} damaged in the file is ERR_CORRUPTED from a cold cache, again when cached, and its neighbours still read`, async function () {
      const dir = await tempDir();
      const opts: Options = { keyIndex: true, timeIndex: true, rollover: 16 * 1024 };
      const writer = await openLog(dir, opts);
      const msgs = gen(300);
      await writer.publish(msgs.slice(0, 150));
      await writer.publish(msgs.slice(150)); // the first segment (offsets 0-149) is sealed
      await closeLog(writer);
      // A byte of the value (after the 28-byte header and the 10-byte key, before the trailer): for a
      // crossing record, the one right after the boundary.
      const damaged = (j: number): number => {
        const { start, end } = placeOf(j);
        return crosses(j) ? Math.floor((end - 1) / BLOCK) * BLOCK : start + 60;
      };
      const k = [...Array(140).keys()].find((j) => {
        const { start, end } = placeOf(j);
        return j > 2 && pick(j) && damaged(j) >= start + 38 && damaged(j) < end - 8;
      })!;
      expect(k, 'a record to damage').to.be.a('number');
      const at = damaged(k);
      await flipByte(path.join(dir, segmentFile(0, 'log')), at);

      for (const readonly of [true, false]) {
        const log = await openLog(dir, { ...opts, readonly });
        const mode = readonly ? 'readonly' : 'writer';
        await expectLogError(() => log.get(k), 'ERR_CORRUPTED', /crc failed/);
        // Its block (or both of them) is cached now: the check runs on every read, not only on a load.
        await expectLogError(() => log.get(k), 'ERR_CORRUPTED', /crc failed/);
        await expectLogError(() => log.getByKey(msgs[k]!.key as string), 'ERR_CORRUPTED', /crc failed/);
        for (const o of [k - 1, k + 1])
          expect(view(await log.get(o)), `${mode}: get(${o})`).to.deep.equal(expectedView(msgs[o]!, o));
        await expectLogError(() => consumeAll(log, 25), 'ERR_CORRUPTED', /crc failed/);
        expect((await cacheOf(log)).hits, `${mode}: served from the cache`).to.be.greaterThan(0);
        await closeLog(log);
      }
    });
  }
});
