/**
 * Rewrites a segment without some offsets (Go: Segment.Rewrite) into
 * temporary files beside it, and commits the result crash-safely.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { IndexParams } from '../format/index-format.js';
import { indexItemSize } from '../format/index-format.js';
import {
  type FormatVersion,
  encodeRecord,
  messageFileHeader,
  recordOverhead,
  recordSize,
  toMessage,
} from '../format/message-format.js';
import type { Message } from '../types.js';
import { emptyItem, newIndexItem, writeIndexFile } from './index-loader.js';
import { openLogForRead, scanRecords } from './log-scanner.js';
import { type SegmentFiles, fsError, removeIfExists, segmentFiles, syncDir, writeAll } from './segment-files.js';
import { SegmentIndex } from './segment-index.js';

export interface RewrittenSegment {
  tmpLog: string;
  tmpIndex: string;
  /** Offset of the first message left, or -1 when none is left. */
  firstOffset: number;
  survivors: number;
  /** The deleted messages, when the caller asked for them (copies). */
  deleted: Message[];
  /** The deleted offsets, ascending. */
  deletedOffsets: number[];
  deletedSize: number;
}

const BUFFER_LIMIT = 1 << 20;

export function rewriteSegment(
  seg: SegmentFiles,
  drop: Set<number>,
  params: IndexParams,
  version: FormatVersion,
  indexVersion: FormatVersion,
  keepMessages = true,
): RewrittenSegment {
  const suffix = crypto.randomBytes(4).toString('hex');
  const out: RewrittenSegment = {
    tmpLog: `${seg.logPath}.rewrite.${suffix}`,
    tmpIndex: `${seg.indexPath}.rewrite.${suffix}`,
    firstOffset: -1,
    survivors: 0,
    deleted: [],
    deletedOffsets: [],
    deletedSize: 0,
  };
  const src = openLogForRead(seg.logPath, seg.offset);
  const dst = fs.openSync(out.tmpLog, 'w', 0o600);
  try {
    const index = new SegmentIndex(params, seg.offset, 0, 1024);
    const item = emptyItem();
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = (): void => {
      if (pending.length) writeAll(dst, Buffer.concat(pending, pendingBytes));
      pending.length = 0;
      pendingBytes = 0;
    };
    const header = messageFileHeader(version);
    pending.push(header);
    pendingBytes += header.length;
    let position = header.length;
    let prevTime = 0;
    // Same version: a kept record's bytes are what encoding it again would give (its CRC was just checked).
    const verbatim = src.version === version;
    const end = scanRecords(src, seg.logPath, (rec, _position, raw) => {
      if (drop.has(rec.offset)) {
        // Copies: views would keep every 1 MiB read chunk of the segment alive with the result.
        if (keepMessages)
          out.deleted.push(
            toMessage(rec.offset, rec.timeMicros, rec.key && Buffer.from(rec.key), rec.value && Buffer.from(rec.value)),
          );
        out.deletedOffsets.push(rec.offset);
        out.deletedSize +=
          recordOverhead(src.version) + (rec.key?.length ?? 0) + (rec.value?.length ?? 0) + indexItemSize(params);
        return;
      }
      let buf = raw;
      if (!verbatim) {
        buf = Buffer.allocUnsafe(recordSize(version, rec.key?.length ?? 0, rec.value?.length ?? 0));
        encodeRecord(version, rec, buf, 0);
      }
      newIndexItem(params, rec, position, prevTime, item);
      prevTime = item.timestamp;
      index.append(item);
      if (out.firstOffset < 0) out.firstOffset = rec.offset;
      out.survivors++;
      position += buf.length;
      pending.push(buf);
      pendingBytes += buf.length;
      if (pendingBytes >= BUFFER_LIMIT) flush();
    });
    if (end.kind !== 'eof') throw end.error;
    // Nothing left (a compaction's usual case for all but the newest segments): the caller
    // removes the segment and discards the unsynced temporary log; no index is needed.
    if (out.survivors === 0 && out.deletedOffsets.length > 0) return out;
    flush();
    // Both files written before either is synced: the first fsync's journal commit carries the second file's data too.
    writeIndexFile(out.tmpIndex, indexVersion, params, index);
    fs.fsyncSync(dst);
    return out;
  } catch (err) {
    fs.closeSync(dst);
    removeIfExists(out.tmpLog);
    removeIfExists(out.tmpIndex);
    throw err;
  } finally {
    fs.closeSync(src.fd);
    try {
      fs.closeSync(dst);
    } catch {
      // already closed on the error path
    }
  }
}

export function discardRewrite(rs: RewrittenSegment): void {
  removeIfExists(rs.tmpLog);
  removeIfExists(rs.tmpIndex);
}

export function removeSegment(seg: SegmentFiles): void {
  removeIfExists(seg.indexPath);
  removeIfExists(seg.logPath);
  syncDir(seg.dir);
}

/** What a segment's files are renamed to while they wait to be unlinked; no reader lists them (nor Go's). */
const REMOVED = '.removed';

/**
 * Takes whole segments out of the log in one step each, oldest first: both
 * files renamed (the index first, so a crash in between leaves the segment
 * whole, its index rebuilt), one directory sync for all. Unlinking a file of
 * a few MiB costs milliseconds on some filesystems; the caller unlinks the
 * renamed files afterwards (unlinkRemoved), off the event loop, and the next
 * writable open removes any a crash left. Returns how many segments went,
 * all unless a rename failed (its error is thrown when none went), and the
 * files to unlink.
 */
export function removeSegments(segs: SegmentFiles[]): { removed: number; trash: string[] } {
  const trash: string[] = [];
  let removed = 0;
  try {
    for (const seg of segs) {
      const index = renameIfExists(seg.indexPath, seg.indexPath + REMOVED);
      try {
        fs.renameSync(seg.logPath, seg.logPath + REMOVED);
      } catch (err) {
        // Put the index back (best effort: without it the log's index is rebuilt on open).
        if (index) renameIfExists(seg.indexPath + REMOVED, seg.indexPath);
        throw fsError(err, `remove ${seg.logPath}`);
      }
      if (index) trash.push(seg.indexPath + REMOVED);
      trash.push(seg.logPath + REMOVED);
      removed++;
    }
  } catch (err) {
    if (removed === 0) throw err;
  }
  if (removed > 0) syncDir(segs[0]!.dir);
  return { removed, trash };
}

function renameIfExists(from: string, to: string): boolean {
  try {
    fs.renameSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fsError(err, `rename ${from}`);
  }
}

/** Unlinks removeSegments' files on libuv's pool; one that fails stays for the next writable open to remove. */
export function unlinkRemoved(trash: string[]): Promise<unknown> {
  return Promise.all(trash.map((file) => fs.promises.unlink(file).catch(() => undefined)));
}

const COMMIT_MARKER = '.rewrite-commit';

/**
 * Puts the rewritten files in place of `old`. Under the same name, the old
 * index goes first and each rename is atomic, so a crash leaves the old or
 * the new log (a missing index is rebuilt). Under a new name (the first
 * messages were deleted) a marker file makes the switch one step: open
 * finishes or undoes it, so a crash never leaves both segments, or neither.
 */
export function commitRewrite(old: SegmentFiles, rs: RewrittenSegment): SegmentFiles {
  if (rs.firstOffset === old.offset) {
    removeIfExists(old.indexPath);
    fs.renameSync(rs.tmpLog, old.logPath);
    fs.renameSync(rs.tmpIndex, old.indexPath);
    syncDir(old.dir);
    return old;
  }
  const next = segmentFiles(old.dir, rs.firstOffset);
  const marker = path.join(old.dir, COMMIT_MARKER);
  const fd = fs.openSync(marker, 'w', 0o600);
  try {
    writeAll(fd, Buffer.from(`${old.offset} ${next.offset}\n`));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  syncDir(old.dir);
  fs.renameSync(rs.tmpIndex, next.indexPath);
  fs.renameSync(rs.tmpLog, next.logPath);
  syncDir(old.dir);
  removeSegment(old);
  removeIfExists(marker);
  return next;
}

/** Finishes or undoes a switch a crash interrupted, and removes stale temporary files. */
export function settleInterruptedRewrites(dir: string): void {
  const marker = path.join(dir, COMMIT_MARKER);
  let text: string | null = null;
  try {
    text = fs.readFileSync(marker, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== null) {
    const [oldOffset, newOffset] = text.trim().split(' ').map(Number);
    if (Number.isSafeInteger(oldOffset) && Number.isSafeInteger(newOffset)) {
      const old = segmentFiles(dir, oldOffset);
      const next = segmentFiles(dir, newOffset);
      if (fs.existsSync(next.logPath)) removeSegment(old);
      else removeIfExists(next.indexPath);
    }
    removeIfExists(marker);
  }
  let stale = false;
  for (const name of fs.readdirSync(dir)) {
    if (/\.(log|index)\.(rewrite\.[0-9a-z]+|recover|migrate|removed)$/.test(name)) {
      removeIfExists(path.join(dir, name));
      stale = true;
    }
  }
  // Only a directory we changed needs its fsync: a clean open pays none.
  if (text !== null || stale) syncDir(dir);
}

/** For a reader that may not modify the directory: the old segment of an unfinished switch to hide. */
export function supersededByInterruptedRewrite(dir: string): number | null {
  try {
    const [oldOffset, newOffset] = fs.readFileSync(path.join(dir, COMMIT_MARKER), 'utf8').trim().split(' ').map(Number);
    return fs.existsSync(segmentFiles(dir, newOffset).logPath) ? oldOffset : null;
  } catch {
    return null;
  }
}
