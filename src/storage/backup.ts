/**
 * Consistent copies of a log (Go: Backup). An open log is snapshotted in one
 * synchronous step (file handles and lengths), then copied asynchronously:
 * publishes and rewrites that happen during the copy are not in it, and the
 * copy never holds half a record.
 */
import fs from 'node:fs';
import path from 'node:path';
import { corrupted, invalidArgument } from './errors.js';
import { INDEX_HEADER_SIZE, indexItemSize } from './format/index-format.js';
import { fileSize, fsError, findSegments, readFileHead, syncDir } from './segment/segment-files.js';
import type { SegmentReader } from './segment/segment-reader.js';
import type { SegmentsView } from './segment-state.js';

interface FileSnapshot {
  name: string;
  fd: number;
  length: number;
  /** Whole file, so the copy may take its mtime and be skipped next time if unchanged. */
  complete: boolean;
  mtimeMs: number;
}

export function snapshotSegments(log: SegmentsView): FileSnapshot[] {
  const files: FileSnapshot[] = [];
  try {
    const head = log.segments[log.segments.length - 1]!;
    for (const seg of log.segments) {
      // The head may be mid-append (here, or in a writer this reader follows): copy only whole, indexed records.
      const lengths = seg === head ? headLengths(log, seg) : null;
      for (const [file, i] of [
        [seg.files.logPath, 0],
        [seg.files.indexPath, 1],
      ] as const) {
        if (!fs.existsSync(file)) continue;
        const fd = fs.openSync(file, 'r');
        const st = fs.fstatSync(fd);
        files.push({
          name: path.basename(file),
          fd,
          length: lengths ? lengths[i] : st.size,
          complete: !lengths,
          mtimeMs: st.mtimeMs,
        });
      }
    }
  } catch (err) {
    for (const f of files) fs.closeSync(f.fd);
    throw fsError(err, `backup ${log.dir}`);
  }
  return files;
}

/** Bytes of the head's log and index that hold whole records and their items. */
function headLengths(log: SegmentsView, head: SegmentReader): [number, number] {
  if (log.writer) return [log.writer.logSize, log.writer.indexBytes];
  if (fileSize(head.files.logPath) < 0) return [0, 0];
  const index = head.getIndex();
  const indexHeader =
    fileSize(head.files.indexPath) > 0 && readFileHead(head.files.indexPath, 1)[0] === 0xff ? INDEX_HEADER_SIZE : 0;
  return [head.indexedDataEnd(), indexHeader + index.count * indexItemSize(log.opts.params)];
}

export async function copySegmentsTo(files: FileSnapshot[], target: string): Promise<void> {
  const existing = await fs.promises.stat(target).catch(() => null);
  if (existing && !existing.isDirectory()) {
    for (const f of files) fs.closeSync(f.fd);
    throw invalidArgument(`dir ${target} is not a directory; back up into a new or existing directory`);
  }
  try {
    await fs.promises.mkdir(target, { recursive: true, mode: 0o700 });
    for (const f of files) await copyFile(f, path.join(target, f.name));
    syncDir(target);
  } catch (err) {
    throw fsError(err, `backup to ${target}`);
  } finally {
    for (const f of files) fs.closeSync(f.fd);
  }
}

async function copyFile(src: FileSnapshot, dst: string): Promise<void> {
  const existing = await fs.promises.stat(dst).catch(() => null);
  // Times are compared to the millisecond: utimes cannot always set the source's nanoseconds exactly.
  if (
    existing &&
    src.complete &&
    existing.size === src.length &&
    Math.floor(existing.mtimeMs) === Math.floor(src.mtimeMs)
  )
    return;
  // Written beside and renamed over: a file already there is replaced, never changed in place, so a reader
  // that has it open (a follower, its read cache) keeps reading the old file until it notices the rename.
  const tmp = `${dst}.backup-tmp`;
  const out = await fs.promises.open(tmp, 'w', 0o600);
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    let done = 0;
    while (done < src.length) {
      const want = Math.min(chunk.length, src.length - done);
      const n = await new Promise<number>((resolve, reject) =>
        fs.read(src.fd, chunk, 0, want, done, (err, bytes) => (err ? reject(err) : resolve(bytes))),
      );
      if (n === 0)
        throw corrupted(
          `${src.name} ended after ${done} of ${src.length} bytes while it was backed up: something truncated it; check the log and back it up again`,
        );
      await out.write(chunk, 0, n);
      done += n;
    }
    await out.sync();
  } catch (err) {
    await out.close();
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await out.close();
  if (src.complete) await fs.promises.utimes(tmp, src.mtimeMs / 1000, src.mtimeMs / 1000);
  await fs.promises.rename(tmp, dst);
}

/** Backup of a closed log directory (Go: klevdb.Backup). */
export async function backupDirectory(src: string, dst: string): Promise<void> {
  let segs;
  try {
    segs = findSegments(src);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const files: FileSnapshot[] = [];
  try {
    for (const seg of segs) {
      for (const file of [seg.logPath, seg.indexPath]) {
        if (!fs.existsSync(file)) continue;
        const fd = fs.openSync(file, 'r');
        const st = fs.fstatSync(fd);
        files.push({ name: path.basename(file), fd, length: st.size, complete: true, mtimeMs: st.mtimeMs });
      }
    }
  } catch (err) {
    for (const f of files) fs.closeSync(f.fd);
    throw fsError(err, `backup ${src}`);
  }
  await copySegmentsTo(files, dst);
}
