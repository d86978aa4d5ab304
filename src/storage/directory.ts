/** Operations on a closed log directory (Go: klevdb.Check, Recover, Backup, Migrate). */
import fs from 'node:fs';
import { backupDirectory } from './backup.js';
import { checkVersion, resolveOptions } from './log-options.js';
import { DirectoryLock } from './lock.js';
import { checkSegment, recoverSegment } from './segment/segment-check.js';
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
