// Locking between logs in this and other processes, and a followWriter
// reader following a writer in a child process.
import { expect } from 'chai';
import { copyFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { OffsetOldest } from '../../src/index.js';
import type { Log, Message, Options } from '../../src/index.js';
import { check, open } from '../helpers/api.js';
import { ChildLog } from '../helpers/child.js';
import { expectLogError } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';
import { useOpenLogs } from '../helpers/open-logs.js';
import { consumeAll, deterministic, expectedView, view } from '../helpers/messages.js';

const BOTH: Options = { keyIndex: true, timeIndex: true };

describe('processes and locks', function () {
  this.timeout(60_000);
  const children: ChildLog[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) await c.kill();
  });
  const { openLog, closeLog } = useOpenLogs();
  // registered last: children are killed and logs closed before their dirs are removed
  const tempDir = useTempDirs('klevdb-proc-');
  async function startChild(
    dir: string,
    opts: Options,
  ): Promise<{ child: ChildLog; first: Awaited<ReturnType<typeof ChildLog.start>>['first'] }> {
    const started = await ChildLog.start(dir, opts);
    children.push(started.child);
    return started;
  }
  /** Beside a writer: writers and plain readers here are ERR_LOCKED, a follower opens and sees `next`. */
  async function expectLockedHere(dir: string, next: number): Promise<void> {
    await expectLogError(() => open(dir, BOTH), 'ERR_LOCKED');
    await expectLogError(() => open(dir, { ...BOTH, readonly: true }), 'ERR_LOCKED');
    const follower = await openLog(dir, { ...BOTH, readonly: true, followWriter: true });
    expect(await follower.nextOffset()).to.equal(next);
  }
  async function expectChildLocked(dir: string, opts: Options): Promise<void> {
    const { first } = await startChild(dir, opts);
    expect(first, `open(${JSON.stringify(opts)}) in a child`).to.deep.include({
      type: 'error',
      name: 'LogError',
      code: 'ERR_LOCKED',
    });
  }

  describe('in the same process', function () {
    it('a second writer, or a plain readonly open, beside a writer is ERR_LOCKED', async function () {
      const dir = await tempDir();
      const writer = await openLog(dir, BOTH);
      await writer.publish([{ value: 'x' }]);
      await expectLockedHere(dir, 1);
      await writer.close();
      const again = await openLog(dir, BOTH);
      expect(await again.nextOffset()).to.equal(1);
    });

    it('readonly opens share the directory; a writer beside them is ERR_LOCKED', async function () {
      const dir = await tempDir();
      const w = await openLog(dir, BOTH);
      await w.publish([{ value: 'x' }]);
      await w.close();
      const r1 = await openLog(dir, { ...BOTH, readonly: true });
      const r2 = await openLog(dir, { ...BOTH, readonly: true });
      expect(await r1.nextOffset()).to.equal(1);
      expect(await r2.nextOffset()).to.equal(1);
      await expectLogError(() => open(dir, BOTH), 'ERR_LOCKED');
      await r1.close();
      await expectLogError(() => open(dir, BOTH), 'ERR_LOCKED');
      await r2.close();
      const writer = await openLog(dir, BOTH);
      expect(await writer.publish([{ value: 'y' }])).to.equal(2);
    });
  });

  describe('across processes', function () {
    it('a writer in a child locks out writers and plain readers here, not followers', async function () {
      const dir = await tempDir();
      const { child, first } = await startChild(dir, BOTH);
      expect(first.type).to.equal('opened');
      expect((await child.publish(0, 5, 2)).nextOffset).to.equal(5);
      await expectLockedHere(dir, 5);
      await child.close();
      const writer = await openLog(dir, BOTH);
      expect(await writer.nextOffset()).to.equal(5);
    });

    it('a writer here locks out a writer and a plain reader in a child', async function () {
      const dir = await tempDir();
      const writer = await openLog(dir, BOTH);
      await writer.publish([deterministic(0)]);
      await expectChildLocked(dir, BOTH);
      await expectChildLocked(dir, { ...BOTH, readonly: true });
      const { child, first } = await startChild(dir, { ...BOTH, readonly: true, followWriter: true });
      expect(first.type, JSON.stringify(first)).to.equal('opened');
      await child.close();
    });

    it('a plain reader in a child locks out a writer here; two plain readers share', async function () {
      const dir = await tempDir();
      const w = await openLog(dir, BOTH);
      await w.publish([deterministic(0)]);
      await closeLog(w);
      const { child, first } = await startChild(dir, { ...BOTH, readonly: true });
      expect(first.type, JSON.stringify(first)).to.equal('opened');
      await expectLogError(() => open(dir, BOTH), 'ERR_LOCKED');
      const reader = await openLog(dir, { ...BOTH, readonly: true });
      expect(await reader.nextOffset()).to.equal(1);
      await child.close();
      await closeLog(reader);
      const writer = await openLog(dir, BOTH);
      expect(await writer.nextOffset()).to.equal(1);
    });

    it('the lock is released when the writer process is SIGKILLed, and what it published is there', async function () {
      const dir = await tempDir();
      const { child, first } = await startChild(dir, { ...BOTH, rollover: 1024 });
      expect(first.type).to.equal('opened');
      expect((await child.publish(0, 40, 3)).nextOffset).to.equal(40);
      await expectLogError(() => open(dir, BOTH), 'ERR_LOCKED');
      await child.kill();
      expect((await child.exited).signal).to.equal('SIGKILL');
      const log = await openLog(dir, { ...BOTH, check: true });
      expect(await log.nextOffset()).to.equal(40);
      for (let i = 0; i < 40; i++) expect(view(await log.get(i))).to.deep.equal(expectedView(deterministic(i), i));
    });
  });

  describe('followWriter', function () {
    /** Follows `log` from `from` until `until`, checking every message; returns segment counts seen. */
    async function follow(log: Log, from: number, until: number, deadlineMs: number): Promise<Set<number>> {
      const segmentCounts = new Set<number>();
      let offset = from;
      const deadline = Date.now() + deadlineMs;
      while (offset < until) {
        expect(Date.now(), `the follower reached only offset ${offset} of ${until}`).to.be.below(deadline);
        const r = await log.consume(offset, 50);
        expect(r.nextOffset).to.be.at.least(offset);
        r.messages.forEach((m: Message, j: number) => {
          expect(m.offset, 'contiguous offsets').to.equal(offset + j);
          expect(view(m), `message ${m.offset}`).to.deep.equal(expectedView(deterministic(m.offset), m.offset));
        });
        if (r.messages.length) expect(r.nextOffset).to.equal(r.messages[r.messages.length - 1].offset + 1);
        else await new Promise((res) => setTimeout(res, 2));
        offset = r.nextOffset;
        segmentCounts.add((await log.stat()).segments);
      }
      return segmentCounts;
    }

    /** A writer in a child on a fresh dir, and a follower of it here. */
    async function writerChildAndFollower(opts: Options): Promise<{ dir: string; child: ChildLog; follower: Log }> {
      const dir = await tempDir();
      const { child, first } = await startChild(dir, opts);
      expect(first.type, JSON.stringify(first)).to.equal('opened');
      const follower = await openLog(dir, { ...opts, readonly: true, followWriter: true });
      return { dir, child, follower };
    }

    it('reads what a writer in another process publishes, across rollovers, never a wrong or partial message', async function () {
      const { child, follower } = await writerChildAndFollower({ ...BOTH, rollover: 2048 });
      expect(await follower.nextOffset()).to.equal(0);
      expect(await follower.consume(OffsetOldest, 10)).to.deep.equal({ nextOffset: 0, messages: [] });

      const total = 1500;
      child.send({ cmd: 'publish', from: 0, count: total, batch: 7 });
      const counts = await follow(follower, 0, total, 45_000);
      const done = await child.next();
      expect(done).to.deep.include({ type: 'published', nextOffset: total });
      expect(counts.size, 'the follower saw the segment count grow').to.be.greaterThan(3);

      expect(await follower.nextOffset()).to.equal(total);
      expect(await follower.stat()).to.deep.equal(done.stat);
      const last = deterministic(total - 1);
      if (last.key !== null) expect((await follower.getByKey(last.key as string)).offset).to.equal(total - 1);
      expect(
        (await follower.getByTime(new Date(Math.floor((deterministic(700).timeMicros as number) / 1000)))).offset,
      ).to.equal(700);
      await expectLogError(() => follower.publish([{ value: 'x' }]), 'ERR_READONLY');
      await child.close();
    });

    it("takes a next offset that went back for good (klevdb's Go writer deleting its newest message) after looking again", async function () {
      const dir = await tempDir();
      let writer = await openLog(dir, BOTH);
      await writer.publish([0, 1, 2, 3, 4].map((i) => deterministic(i)));
      await closeLog(writer);
      const follower = await openLog(dir, { ...BOTH, readonly: true, followWriter: true });
      expect(await follower.nextOffset()).to.equal(5);
      // What Go leaves: the head rewritten in place (new files renamed over the old) without offset 4, and no new head.
      const copy = await tempDir();
      writer = await openLog(copy, BOTH);
      await writer.publish([0, 1, 2, 3].map((i) => deterministic(i)));
      await closeLog(writer);
      for (const ext of ['log', 'index'] as const) {
        const name = `${'0'.repeat(20)}.${ext}`;
        await copyFile(path.join(copy, name), path.join(dir, `${name}.tmp`));
        await rename(path.join(dir, `${name}.tmp`), path.join(dir, name));
      }
      expect(await follower.nextOffset(), 'the follower reads the log as it now is').to.equal(4);
      expect(await follower.nextOffset()).to.equal(4);
      expect((await follower.consume(OffsetOldest, 10)).messages.map((m) => m.offset)).to.deep.equal([0, 1, 2, 3]);
      await expectLogError(() => follower.get(4), 'ERR_INVALID_OFFSET');
    });

    it('follows a writer in this process, including its deletes', async function () {
      const dir = await tempDir();
      const opts: Options = { ...BOTH, rollover: 1024 };
      const writer = await openLog(dir, opts);
      const follower = await openLog(dir, { ...opts, readonly: true, followWriter: true });
      for (let i = 0; i < 60; i += 4) await writer.publish([0, 1, 2, 3].map((j) => deterministic(i + j)));
      await follow(follower, 0, 60, 10_000);
      const firstSegment = (await writer.consume(OffsetOldest, 1000)).messages.map((m) => m.offset);
      expect(firstSegment.length).to.be.greaterThan(1);
      await writer.delete(firstSegment);
      await writer.delete([30]);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const seen = (await consumeAll(follower)).map((m) => m.offset);
        const want = [...Array(60).keys()].filter((o) => o !== 30 && !firstSegment.includes(o));
        if (JSON.stringify(seen) === JSON.stringify(want)) break;
        expect(Date.now(), `the follower still sees ${JSON.stringify(seen)}`).to.be.below(deadline);
        await new Promise((res) => setTimeout(res, 10));
      }
      await expectLogError(() => follower.get(30), 'ERR_NOT_FOUND');
      expect(view(await follower.get(31))).to.deep.equal(expectedView(deterministic(31), 31));
      expect(await follower.stat()).to.deep.equal(await writer.stat());
    });

    it('after the writer is killed mid-stream, recover keeps a prefix of whole messages', async function () {
      const opts: Options = { ...BOTH, rollover: 4096 };
      const { dir, child, follower } = await writerChildAndFollower(opts);
      child.send({ cmd: 'publish', from: 0, count: 1_000_000, batch: 5 });
      const deadline = Date.now() + 20_000;
      while ((await follower.nextOffset()) < 500) {
        expect(Date.now(), 'the child publishes').to.be.below(deadline);
        await new Promise((res) => setTimeout(res, 5));
      }
      await child.kill();
      await closeLog(follower);
      const log = await openLog(dir, { ...opts, recover: true });
      const n = await log.nextOffset();
      expect(n).to.be.at.least(500);
      const all = await consumeAll(log, 500);
      expect(all.length).to.equal(n);
      all.forEach((m, i) => expect(view(m), `message ${i}`).to.deep.equal(expectedView(deterministic(i), i)));
      expect(await log.publish([deterministic(n)])).to.equal(n + 1);
      await closeLog(log);
      await check(dir, opts);
    });

    it('a follower opened before the writer created anything sees the log appear', async function () {
      const dir = await tempDir();
      const opts: Options = { ...BOTH, rollover: 1024 };
      const follower = await openLog(dir, { ...opts, readonly: true, followWriter: true });
      expect(await follower.nextOffset()).to.equal(0);
      const { child, first } = await startChild(dir, opts);
      expect(first.type, JSON.stringify(first)).to.equal('opened');
      child.send({ cmd: 'publish', from: 0, count: 200, batch: 3 });
      await follow(follower, 0, 200, 30_000);
      expect(await child.next()).to.deep.include({ type: 'published', nextOffset: 200 });
      await child.close();
      expect((await follower.stat()).segments).to.be.greaterThan(5);
    });
  });
});
