// Disk full: publishing until the disk has no room fails with ENOSPC and a
// message that says what to do; the log stays readable and consistent (every
// acknowledged message, byte for byte; check passes), further publishes fail
// without changing anything, and once space is freed publishing carries on at
// the next offset. Run twice: on a simulated disk (fs.writeSync gives out
// after a byte budget, part of a write landing first, as a real disk does)
// and on a real 1 MiB tmpfs when this process may mount one (root).
import { expect } from 'chai';
import { reportFigure } from '../helpers/figures.js';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Log, Options, PublishMessage } from '../../src/index.js';
import { check, open } from '../helpers/api.js';
import { caught } from '../helpers/errors.js';
import { requireExternal, ROOT } from '../helpers/external.js';
import { consumeAll, expectedViews, GEN_BASE_MICROS, views } from '../helpers/messages.js';

const OPTIONS: Options = { keyIndex: true, timeIndex: true, rollover: 64 * 1024, autoSync: true, createDirs: true };

/** Batch b: three messages of 3 KiB with keys that repeat. */
function batch(b: number): PublishMessage[] {
  return [0, 1, 2].map((j) => {
    const i = b * 3 + j;
    return { key: `k${i % 7}`, value: Buffer.alloc(3000, i & 0xff), timeMicros: GEN_BASE_MICROS + i * 1000 };
  });
}

interface Disk {
  /** A directory on the disk for the log. */
  dir: string;
  /** Gives the space back. */
  free(): Promise<void>;
}

/** Publishes until the disk is full; returns what was acknowledged and the error. */
async function fill(log: Log): Promise<{ acked: PublishMessage[]; err: NodeJS.ErrnoException }> {
  const acked: PublishMessage[] = [];
  for (let b = 0; b < 10_000; b++) {
    const messages = batch(b);
    try {
      await log.publish(messages);
    } catch (err) {
      return { acked, err: err as NodeJS.ErrnoException };
    }
    acked.push(...messages);
  }
  return expect.fail('the disk never filled up');
}

/** Fills the disk through `log`, checks everything while full, frees space, publishes and checks again. */
async function fillAndRecover(disk: Disk, opened: (log: Log | null) => void): Promise<void> {
  let log = await open(disk.dir, OPTIONS);
  opened(log);
  const { acked, err } = await fill(log);
  expect(acked.length, 'messages that fit').to.be.greaterThan(30);
  expect(err.code, `error code (${err.message})`).to.equal('ENOSPC');
  expect(err.message)
    .to.match(/no space left/i)
    .and.to.match(/free some space/i)
    .and.to.contain(disk.dir);

  // Full, and still readable and consistent.
  expect(await log.nextOffset()).to.equal(acked.length);
  expect(views(await consumeAll(log, 100))).to.deep.equal(expectedViews(acked));
  expect((await log.getByKey(`k${(acked.length - 1) % 7}`)).offset).to.equal(acked.length - 1);
  const again = (await caught(() => log.publish(batch(9999)))) as NodeJS.ErrnoException;
  expect(again.code, 'a publish while full fails too').to.equal('ENOSPC');
  expect(await log.nextOffset(), 'and changes nothing').to.equal(acked.length);

  await disk.free();
  const more = batch(acked.length / 3);
  expect(await log.publish(more)).to.equal(acked.length + 3);
  await log.close();
  opened(null);
  await check(disk.dir, OPTIONS);
  log = await open(disk.dir, OPTIONS);
  opened(log);
  expect(views(await consumeAll(log, 100))).to.deep.equal(expectedViews([...acked, ...more]));
  await log.close();
  opened(null);
}

describe('disk full', function () {
  this.timeout(60_000);

  describe('simulated (writes give out after a byte budget)', function () {
    const realWriteSync = fs.writeSync;
    let log: Log | null = null;
    afterEach(async () => {
      fs.writeSync = realWriteSync;
      await log?.close().catch(() => undefined);
    });

    /** A disk with `budget` bytes left: part of a write lands and the next call fails, as on a disk that just filled up. */
    async function simulatedDisk(root: string, budget: number): Promise<Disk> {
      let left = budget;
      fs.writeSync = function (
        fd: number,
        buffer: NodeJS.ArrayBufferView,
        offset?: number,
        length?: number,
        position?: number | null,
      ) {
        const want = length ?? buffer.byteLength - (offset ?? 0);
        if (left <= 0 && want > 0) {
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
            code: 'ENOSPC',
            errno: -28,
            syscall: 'write',
          });
        }
        const n = Math.min(want, left);
        left -= n;
        return realWriteSync(fd, buffer, offset, n, position);
      } as typeof fs.writeSync;
      return {
        dir: path.join(root, `log-${budget}`),
        free: async () => {
          fs.writeSync = realWriteSync;
        },
      };
    }

    // 60 budgets 193 bytes apart run out inside records, inside index items and between a
    // batch's log and index writes; the last three in the headers of the segment that the
    // rollover at offset 48 starts (its log header is written at byte 147,392 of the run).
    const budgets = [...Array.from({ length: 60 }, (_, k) => 140_000 + k * 193), 147_392, 147_396, 147_400];
    it(`at ${budgets.length} different points: fails with ENOSPC saying what to do; every acknowledged message stays; publishes work again once space is freed`, async function () {
      const root = await mkdtemp(path.join(os.tmpdir(), 'klevdb-full-'));
      try {
        for (const budget of budgets) await fillAndRecover(await simulatedDisk(root, budget), (l) => (log = l));
        reportFigure('disk full', 'points where a simulated disk filled up', budgets.length);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });
  });

  describe('a real 1 MiB tmpfs', function () {
    const mounts: string[] = [];
    after(async () => {
      for (const m of mounts) {
        try {
          execFileSync('umount', [m], { stdio: 'ignore' });
        } catch {
          // already unmounted
        }
        await rm(m, { recursive: true, force: true });
      }
    });

    let log: Log | null = null;
    afterEach(async () => {
      await log?.close().catch(() => undefined);
    });

    it('fails with ENOSPC saying what to do; every acknowledged message stays; publishes work again once space is freed', async function () {
      const mountPoint = await mkdtemp(path.join(os.tmpdir(), 'klevdb-tmpfs-'));
      let mounted = false;
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'ignore' });
        mounted = true;
      } catch {
        await rm(mountPoint, { recursive: true, force: true });
      }
      requireExternal(this, ROOT, mounted || null);
      mounts.push(mountPoint);
      // A filler file to free later: the log gets what is left.
      const filler = path.join(mountPoint, 'filler');
      await writeFile(filler, Buffer.alloc(400 * 1024));
      await fillAndRecover(
        { dir: path.join(mountPoint, 'log'), free: () => rm(filler, { force: true }) },
        (l) => (log = l),
      );
      reportFigure('disk full', 'real tmpfs filled up', 1);
    });
  });
});
