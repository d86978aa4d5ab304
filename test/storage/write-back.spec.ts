// Early write-back: without autoSync the head starts its dirty pages towards
// the disk once it is half full and again once it is full (unawaited, on
// libuv's pool, both files at once), so the rollover's synchronous syncs find
// little left to write. What must
// hold: the rollover still syncs the sealed segment before the next one
// exists, and a sync that fails, early or late, is never forgotten: publish,
// sync and close fail with it (the kernel reports a writeback error to one
// fdatasync only, so a retry that "succeeds" would hide lost bytes).
import { expect } from 'chai';
import fs from 'node:fs';
import type { Log, Options, PublishMessage } from '../../src/index.js';
import { OffsetOldest } from '../../src/index.js';
import { open } from '../helpers/api.js';
import { caught } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';

const ROLLOVER = 1 << 20;
const OPTIONS: Options = { keyIndex: true, timeIndex: true, rollover: ROLLOVER, createDirs: true };
/** 100 messages of 1000-byte values: 103-104 KB of log per batch (36 bytes of record, 2-5 of key). */
const batch = (b: number): PublishMessage[] =>
  Array.from({ length: 100 }, (_, j) => ({ key: `k${b * 100 + j}`, value: Buffer.alloc(1000, (b + j) & 0xff) }));

type SyncCallback = (err: NodeJS.ErrnoException | null) => void;
const eio = (): NodeJS.ErrnoException =>
  Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' });

describe('early write-back of the head, and failed syncs', function () {
  this.timeout(30_000);
  const tempDir = useTempDirs('klevdb-write-back-');
  const realAsync = fs.fdatasync;
  const realSync = fs.fdatasyncSync;
  let logs: Log[] = [];
  /** fdatasync calls on libuv's pool, and on the main thread. */
  let pool = 0;
  let main = 0;
  /** What the next pool syncs do instead of syncing (null: sync). */
  let poolFault: ((done: SyncCallback) => void) | null = null;
  /** Pool syncs a test left hanging: answered after it, so close() does not wait for them forever. */
  const hanging: SyncCallback[] = [];

  beforeEach(() => {
    pool = 0;
    main = 0;
    poolFault = null;
    logs = [];
    (fs as { fdatasync: unknown }).fdatasync = (fd: number, done: SyncCallback) => {
      pool++;
      if (poolFault) poolFault(done);
      else realAsync(fd, done);
    };
    (fs as { fdatasyncSync: unknown }).fdatasyncSync = (fd: number) => {
      main++;
      realSync(fd);
    };
  });

  afterEach(async () => {
    fs.fdatasync = realAsync;
    fs.fdatasyncSync = realSync;
    for (const done of hanging.splice(0)) done(null);
    for (const log of logs) await log.close().catch(() => undefined);
  });

  async function opened(dir: string, extra: Options = {}): Promise<Log> {
    const log = await open(dir, { ...OPTIONS, ...extra });
    logs.push(log);
    return log;
  }

  it('starts syncs on the pool before the rollover, and the rollover still syncs both files before the next head', async () => {
    const log = await opened(await tempDir());
    for (let b = 0; b < 4; b++) await log.publish(batch(b));
    expect(pool, 'no write-back below half the rollover (416 KB)').to.equal(0);
    for (let b = 4; b < 6; b++) await log.publish(batch(b));
    expect(pool, 'both files written back once the log passed 512 KiB').to.equal(2);
    for (let b = 6; b < 10; b++) await log.publish(batch(b));
    expect(pool, 'once until the head is full').to.equal(2);
    await log.publish(batch(10));
    expect(pool, 'the full head (over 1 MiB: the next publish rolls over) starts both files again').to.equal(4);
    expect(main, 'no sync on the main thread before the rollover').to.equal(0);
    expect((await log.stat()).segments).to.equal(1);
    await log.publish(batch(11));
    expect((await log.stat()).segments).to.equal(2);
    expect(main, 'the rollover syncs the sealed log and index itself').to.equal(2);
    for (let b = 12; b < 18; b++) await log.publish(batch(b));
    expect(pool, 'the new head writes back once it is half full too').to.equal(6);
  });

  it("syncs through descriptors of its own, so an error a write-back sees is still reported to the rollover's sync", async () => {
    const poolFds: number[] = [];
    const mainFds: number[] = [];
    (fs as { fdatasync: unknown }).fdatasync = (fd: number, done: SyncCallback) => {
      poolFds.push(fd);
      realAsync(fd, done);
    };
    (fs as { fdatasyncSync: unknown }).fdatasyncSync = (fd: number) => {
      mainFds.push(fd);
      realSync(fd);
    };
    const log = await opened(await tempDir());
    for (let b = 0; b < 12; b++) await log.publish(batch(b));
    expect(poolFds).to.have.length(4);
    expect(mainFds).to.have.length(2);
    for (const fd of poolFds) expect(mainFds, `pool sync on fd ${fd}`).to.not.include(fd);
    await log.sync();
  });

  it('leaves the syncing to autoSync, and to the rollover when it is too small for a write-back', async () => {
    const synced = await opened(await tempDir(), { autoSync: true });
    for (let b = 0; b < 6; b++) await synced.publish(batch(b));
    expect(pool, 'one sync of each file per publish, nothing more').to.equal(12);
    pool = 0;
    const small = await opened(await tempDir(), { rollover: 500 * 1024 });
    for (let b = 0; b < 6; b++) await small.publish(batch(b));
    expect(pool).to.equal(0);
    expect((await small.stat()).segments).to.equal(2);
  });

  it('a write-back that fails makes every later publish, sync and close fail with EIO, and says what to do', async () => {
    const dir = await tempDir();
    const log = await opened(dir);
    poolFault = (done) => setImmediate(() => done(eio()));
    // The sixth batch crosses 512 KiB: the write-back starts; it fails after the batch was appended.
    for (let b = 0; b < 6; b++) await log.publish(batch(b));
    await new Promise((resolve) => setImmediate(resolve));
    for (const call of [() => log.publish(batch(6)), () => log.sync(), () => log.publish(batch(7))]) {
      const err = (await caught(call)) as NodeJS.ErrnoException;
      expect(err.code, err.message).to.equal('EIO');
      expect(err.message).to.match(/sync of .*00000000000000000000\.log failed/);
      expect(err.message).to.include('check: true');
    }
    expect(await log.nextOffset(), 'nothing was appended after the failure').to.equal(600);
    const closing = (await caught(() => log.close())) as NodeJS.ErrnoException;
    expect(closing.code).to.equal('EIO');
    // close released the directory: the log opens again (here the bytes were never lost).
    poolFault = null;
    const again = await opened(dir, { check: true });
    expect((await again.consume(OffsetOldest, 1)).messages[0]!.key!.toString()).to.equal('k0');
    expect(await again.nextOffset()).to.equal(600);
  });

  it("a write-back still running at the rollover and failing after the rollover's own sync passed fails the next sync", async () => {
    const log = await opened(await tempDir());
    let release: (() => void) | null = null;
    // The write-backs hang until released, then fail: the rollover's synchronous syncs pass meanwhile.
    poolFault = (done) => {
      hanging.push(done);
      release = () => {
        for (const hung of hanging.splice(0)) hung(eio());
      };
    };
    for (let b = 0; b < 12; b++) await log.publish(batch(b));
    expect((await log.stat()).segments, 'the rollover happened').to.equal(2);
    expect(release).to.not.equal(null);
    poolFault = null;
    const syncing = log.sync();
    release!();
    const err = (await caught(() => syncing)) as NodeJS.ErrnoException;
    expect(err.code, err.message).to.equal('EIO');
    const later = (await caught(() => log.publish(batch(11)))) as NodeJS.ErrnoException;
    expect(later.code).to.equal('EIO');
  });

  it("a rollover whose own sync fails keeps failing: a retried fdatasync's success would hide the lost bytes", async () => {
    const log = await opened(await tempDir(), { rollover: 300 * 1024 });
    for (let b = 0; b < 3; b++) await log.publish(batch(b));
    let failNext = true;
    fs.fdatasyncSync = (fd: number) => {
      if (failNext) {
        failNext = false;
        throw eio();
      }
      realSync(fd);
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      const err = (await caught(() => log.publish(batch(3)))) as NodeJS.ErrnoException;
      expect(err.code, `attempt ${attempt}: ${err.message}`).to.equal('EIO');
    }
    expect((await log.stat()).segments, 'the head was not sealed').to.equal(1);
    expect(await log.nextOffset()).to.equal(300);
  });
});
