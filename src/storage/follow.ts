/**
 * followWriter: a readonly log without a lock that keeps up with a writer in
 * another process. Before each call it looks for (1) index items the writer
 * appended to the head (only whole items, and a record is always written
 * before its item, so no half-written message is ever read), (2) new
 * segments after a rollover, found at the name the next offset gives, and
 * (3) segments rewritten by delete or compaction, found by the directory's
 * change time and each log file's inode.
 */
import fs from 'node:fs';
import { INDEX_HEADER_SIZE, decodeIndexItem, detectIndexVersion, indexItemSize } from './format/index-format.js';
import { initialPosition } from './format/message-format.js';
import { emptyItem, indexFromLog } from './segment/index-loader.js';
import { openLogForRead } from './segment/log-scanner.js';
import { LogError } from './errors.js';
import { type SegmentFiles, fileSize, findSegments, fsError, readAt, segmentFiles } from './segment/segment-files.js';
import { SegmentIndex } from './segment/segment-index.js';
import { SegmentReader } from './segment/segment-reader.js';
import { supersededByInterruptedRewrite } from './segment/rewrite.js';
import type { FollowedSegments } from './segment-state.js';

/** How often a follower's read starts over after meeting a file mid-rewrite. */
export const FOLLOW_RETRIES = 4;

/** Blocks for `ms` milliseconds: the reads are synchronous, and the writer needs a moment to finish its renames. */
export function pauseSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** What a follower's read that kept failing throws: always a LogError. */
export function followFailure(err: unknown, dir: string): Error {
  if (err instanceof LogError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') {
    return new LogError(
      'ERR_CORRUPTED',
      `log corrupted: a segment file of ${dir} kept vanishing while followWriter read it (${e.message}); if a writer is rewriting, read again`,
      { cause: err },
    );
  }
  const wrapped = fsError(err, `read ${dir}`);
  return wrapped instanceof LogError
    ? wrapped
    : new LogError('ERR_CORRUPTED', `log corrupted: ${wrapped.message}`, { cause: err });
}

/** Directory changes younger than this are looked at again: file times tick coarsely. */
const SETTLE_NS = 2_000_000_000n;

export class Follower {
  private dirChange = -1n;
  /** Bytes of the head's index file already turned into items. */
  private headIndexBytes = 0;
  private headIndexVersion: 'V1' | 'V2' | null = null;
  private headReader: SegmentReader | null = null;
  /** The highest next offset this follower has seen. */
  private highestNext = 0;

  constructor(private readonly log: FollowedSegments) {}

  refresh(): void {
    const st = fs.statSync(this.log.dir, { bigint: true });
    const now = BigInt(Date.now()) * 1_000_000n;
    const nextName = segmentFiles(this.log.dir, this.headNextOffset()).logPath;
    if (st.ctimeNs !== this.dirChange || now - st.ctimeNs < SETTLE_NS || fs.existsSync(nextName)) {
      this.dirChange = st.ctimeNs;
      this.rescan();
    }
    this.growHead();
    this.keepNextOffset();
  }

  /**
   * Next offsets never go back (a writer that deletes its newest message
   * starts a new head at the old next offset first). A view that says they
   * did was put together mid-change: the directory listed before the new
   * head appeared, the old head's index read after its rewrite. Look again.
   */
  private keepNextOffset(): void {
    for (let attempt = 1; attempt <= FOLLOW_RETRIES && this.headNextOffset() < this.highestNext; attempt++) {
      pauseSync(attempt);
      this.reloadOnce();
    }
    // Still lower after looking again: the writer did go back (klevdb's Go writer can, deleting its
    // newest message). Take it, so that later calls do not look again.
    this.highestNext = this.headNextOffset();
  }

  private headNextOffset(): number {
    const head = this.log.head;
    return head.loadedIndex ? head.loadedIndex.nextOffset : head.offset;
  }

  /**
   * Starts over from the directory: every reader closed and reopened. For
   * when a read met a file the writer removed or renamed between our looks
   * (a rewrite renames its log and index one after the other).
   */
  reload(): void {
    this.reloadOnce();
    this.keepNextOffset();
  }

  private reloadOnce(): void {
    for (const r of this.log.segments) r.close();
    this.headReader = null;
    this.dirChange = -1n;
    this.log.reset([this.newReader(segmentFiles(this.log.dir, 0), true)]);
    this.rescan();
    this.growHead();
  }

  private newReader(files: SegmentFiles, head: boolean): SegmentReader {
    return new SegmentReader(files, this.log.opts.params, head, {
      rebuildVersion: this.log.opts.newSegmentsVersion,
      persistRebuilt: false,
    });
  }

  /** Matches the segment list to the directory, keeping readers whose files did not change. */
  private rescan(): void {
    // The marker first: read after the listing, it could hide the old segment of a switch that listing
    // caught before the new one appeared, and the offsets of both would look deleted.
    const hidden = supersededByInterruptedRewrite(this.log.dir);
    let found: SegmentFiles[];
    try {
      found = findSegments(this.log.dir);
    } catch {
      return; // a file renamed away under us: the next call looks again
    }
    if (hidden !== null) found = found.filter((s) => s.offset !== hidden);
    if (found.length === 0) return;
    const byOffset = new Map(this.log.segments.map((r) => [r.offset, r]));
    const next: SegmentReader[] = [];
    found.forEach((files, i) => {
      const isHead = i === found.length - 1;
      let reader = byOffset.get(files.offset);
      if (reader) {
        byOffset.delete(files.offset);
        const ino = inodeOf(files.logPath);
        const rewritten = reader.inode >= 0 && ino >= 0 && ino !== reader.inode;
        if (rewritten || (reader.head && !isHead)) {
          // Rewritten, or sealed by a rollover: reload from its final files.
          reader.close();
          reader = undefined;
          if (this.headReader && this.headReader.offset === files.offset) this.headReader = null;
        }
      }
      next.push(reader ?? this.newReader(files, isHead));
      next[next.length - 1]!.head = isHead;
    });
    for (const gone of byOffset.values()) gone.close();
    const known = new Set(this.log.segments);
    this.log.reset(next);
    for (const reader of next) if (!reader.head && !known.has(reader)) this.log.noteSealed(reader);
  }

  /** Loads the head's index incrementally from its file. */
  private growHead(): void {
    const head = this.log.head;
    const files = head.files;
    if (this.headReader !== head) {
      this.headReader = head;
      this.headIndexBytes = 0;
      this.headIndexVersion = null;
      if (fileSize(files.logPath) < 0) {
        head.adoptEmpty();
        return;
      }
      head.adoptIndex(new SegmentIndex(this.log.opts.params, files.offset, 0), 0);
    }
    // A head rewritten in place (a delete) has a new inode: our items and handle belong to the old file.
    const ino = inodeOf(files.logPath);
    if (head.inode >= 0 && ino >= 0 && ino !== head.inode) {
      this.reload();
      return;
    }
    const index = head.loadedIndex!;
    const size = fileSize(files.indexPath);
    if (size <= INDEX_HEADER_SIZE && index.count === 0) {
      // The writer has not indexed anything yet, or the index is missing: read the log's whole records.
      if (fileSize(files.logPath) > 0) this.indexFromLogTail(head, files);
      return;
    }
    if (size > this.headIndexBytes) this.readNewItems(head, files, index, size);
  }

  private readNewItems(head: SegmentReader, files: SegmentFiles, index: SegmentIndex, size: number): void {
    let fd: number;
    try {
      fd = fs.openSync(files.indexPath, 'r');
    } catch (err) {
      throw fsError(err, `open ${files.indexPath}`);
    }
    try {
      if (!this.headIndexVersion) {
        if (size < INDEX_HEADER_SIZE) return;
        this.headIndexVersion = detectIndexVersion(
          readAt(fd, 0, INDEX_HEADER_SIZE),
          files.offset,
          this.log.opts.params,
          files.indexPath,
        );
        this.headIndexBytes = this.headIndexVersion === 'V2' ? INDEX_HEADER_SIZE : 0;
      }
      const itemSize = indexItemSize(this.log.opts.params);
      const whole = Math.floor((size - this.headIndexBytes) / itemSize) * itemSize;
      if (whole <= 0) return;
      const buf = readAt(fd, this.headIndexBytes, whole);
      const item = emptyItem();
      for (let at = 0; at + itemSize <= buf.length; at += itemSize) {
        decodeIndexItem(this.log.opts.params, buf, at, item);
        if (item.offset >= index.nextOffset || index.count === 0) index.append(item);
      }
      this.headIndexBytes += whole;
      // Records are written before their index items, so the log already holds all of them.
      head.dataEnd = head.currentLogSize();
    } finally {
      fs.closeSync(fd);
    }
  }

  private indexFromLogTail(head: SegmentReader, files: SegmentFiles): void {
    let log;
    try {
      log = openLogForRead(files.logPath, files.offset);
    } catch {
      return; // the header is still being written
    }
    try {
      const { index } = indexFromLog(log, files.logPath, this.log.opts.params, files.offset);
      if (index.count > 0) head.adoptIndex(index, log.size);
      else head.dataEnd = Math.max(head.dataEnd, initialPosition(log.version));
    } finally {
      fs.closeSync(log.fd);
    }
  }

  close(): void {
    this.headReader = null;
  }
}

function inodeOf(file: string): number {
  try {
    return fs.statSync(file).ino;
  } catch {
    return -1;
  }
}
