/** A segment's two files and how a log directory names and lists them (Go: pkg/segment). */
import fs from 'node:fs';
import path from 'node:path';
import { LogError, corrupted } from '../errors.js';

export interface SegmentFiles {
  dir: string;
  /** Offset of the segment's first message; names both files. */
  offset: number;
  logPath: string;
  indexPath: string;
}

export function segmentName(offset: number): string {
  return String(offset).padStart(20, '0');
}

export function segmentFiles(dir: string, offset: number): SegmentFiles {
  const name = segmentName(offset);
  return { dir, offset, logPath: path.join(dir, `${name}.log`), indexPath: path.join(dir, `${name}.index`) };
}

/** Lists the segments of `dir` by their `.log` files, oldest first (Go: segment.Find). */
export function findSegments(dir: string): SegmentFiles[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    throw fsError(err, `list segments of ${dir}`);
  }
  const offsets: number[] = [];
  for (const name of names) {
    if (!name.endsWith('.log')) continue;
    const stem = name.slice(0, -4);
    if (!/^\d+$/.test(stem) || !Number.isSafeInteger(Number(stem))) {
      throw corrupted(
        `unexpected file ${name} in log directory ${dir}: segment files are named by a 20-digit offset; move it away`,
      );
    }
    offsets.push(Number(stem));
  }
  offsets.sort((a, b) => a - b);
  return offsets.map((o) => segmentFiles(dir, o));
}

/** Size of a file, or -1 when it does not exist. */
export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw fsError(err, `stat ${file}`);
  }
}

/** Reads up to `length` bytes at `position`; fewer at the end of the file. */
export function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** The first `length` bytes of a file (fewer if it is shorter). */
export function readFileHead(file: string, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    return readAt(fd, 0, length);
  } finally {
    fs.closeSync(fd);
  }
}

export function writeAll(fd: number, buf: Buffer, length = buf.length): void {
  let done = 0;
  while (done < length) done += fs.writeSync(fd, buf, done, length - done);
}

/** fsync of a directory, so renames and new files in it survive a power loss. */
export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function removeIfExists(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(err, `remove ${file}`);
  }
}

/**
 * Wraps a system error with what we were doing; keeps LogErrors as they are.
 * A failure of the system (disk full, I/O error) stays a plain Error with its
 * errno `code`, not a KlevdbError: klevdb did not decide it (docs/errors.md).
 */
export function fsError(err: unknown, doing: string): Error {
  if (err instanceof LogError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EACCES' || e?.code === 'EPERM' || e?.code === 'ENOTDIR' || e?.code === 'EISDIR') {
    // A path that is not a directory, or that we may not read, is the caller's to fix.
    return new LogError('ERR_INVALID_ARGUMENT', `${doing}: ${e.message}; check the path and its permissions`, {
      cause: err,
    });
  }
  const wrapped =
    e?.code === 'ENOSPC'
      ? new Error(
          `${doing}: no space left on the device (ENOSPC); free some space and try again: what was written before this call is intact`,
          { cause: err },
        )
      : new Error(`${doing}: ${e?.message ?? String(err)}`, { cause: err });
  (wrapped as NodeJS.ErrnoException).code = e?.code;
  return wrapped;
}
