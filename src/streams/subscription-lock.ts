/**
 * One active consumer per subscription name: flock(2) on `<dir>/<name>.lock`,
 * as the storage layer locks a log directory. The kernel drops the lock when
 * the process dies, so a crashed consumer never leaves it stuck; a second
 * open in the same process conflicts too (flock belongs to an open file).
 * Waiting polls: flock's blocking form would block Node's event loop.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fsError, tryFlock, unflockAndClose } from '../storage/backend-kit.js';
import { LogError } from '../storage/index.js';
import type { WaitOptions } from './durable-options.js';

export class SubscriptionLock {
  private constructor(private fd: number | null) {}

  static async acquire(dir: string, name: string, wait: WaitOptions | undefined): Promise<SubscriptionLock> {
    const file = path.join(dir, `${name}.lock`);
    let fd: number;
    try {
      fs.mkdirSync(dir, { recursive: true });
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_CREAT, 0o600);
    } catch (err) {
      throw fsError(err, `open lock ${file}`);
    }
    try {
      await lockOrWait(fd, file, name, wait);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    return new SubscriptionLock(fd);
  }

  release(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    unflockAndClose(fd);
  }
}

const locked = (file: string, name: string, after?: number): LogError =>
  new LogError(
    'ERR_LOCKED',
    `subscription "${name}" is consumed by another process or subscription (lock ${file})` +
      (after === undefined
        ? '; close it first, or open with wait: true to wait for it'
        : `; still locked after waiting ${after} ms`),
  );

async function lockOrWait(fd: number, file: string, name: string, wait: WaitOptions | undefined): Promise<void> {
  const attempt = (): boolean => {
    try {
      return tryFlock(fd, true);
    } catch (err) {
      throw fsError(err, `lock ${file}`);
    }
  };
  if (attempt()) return;
  if (wait === undefined) throw locked(file, name);
  const began = Date.now();
  const pollMs = wait.pollMs ?? 100;
  for (;;) {
    if (wait.signal?.aborted)
      throw new LogError(
        'ERR_ABORTED',
        `klevdb/streams: stopped waiting for the lock of subscription "${name}": the wait signal was aborted`,
      );
    const left = wait.timeoutMs === undefined ? Infinity : wait.timeoutMs - (Date.now() - began);
    if (left <= 0) throw locked(file, name, wait.timeoutMs);
    await sleep(Math.min(pollMs, left), wait.signal);
    if (attempt()) return;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
