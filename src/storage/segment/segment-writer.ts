/** Appends messages to the head segment (Go: log_writer.go). */
import fs from 'node:fs';
import {
  type IndexParams,
  INDEX_HEADER_SIZE,
  detectIndexVersion,
  indexFileHeader,
  indexItemSize,
} from '../format/index-format.js';
import {
  type FormatVersion,
  type RecordInput,
  FILE_HEADER_SIZE,
  detectMessageVersion,
  encodeRecord,
  initialPosition,
  messageFileHeader,
  recordSize,
} from '../format/message-format.js';
import { invalidArgument } from '../errors.js';
import type { KeyHash } from '../format/key-hash.js';
import { FileSyncer } from './file-syncer.js';
import { ScratchBuffer } from './scratch-buffer.js';
import { appendRepairedItems, cutPartialIndexItem, repairUnindexedTail } from './head-repair.js';
import { checkLogTail, emptyItem, encodeNewItem, indexedEnd, loadSegmentIndex, validateIndex } from './index-loader.js';
import { verifyItems } from './index-verify.js';
import { type SegmentFiles, fsError, readAt, readFileHead, writeAll } from './segment-files.js';
import { SegmentIndex } from './segment-index.js';
import { SegmentReader } from './segment-reader.js';

/** How a head is written, beyond what its files say. */
export interface HeadOptions {
  /**
   * Log sizes in bytes, ascending (default: none): once the log holds each,
   * both files' dirty pages start going to disk on libuv's pool, unawaited,
   * so the rollover's synchronous syncs find less left to write.
   */
  writeBackAt?: readonly number[];
  /** How many items a new head's index arrays start with (a rollover: the sealed head's count). */
  expectedItems?: number;
}

/** The append's write buffers: one pair serves every log of the process (an append is synchronous). */
const logScratch = new ScratchBuffer(64 * 1024);
const indexScratch = new ScratchBuffer(16 * 1024);

/** A message ready to be written: bytes and an exact time. */
export interface PreparedMessage {
  key: Buffer | null;
  value: Buffer | null;
  timeMicros: number;
}

const REMEDY = 'open with recover: true';
/** The key hash of the item being encoded (an append is synchronous). */
const itemHash: KeyHash = { hi: 0, lo: 0 };

export class SegmentWriter {
  private readonly logSyncer: FileSyncer;
  private readonly indexSyncer: FileSyncer;
  private closed = false;
  /** The next of writeBackAt to reach. */
  private nextWriteBack = 0;

  private constructor(
    readonly files: SegmentFiles,
    private readonly params: IndexParams,
    readonly version: FormatVersion,
    readonly indexVersion: FormatVersion,
    private readonly logFd: number,
    private readonly indexFd: number,
    /** Bytes in the log file, header included (what rollover compares). */
    public logSize: number,
    private indexSize: number,
    readonly index: SegmentIndex,
    readonly reader: SegmentReader,
    /** Where the early write-backs start (HeadOptions). */
    private readonly writeBackAt: readonly number[],
  ) {
    this.logSyncer = new FileSyncer(logFd, files.logPath);
    reader.writtenHere = true;
    this.indexSyncer = new FileSyncer(indexFd, files.indexPath);
  }

  /**
   * Opens the head for appending: an existing log keeps its version, a new
   * one is written in `newVersion`. `nextTime` continues the previous
   * segment's index time chain after a rollover.
   */
  static open(
    files: SegmentFiles,
    params: IndexParams,
    newVersion: FormatVersion,
    nextTime: number,
    reader: SegmentReader,
    head: HeadOptions = {},
  ): SegmentWriter {
    const opened: number[] = [];
    try {
      const log = openForAppend(files.logPath, 'a+', opened, newVersion, messageFileHeader, (fd) =>
        detectMessageVersion(readAt(fd, 0, FILE_HEADER_SIZE), files.offset, files.logPath),
      );
      const { fd: logFd, version } = log;
      let logSize = log.size;

      let index: SegmentIndex;
      let repairedItems: Buffer | null = null;
      if (logSize > FILE_HEADER_SIZE) {
        cutPartialIndexItem(files, params);
        const loaded = loadSegmentIndex(files, params, { rebuildVersion: newVersion, persistRebuilt: true });
        index = new SegmentIndex(params, files.offset, nextTime, Math.max(loaded.count * 2, 256));
        const item = emptyItem();
        for (let i = 0; i < loaded.count; i++) index.append(loaded.item(i, item));
        validateIndex(index, files, initialPosition(version), logSize);
        // Records after the last indexed one: a publish a killed process did not finish (head-repair.ts).
        const end = indexedEnd(logFd, files, version, index, REMEDY);
        if (end < logSize)
          ({ logSize, newItems: repairedItems } = repairUnindexedTail(
            logFd,
            files,
            version,
            params,
            index,
            end,
            logSize,
          ));
        checkLogTail(logFd, files, version, index, logSize, REMEDY);
        // The head is at most a rollover's worth of bytes: check every item once, and trust our own appends after.
        verifyItems({ fd: logFd, version }, files.logPath, files.indexPath, index, 0, logSize, true);
        index.verified = index.count;
      } else {
        index = new SegmentIndex(params, files.offset, nextTime, head.expectedItems);
      }

      const ix = openForAppend(
        files.indexPath,
        'a',
        opened,
        newVersion,
        (v) => indexFileHeader(v, params),
        () =>
          detectIndexVersion(readFileHead(files.indexPath, INDEX_HEADER_SIZE), files.offset, params, files.indexPath),
      );
      const { fd: indexFd, version: indexVersion } = ix;
      let indexSize = ix.size;
      if (repairedItems) {
        appendRepairedItems(indexFd, files, repairedItems);
        indexSize += repairedItems.length;
      }
      reader.head = true;
      reader.adoptIndex(index, logSize);
      return new SegmentWriter(
        files,
        params,
        version,
        indexVersion,
        logFd,
        indexFd,
        logSize,
        indexSize,
        index,
        reader,
        head.writeBackAt ?? [],
      );
    } catch (err) {
      for (const fd of opened) fs.closeSync(fd);
      throw fsError(err, `open head segment ${files.logPath} for writing`);
    }
  }

  get indexBytes(): number {
    return this.indexSize;
  }

  get nextOffset(): number {
    return this.index.nextOffset;
  }

  /**
   * Appends a batch with one write per file; returns the next offset. The
   * index items are encoded straight into the index file's bytes and read
   * back into the in-memory index from there: no object per message.
   */
  append(messages: PreparedMessage[]): number {
    // After a failed sync the head may have lost bytes before this batch: refuse to build on it.
    this.checkSyncs();
    const params = this.params;
    const itemSize = indexItemSize(params);
    const n = messages.length;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const m = messages[i]!;
      total += recordSize(this.version, m.key?.length ?? 0, m.value?.length ?? 0);
    }
    const indexTotal = n * itemSize;
    const logBuf = logScratch.take(total);
    const indexBuf = indexScratch.take(indexTotal);
    const index = this.index;
    const rec: RecordInput = { offset: index.nextOffset, timeMicros: 0, key: null, value: null };
    let prevTime = index.lastTimestamp;
    let at = 0;
    // The items go to the index file's bytes and, unseen until the write succeeded, to the in-memory index.
    index.reserve(n);
    for (let i = 0, ix = 0; i < n; i++, ix += itemSize, rec.offset++) {
      const m = messages[i]!;
      rec.timeMicros = m.timeMicros;
      rec.key = m.key;
      rec.value = m.value;
      const position = this.logSize + at;
      at = encodeRecord(this.version, rec, logBuf, at);
      prevTime = encodeNewItem(params, rec, position, prevTime, indexBuf, ix, itemHash);
      index.stage(i, rec.offset, position, prevTime, itemHash.hi, itemHash.lo);
    }
    // A key or value whose length changed since it was measured (a getter, another thread's buffer) would
    // leave stale bytes of the reused buffer in the record: nothing is written then.
    if (at !== total) throw invalidArgument('messages changed while publish was encoding them; pass fixed bytes');
    this.writeOrRollBack(logBuf, total, indexBuf, indexTotal);
    this.reader.lastWrite.set(logScratch, logBuf, this.logSize, total);
    const trusted = index.verified === index.count;
    index.commitStaged(n);
    if (trusted) index.verified = index.count;
    this.logSize += total;
    this.indexSize += indexTotal;
    this.reader.dataEnd = this.logSize;
    if (this.logSize >= (this.writeBackAt[this.nextWriteBack] ?? Infinity)) {
      while (this.logSize >= (this.writeBackAt[this.nextWriteBack] ?? Infinity)) this.nextWriteBack++;
      this.logSyncer.writeBack();
      this.indexSyncer.writeBack();
    }
    return this.index.nextOffset;
  }

  /** A failed write (disk full) must not leave half a batch behind: cut both files back. */
  private writeOrRollBack(logBuf: Buffer, logBytes: number, indexBuf: Buffer, indexBytes: number): void {
    try {
      writeAll(this.logFd, logBuf, logBytes);
      writeAll(this.indexFd, indexBuf, indexBytes);
    } catch (err) {
      try {
        fs.ftruncateSync(this.logFd, this.logSize);
        fs.ftruncateSync(this.indexFd, this.indexSize);
      } catch {
        // The original error says more than the failed cleanup.
      }
      throw fsError(err, `append to ${this.files.logPath}`);
    }
  }

  /** Both files on disk (group-committed with concurrent callers). */
  durable(): Promise<void> {
    return Promise.all([this.logSyncer.request(), this.indexSyncer.request()]).then(
      () => undefined,
      (err: unknown) => {
        throw syncError(err, this.files);
      },
    );
  }

  /** Throws the failure of an earlier sync of either file, if one failed. */
  checkSyncs(): void {
    this.onBothFiles((syncer) => syncer.check());
  }

  /** Both files on disk before this returns (rollover, close); fails if any earlier sync of them failed. */
  syncNow(): void {
    this.onBothFiles((syncer) => syncer.syncNow());
  }

  private onBothFiles(run: (syncer: FileSyncer) => void): void {
    try {
      run(this.logSyncer);
      run(this.indexSyncer);
    } catch (err) {
      throw syncError(err, this.files);
    }
  }

  /** Turns the head into a sealed segment (rollover, after syncNow); its reader stays in the log. */
  seal(): void {
    this.index.seal();
    this.reader.head = false;
    this.reader.dataEnd = this.logSize;
    // The publish that rolled over is about to take the write buffer anyway; a sealed reader keeps none of it.
    this.reader.lastWrite.clear();
  }

  /**
   * Closes the append handles once no sync is in flight on them; rejects if
   * one of those syncs failed (an early write-back can fail after the
   * rollover's own sync passed).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.logSyncer.idle(), this.indexSyncer.idle()]);
    fs.closeSync(this.logFd);
    fs.closeSync(this.indexFd);
    this.checkSyncs();
  }
}

/** A failed sync: what was written since the last good one may be lost, and nothing tells what. */
function syncError(err: unknown, files: SegmentFiles): Error {
  const e = err as NodeJS.ErrnoException;
  const wrapped = new Error(
    `sync of ${files.logPath} failed (${e?.message ?? String(err)}): messages written since the last successful sync may be lost; close the log, check the disk, and open it with check: true (recover: true if that fails)`,
    { cause: err },
  );
  (wrapped as NodeJS.ErrnoException).code = e?.code;
  return wrapped;
}

/** Opens a file for appending: an empty one gets the header of `newVersion`, an existing one keeps its own. */
function openForAppend(
  file: string,
  flags: 'a' | 'a+',
  opened: number[],
  newVersion: FormatVersion,
  header: (v: FormatVersion) => Buffer,
  detect: (fd: number) => FormatVersion,
): { fd: number; version: FormatVersion; size: number } {
  const fd = fs.openSync(file, flags, 0o600);
  opened.push(fd);
  const size = fs.fstatSync(fd).size;
  if (size > 0) return { fd, version: detect(fd), size };
  const h = header(newVersion);
  try {
    writeAll(fd, h);
  } catch (err) {
    // Half a header would make the file unreadable; an empty one is written again next time.
    fs.ftruncateSync(fd, 0);
    throw err;
  }
  return { fd, version: newVersion, size: h.length };
}
