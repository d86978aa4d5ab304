// The read cache (readCacheSize): sealed segments' bytes served from memory,
// counted in stat(), bounded, and never the bytes of a segment that a rewrite
// replaced (a delete, trim or compaction here or in another process, a backup
// restored over the directory).
import { expect } from 'chai';
import type { Log, Options, PublishMessage } from '../../src/index.js';
import { OffsetOldest, trimByOffsetMulti } from '../../src/index.js';
import { backup } from '../helpers/api.js';
import { ChildLog } from '../helpers/child.js';
import { expectLogError } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';
import { useOpenLogs } from '../helpers/open-logs.js';
import { consumeAll, deterministic, expectedView, view } from '../helpers/messages.js';

/** Small segments, so a few hundred messages make dozens of sealed ones. */
const OPTS: Options = { keyIndex: true, timeIndex: true, rollover: 2048 };
const COUNT = 400;

type Cache = { hits: number; misses: number; bytes: number; maxBytes: number };
const cacheOf = async (log: Log): Promise<Cache> => (await log.stat()).readCache as Cache;

describe('read cache (readCacheSize)', function () {
  this.timeout(120_000);
  const children: ChildLog[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) await c.kill();
  });
  const { openLog } = useOpenLogs();
  const tempDir = useTempDirs('klevdb-cache-');

  async function publishAll(log: Log, count = COUNT, make: (i: number) => PublishMessage = deterministic) {
    for (let i = 0; i < count; i += 10)
      await log.publish(Array.from({ length: Math.min(10, count - i) }, (_, j) => make(i + j)));
  }

  /** Every offset below `count`: the message it was published with, or ERR_NOT_FOUND when in `gone`. */
  async function expectReads(
    log: Log,
    gone: ReadonlySet<number>,
    what: string,
    make: (i: number) => PublishMessage = deterministic,
    count = COUNT,
  ): Promise<void> {
    for (let o = 0; o < count; o++) {
      if (gone.has(o)) {
        await expectLogError(() => log.get(o), 'ERR_NOT_FOUND');
        const key = make(o).key;
        if (typeof key === 'string') await expectLogError(() => log.getByKey(key), 'ERR_NOT_FOUND');
      } else {
        expect(view(await log.get(o)), `${what}: get(${o})`).to.deep.equal(expectedView(make(o), o));
      }
    }
    const all = (await consumeAll(log, 25)).map((m) => m.offset);
    expect(all, `${what}: consume`).to.deep.equal([...Array(count).keys()].filter((o) => !gone.has(o)));
  }

  it('serves repeated reads of sealed segments from memory, counted in stat(), which still equals its three fields', async function () {
    const log = await openLog(await tempDir(), OPTS);
    await publishAll(log);
    const empty = await cacheOf(log);
    expect(empty).to.deep.equal({ hits: 0, misses: 0, bytes: 0, maxBytes: 64 * 1024 * 1024 });
    await expectReads(log, new Set(), 'first pass');
    const first = await cacheOf(log);
    expect(first.misses, 'the first pass read the files').to.be.greaterThan(0);
    expect(first.bytes).to.be.greaterThan(0).and.at.most(first.maxBytes);
    await expectReads(log, new Set(), 'second pass');
    const second = await cacheOf(log);
    expect(second.misses, 'the second pass read no sealed block again').to.equal(first.misses);
    expect(second.hits).to.be.greaterThan(first.hits + COUNT);
    const stat = await log.stat();
    expect(Object.keys(stat)).to.deep.equal(['segments', 'messages', 'size']);
    expect(JSON.parse(JSON.stringify(stat))).to.deep.equal({
      segments: stat.segments,
      messages: COUNT,
      size: stat.size,
    });
  });

  it('a lookup served from memory resolves within one microtask', async function () {
    const log = await openLog(await tempDir(), OPTS);
    await publishAll(log);
    await expectReads(log, new Set(), 'filling the cache');
    const { misses } = await cacheOf(log);
    for (const call of [() => log.get(7), () => log.getByKey('key-2-106'), () => log.getByTime(new Date(0))]) {
      let settled = false;
      void call().then(() => (settled = true));
      await Promise.resolve();
      expect(settled, String(call)).to.equal(true);
    }
    expect((await cacheOf(log)).misses, 'all from memory').to.equal(misses);
  });

  it('stays within readCacheSize, even one smaller than a block, and without one (0) reads from the files', async function () {
    const dir = await tempDir();
    const writer = await openLog(dir, OPTS);
    await publishAll(writer);
    await writer.close();
    for (const readCacheSize of [1000, 10_000]) {
      const log = await openLog(dir, { ...OPTS, readonly: true, readCacheSize });
      await expectReads(log, new Set(), `readCacheSize ${readCacheSize}`);
      const cache = await cacheOf(log);
      expect(cache.maxBytes).to.equal(readCacheSize);
      expect(cache.bytes, `readCacheSize ${readCacheSize}`).to.be.at.most(readCacheSize);
      // Random lookups over a log many times the cache: most miss, so it loads only some of the blocks it misses.
      let seed = 3;
      for (let i = 0; i < 6000; i++) {
        const o = (seed = (seed * 48271) % 2147483647) % COUNT;
        expect(view(await log.get(o)), `get(${o})`).to.deep.equal(expectedView(deterministic(o), o));
      }
      expect((await cacheOf(log)).bytes).to.be.at.most(readCacheSize);
      await log.close();
    }
    const none = await openLog(dir, { ...OPTS, readonly: true, readCacheSize: 0 });
    await expectReads(none, new Set(), 'readCacheSize 0');
    expect((await none.stat()).readCache).to.equal(undefined);
  });

  it('rejects a readCacheSize that is not a non-negative integer: ERR_INVALID_ARGUMENT naming it', async function () {
    const dir = await tempDir();
    for (const bad of [-1, 1.5, Number.NaN, '64', Infinity]) {
      await expectLogError(
        () => openLog(dir, { ...OPTS, readCacheSize: bad as number }),
        'ERR_INVALID_ARGUMENT',
        'options.readCacheSize',
      );
    }
  });

  it("a caller changing a returned message's buffers changes no later read", async function () {
    const log = await openLog(await tempDir(), OPTS);
    await publishAll(log);
    for (const o of [5, 6, 150, 151]) {
      const m = await log.get(o);
      m.value?.fill(0xaa);
      m.key?.fill(0x41);
      expect(view(await log.get(o))).to.deep.equal(expectedView(deterministic(o), o));
    }
    const batch = await log.consume(20, 10);
    for (const m of batch.messages) m.value?.fill(0);
    expect((await log.consume(20, 10)).messages.map(view)).to.deep.equal(
      batch.messages.map((m) => expectedView(deterministic(m.offset), m.offset)),
    );
  });

  it('gc frees the blocks of the segments it closes', async function () {
    const log = await openLog(await tempDir(), OPTS);
    await publishAll(log);
    await expectReads(log, new Set(), 'before gc');
    expect((await cacheOf(log)).bytes).to.be.greaterThan(0);
    await log.gc(0);
    expect((await cacheOf(log)).bytes, 'no sealed segment is open after gc(0)').to.equal(0);
    await expectReads(log, new Set(), 'after gc');
  });

  it('never serves a segment that a delete or trim in this process replaced, to the writer or a follower', async function () {
    const dir = await tempDir();
    const writer = await openLog(dir, OPTS);
    await publishAll(writer);
    const follower = await openLog(dir, { ...OPTS, readonly: true, followWriter: true });
    const gone = new Set<number>();
    await expectReads(writer, gone, 'writer, cached');
    await expectReads(follower, gone, 'follower, cached');
    // Deletes in the middle of sealed segments: what follows moves to lower positions in the rewritten file.
    for (const o of [3, 57, 58, 120, 201, 299, 300]) {
      await writer.delete([o]);
      gone.add(o);
      await expectReads(writer, gone, `writer after deleting ${o}`);
      await expectReads(follower, gone, `follower after deleting ${o}`);
    }
    await trimByOffsetMulti(writer, 100);
    for (let o = 0; o < 100; o++) gone.add(o);
    for (const log of [writer, follower]) {
      for (let o = 100; o < COUNT; o++)
        if (!gone.has(o))
          expect(view(await log.get(o)), `get(${o}) after trim`).to.deep.equal(expectedView(deterministic(o), o));
      expect((await consumeAll(log, 25)).map((m) => m.offset)).to.deep.equal(
        [...Array(COUNT).keys()].filter((o) => !gone.has(o)),
      );
    }
    expect((await cacheOf(follower)).hits, 'the follower read from its cache').to.be.greaterThan(0);
  });

  it('a follower never serves a segment that a writer in another process rewrote, with reads racing the rewrites', async function () {
    const dir = await tempDir();
    const { child, first } = await ChildLog.start(dir, OPTS);
    children.push(child);
    expect(first.type, JSON.stringify(first)).to.equal('opened');
    child.send({ cmd: 'publish', from: 0, count: COUNT, batch: 10 });
    expect(await child.next()).to.deep.include({ type: 'published', nextOffset: COUNT });
    const follower = await openLog(dir, { ...OPTS, readonly: true, followWriter: true });
    const gone = new Set<number>();
    await expectReads(follower, gone, 'cached');
    let seed = 7;
    const random = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    for (let round = 0; round < 20; round++) {
      // An offset in a sealed segment (the head holds the last few), not deleted yet; every third
      // round the oldest, whose delete renames its segment (a switch the follower must never half-see).
      let target = round % 3 === 2 ? (await follower.get(OffsetOldest)).offset : random(COUNT - 40);
      while (gone.has(target)) target = (target + 1) % (COUNT - 40);
      child.send({ cmd: 'delete', offsets: [target] });
      let acked = false;
      const ack = child.next().then((m) => {
        acked = true;
        return m;
      });
      // While the other process rewrites the segment: each read is the message as published,
      // or not found only for the offset being deleted.
      let raced = 0;
      while (!acked || raced < 5) {
        for (const o of [target, target + 1, random(COUNT)]) {
          if (gone.has(o)) continue;
          try {
            expect(view(await follower.get(o)), `get(${o}) racing the delete of ${target}`).to.deep.equal(
              expectedView(deterministic(o), o),
            );
          } catch (err) {
            if (o !== target || (err as { code?: string }).code !== 'ERR_NOT_FOUND') throw err;
          }
        }
        raced++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(await ack).to.deep.include({ type: 'deleted', count: 1 });
      gone.add(target);
      await expectLogError(() => follower.get(target), 'ERR_NOT_FOUND');
      const next = target + 1;
      if (!gone.has(next))
        expect(view(await follower.get(next))).to.deep.equal(expectedView(deterministic(next), next));
    }
    await expectReads(follower, gone, 'after the rewrites');
    expect((await cacheOf(follower)).hits).to.be.greaterThan(0);
    await child.close();
  });

  it('a backup restored over a followed directory is read afresh, not from the cache', async function () {
    // Two logs of the same offsets, keys, times and sizes; only the value bytes differ.
    const other = (i: number): PublishMessage => {
      const m = deterministic(i);
      return { ...m, value: m.value ? Buffer.from(m.value as Buffer).map((b) => b ^ 0xff) : null };
    };
    const dir = await tempDir();
    const source = await tempDir();
    for (const [d, make] of [
      [dir, deterministic],
      [source, other],
    ] as const) {
      const log = await openLog(d, OPTS);
      await publishAll(log, COUNT, make);
      await log.close();
    }
    const follower = await openLog(dir, { ...OPTS, readonly: true, followWriter: true });
    await expectReads(follower, new Set(), 'before the restore');
    await backup(source, dir);
    await expectReads(follower, new Set(), 'after the restore', other);
  });
});
