/** Operations on a closed log directory (Go: klevdb.Check, Recover, Backup, Migrate). */
import fs from 'node:fs';
import { backupDirectory } from './backup.js';
import { checkVersion, resolveOptions } from './log-options.js';
import { DirectoryLock } from './lock.js';
import { type CheckedSegment, checkSegment, recoverSegment } from './segment/segment-check.js';
import { SegmentChanged, checkSegmentPrefix } from './segment/segment-check-live.js';
import { LogError, isLogError } from './errors.js';
import { type SegmentFiles, findSegments } from './segment/segment-files.js';
import { migrateSegment } from './segment/segment-migrate.js';
import type { Options, Version } from './types.js';
import { checkString } from './validate.js';

/** Segments of `dir`, or none when it does not exist (klevdb treats that as an empty log). */
function segmentsOf(dir: string): SegmentFiles[] {
  if (!fs.existsSync(dir)) return [];
  return findSegments(dir);
}

/** Checks the head segment: every record readable, the index equal to the records. */
export async function check(dir: string, opts?: Options): Promise<void> {
  checkString('dir', dir);
  const o = resolveOptions(opts);
  const segs = segmentsOf(dir);
  if (segs.length > 0) checkSegment(segs[segs.length - 1]!, o.params);
}

/** What checkHead looked at. */
export interface HeadCheck {
  /** Segments in the directory. */
  segments: number;
  /** The head segment's first offset and what of it was checked; null when there are no segments. */
  head: (CheckedSegment & { segment: number }) | null;
}

/**
 * Runs `fn` while no writer can start: under a shared lock on the directory,
 * as a readonly log holds it (`besideWriter` false). When a writer in another
 * process holds the lock, runs it without one (`besideWriter` true). A
 * directory where the lock file cannot be created (read-only media) has no
 * writer either.
 */
export async function underReadLock<T>(dir: string, fn: (besideWriter: boolean) => Promise<T>): Promise<T> {
  let lock: DirectoryLock | null = null;
  try {
    lock = DirectoryLock.acquire(dir, false);
  } catch (err) {
    if (isLogError(err, 'ERR_LOCKED')) return fn(true);
  }
  try {
    return await fn(false);
  } finally {
    lock?.release();
  }
}

/**
 * check() that also works beside a writer: without one, the whole head (as
 * check); beside one (see underReadLock), the head up to its last whole index
 * item, as a readonly reader reads it (segment-check-live.ts). A writer that
 * keeps replacing the head's files while they are read (deletes, compaction)
 * is ERR_LOCKED after a few tries: the check needs it stopped.
 */
export async function checkHead(dir: string, opts: Options | undefined, besideWriter: boolean): Promise<HeadCheck> {
  checkString('dir', dir);
  const o = resolveOptions(opts);
  for (let attempt = 0; ; attempt++) {
    const segs = segmentsOf(dir);
    const head = segs[segs.length - 1];
    if (!head) return { segments: 0, head: null };
    try {
      const checked = besideWriter ? checkSegmentPrefix(head, o.params) : checkSegment(head, o.params);
      return { segments: segs.length, head: { segment: head.offset, ...checked } };
    } catch (err) {
      if (!(err instanceof SegmentChanged)) throw err;
      if (attempt >= CHANGED_RETRIES) {
        throw new LogError(
          'ERR_LOCKED',
          `log ${dir}: its writer rewrote the head segment each time it was checked; stop the writer and check again`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 5 << attempt));
    }
  }
}
const CHANGED_RETRIES = 5;

/** Keeps the readable prefix of the head segment and repairs its index. Takes the writer's lock. */
export async function recover(dir: string, opts?: Options): Promise<void> {
  checkString('dir', dir);
  const o = resolveOptions(opts);
  const segs = segmentsOf(dir);
  if (segs.length === 0) return;
  const lock = DirectoryLock.acquire(dir, true);
  try {
    recoverSegment(segs[segs.length - 1]!, o.params);
    o.onProgress?.({ operation: 'recover', done: 1, total: 1, unit: 'segments' });
  } finally {
    lock.release();
  }
}

/** Copies a closed log directory; unchanged files already in `dst` are skipped. */
export async function backup(src: string, dst: string): Promise<void> {
  checkString('src', src);
  checkString('dst', dst);
  await backupDirectory(src, dst);
}

/** Rewrites every segment not yet in `version`. Takes the writer's lock. */
export async function migrate(dir: string, opts: Options, version: Version): Promise<void> {
  checkString('dir', dir);
  const o = resolveOptions(opts);
  const target = checkVersion('version', version);
  const segs = segmentsOf(dir);
  if (segs.length === 0) return;
  const lock = DirectoryLock.acquire(dir, true);
  try {
    segs.forEach((seg, i) => {
      migrateSegment(seg, target, o.params);
      o.onProgress?.({ operation: 'migrate', done: i + 1, total: segs.length, unit: 'segments' });
    });
  } finally {
    lock.release();
  }
}
