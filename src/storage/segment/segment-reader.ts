/** Reads the messages of one segment through its in-memory index (Go: log_reader.go). */
import fs from 'node:fs';
import { type IndexParams, INDEX_HEADER_SIZE, detectIndexVersion, indexItemSize } from '../format/index-format.js';
import {
  type FormatVersion,
  type RecordPlace,
  FILE_HEADER_SIZE,
  describePlace,
  RECORD_HEADER_SIZE,
  decodeV2Copy,
  detectMessageVersion,
  initialPosition,
  recordSizeFromHeader,
  shortRecordError,
  toMessage,
} from '../format/message-format.js';
import type { Message } from '../types.js';
import { type LoadIndexOptions, checkLogTail, loadSegmentIndex, validateIndex } from './index-loader.js';
import { itemTimeFits, verifyItems } from './index-verify.js';
import { decodeIndexedRecord, itemDisagrees } from './damage.js';
import { LastWrite } from './last-write.js';
import { type ReadCache, newHandleId } from './read-cache.js';
import { type SegmentFiles, fsError, readAt, readFileHead } from './segment-files.js';
import { SegmentIndex } from './segment-index.js';

/** readItems reads the records of two items with one pread when they start at most this many bytes apart... */
const SPAN_GAP = 16 * 1024;
/** ...and a group's reads span at most this many bytes. */
const SPAN_MAX = 1024 * 1024;

export class SegmentReader {
  /** Loaded lazily and dropped by gc; the head's is shared with its writer. */
  private index: SegmentIndex | null = null;
  private fd: number | null = null;
  /** Names `fd` in a ReadCache; a new one each time the file is opened (-1: not open). */
  handle = -1;
  private version: FormatVersion | null = null;
  /** Bytes of the log that hold whole records; reads never go past it. */
  dataEnd = -1;
  /**
   * When gc last saw this segment in use. Reads only set `touched` (a clock
   * read per call costs more than the rest of a lookup); gc turns that into a
   * time, so "unused for ms" is measured between gc calls.
   */
  private lastAccess = Date.now();
  private touched = false;
  /** A sealed segment whose items were all checked against its records, and their fingerprint (both kept when gc drops the index). */
  private checkedAll = false;
  private checkedItems = 0;
  /** Inode of the log file when it was opened, to notice a rewrite by another process. */
  inode = -1;
  /**
   * Set by the writer of this process that appends to this head: the bytes
   * before dataEnd are then final (appends only add after them, a failed
   * append cuts back to dataEnd, a rewrite is a new file and handle), so the
   * read cache may serve them. A follower's head is another process's to cut.
   */
  writtenHere = false;
  /** The writer's last append to this head, while its write buffer still holds it (a live reader's next read). */
  readonly lastWrite = new LastWrite();

  constructor(
    readonly files: SegmentFiles,
    readonly params: IndexParams,
    /** The head may be empty and still be the place of the next offset. */
    public head: boolean,
    private readonly loadOptions: LoadIndexOptions,
  ) {}

  get offset(): number {
    return this.files.offset;
  }

  /** Gives the reader an index it did not load itself (the writer's, or one refreshed by a follower). */
  adoptIndex(index: SegmentIndex, dataEnd: number): void {
    this.index = index;
    this.dataEnd = dataEnd;
  }

  /** A head with no files yet (a readonly open of an empty directory). */
  adoptEmpty(): void {
    this.index = new SegmentIndex(this.params, this.files.offset, 0);
    this.dataEnd = 0;
  }

  get loadedIndex(): SegmentIndex | null {
    return this.index;
  }

  getIndex(): SegmentIndex {
    this.touched = true;
    if (this.index) return this.index;
    this.openFd();
    const index = loadSegmentIndex(this.files, this.params, this.loadOptions);
    validateIndex(index, this.files, initialPosition(this.version!), this.dataEnd);
    if (!this.head) {
      // A sealed segment is complete: its index must cover its log exactly (the head may still be growing).
      checkLogTail(
        this.fd!,
        this.files,
        this.version!,
        index,
        this.dataEnd,
        `remove ${this.files.indexPath} to rebuild it from the log`,
      );
      index.seal();
    }
    // A readonly head is small and what nextOffset answers from: check all of it before it is used.
    if (this.head) this.verifyLoaded(index);
    else if (this.checkedAll) this.recheckReloaded(index);
    this.index = index;
    return index;
  }

  /**
   * The index with every item checked against its record, for the lookups
   * that trust what the items say (key hashes, times). Each sealed segment
   * is read once per open (its files never change); the head only for items
   * this process did not append itself.
   */
  verifiedIndex(): SegmentIndex {
    this.ensureVerified();
    return this.getIndex();
  }

  /** Like verifiedIndex, without loading an index that gc dropped after it was checked. */
  ensureVerified(): void {
    if (!this.checkedAll) this.verifyLoaded(this.getIndex());
  }

  /** An index gc dropped after it was checked, loaded again: checked again unless it holds the items checked then (a file damaged or replaced in between). */
  private recheckReloaded(index: SegmentIndex): void {
    this.checkedAll = index.fingerprint() === this.checkedItems;
    if (this.checkedAll) index.verified = index.count;
    else this.verifyLoaded(index);
  }

  private verifyLoaded(index: SegmentIndex): void {
    if (index.verified < index.count) {
      const fd = this.openFd();
      const version = this.version!;
      const end = this.head ? this.recordEnd(fd, version, index.positionAt(index.count - 1)) : this.dataEnd;
      if (end > this.dataEnd)
        throw shortRecordError(version, `at byte ${index.positionAt(index.count - 1)} of ${this.files.logPath}`);
      verifyItems({ fd, version }, this.files.logPath, this.files.indexPath, index, index.verified, end, this.head);
      index.verified = index.count;
    }
    if (!this.head && !this.checkedAll) {
      this.checkedAll = true;
      this.checkedItems = index.fingerprint();
    }
  }

  private openFd(): number {
    if (this.fd !== null) return this.fd;
    let fd: number;
    try {
      fd = fs.openSync(this.files.logPath, 'r');
    } catch (err) {
      throw fsError(err, `open ${this.files.logPath}`);
    }
    try {
      const st = fs.fstatSync(fd);
      this.version = detectMessageVersion(readAt(fd, 0, FILE_HEADER_SIZE), this.files.offset, this.files.logPath);
      if (this.dataEnd < 0 || !this.index) this.dataEnd = st.size;
      this.inode = st.ino;
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    this.fd = fd;
    this.handle = newHandleId();
    return fd;
  }

  /**
   * The index time of the first message, without loading the whole index
   * when it is not loaded: the first item is read from the index file.
   * Infinity for an empty segment.
   */
  firstIndexTime(): number {
    const loaded = this.index;
    if (!loaded) {
      const size = indexItemSize(this.params);
      let head: Buffer | null = null;
      try {
        head = readFileHead(this.files.indexPath, INDEX_HEADER_SIZE + size);
      } catch {
        // missing index: load (and rebuild) it below
      }
      if (head && head.length >= INDEX_HEADER_SIZE + size) {
        const version = detectIndexVersion(
          head.subarray(0, INDEX_HEADER_SIZE),
          this.files.offset,
          this.params,
          this.files.indexPath,
        );
        const at = (version === 'V2' ? INDEX_HEADER_SIZE : 0) + 16;
        return head.readInt32BE(at) * 0x100000000 + head.readUInt32BE(at + 4);
      }
    }
    const index = loaded ?? this.getIndex();
    return index.count > 0 ? index.times![0]! : Infinity;
  }

  /** Size of the log file as it is now (a follower's head grows). */
  currentLogSize(): number {
    return fs.fstatSync(this.openFd()).size;
  }

  /** The message at item `i`; `offset`, when given, is the offset it holds (the caller found it in the index). */
  readOne(i: number, cache?: ReadCache | null, offset?: number): Message {
    const index = this.getIndex();
    if (cache) {
      const m = this.readCached(index, i, cache, offset ?? index.offsetAt(i));
      if (m) return m;
    }
    const start = index.positionAt(i);
    return this.decodeItem(index, i, this.span(i, i + 1, cache), 0, start);
  }

  /**
   * The message at item `i` (holding `offset`) checked in place in the
   * cached block that holds its whole record (or in the cache's scratch copy
   * of a record crossing a block boundary), key and value copied out once.
   * Null when that is not how it can be read (not cached, a V1 record) or
   * when a check fails: readOne's general path then reads it again and says
   * what is wrong.
   */
  private readCached(index: SegmentIndex, i: number, cache: ReadCache, offset: number): Message | null {
    const fd = this.openFd();
    if (this.version !== 'V2') return null;
    const start = index.positionAt(i);
    const end = i + 1 < index.count ? index.positionAt(i + 1) : this.dataEnd;
    const block = cache.locate(fd, this.handle, start, end, this.cacheLimit());
    if (!block) return null;
    const m = decodeV2Copy(block, cache.locatedWords, cache.locatedAt, end - start);
    // The CRC covers a V2 record's offset and time, so the index's time is not needed to trust the answer (key
    // and time lookups check the items they rely on: verifiedIndex); reading it would cost a CPU cache miss.
    return m && m.offset === offset ? m : null;
  }

  /** Where the bytes the read cache may hold end: all of a sealed file, the written part of this process's head. */
  private cacheLimit(): number {
    return !this.head ? Infinity : this.writtenHere ? this.dataEnd : 0;
  }

  /** The bytes of items [from, to): one read, from `cache` when it can serve it. */
  private span(from: number, to: number, cache: ReadCache | null | undefined): Buffer {
    const index = this.getIndex();
    const fd = this.openFd();
    const start = index.positionAt(from);
    let end = to < index.count ? index.positionAt(to) : this.dataEnd;
    if (to - from === 1 && end - start > 1 << 16) end = this.recordEnd(fd, this.version!, start);
    if (end <= start) {
      throw itemDisagrees(
        this.files,
        this.head,
        `places offset ${index.offsetAt(from)} at byte ${start}, past the end of the data (${end})`,
      );
    }
    return this.bytes(fd, start, end, cache);
  }

  /**
   * Bytes [start, end) of the log: from the writer's last append when it
   * holds them all, from `cache` when they are final (see cacheLimit), else
   * with one pread.
   */
  private bytes(fd: number, start: number, end: number, cache: ReadCache | null | undefined): Buffer {
    return (
      this.lastWrite.copy(start, end) ??
      (cache?.read(fd, this.handle, start, end, this.cacheLimit()) || readAt(fd, start, end - start))
    );
  }

  /** The messages at items [from, to). One read for all of them. */
  readRange(from: number, to: number, cache?: ReadCache | null): Message[] {
    const buf = this.span(from, to, cache);
    const index = this.getIndex();
    const start = index.positionAt(from);
    const out = new Array<Message>(to - from);
    let at = 0;
    for (let i = from; i < to; i++) {
      out[i - from] = this.decodeItem(index, i, buf, at, start);
      at = this.decodedEnd;
    }
    return out;
  }

  /**
   * The messages at items `items` (ascending), in few large reads: items
   * whose records lie close together are read with one pread spanning them
   * (the records between them, of other keys, are read but not decoded).
   * Every record returned is CRC-checked and matched against the index.
   */
  readItems(items: readonly number[], cache?: ReadCache | null): Message[] {
    const index = this.getIndex();
    const fd = this.openFd();
    const out: Message[] = [];
    let g = 0;
    while (g < items.length) {
      // A group: the next items while each starts within SPAN_GAP of the previous one's start and the span stays under SPAN_MAX.
      const start = index.positionAt(items[g]!);
      let last = g;
      while (last + 1 < items.length) {
        const next = index.positionAt(items[last + 1]!);
        if (next - index.positionAt(items[last]!) > SPAN_GAP || next - start > SPAN_MAX) break;
        last++;
      }
      const lastItem = items[last]!;
      if (last === g && lastItem + 1 >= index.count) {
        out.push(this.readOne(lastItem, cache)); // the newest record: readRange bounds it by its header
        g++;
        continue;
      }
      const end = lastItem + 1 < index.count ? index.positionAt(lastItem + 1) : this.dataEnd;
      if (end <= start) {
        throw itemDisagrees(
          this.files,
          this.head,
          `places offset ${index.offsetAt(lastItem)} at byte ${start}, past the end of the data (${end})`,
        );
      }
      const buf = this.bytes(fd, start, end, cache);
      for (let k = g; k <= last; k++)
        out.push(this.decodeItem(index, items[k]!, buf, index.positionAt(items[k]!) - start, start));
      g = last + 1;
    }
    return out;
  }

  /** Where the record decodeItem decoded last ends in its buffer (no object per record for it). */
  private decodedEnd = 0;
  private readonly place: RecordPlace = { file: '', base: 0 };

  /** The record of item `i` at `at` in `buf` (which starts at file position `base`), checked against the index. */
  private decodeItem(index: SegmentIndex, i: number, buf: Buffer, at: number, base: number): Message {
    const version = this.version!;
    // One place per reader, not per record: it is read only to word an error.
    const place = this.place;
    place.file = this.files.logPath;
    place.base = base;
    const rec = decodeIndexedRecord(version, buf, at, place, index.offsetAt(i), this.head);
    if (rec.offset !== index.offsetAt(i)) {
      throw itemDisagrees(
        this.files,
        this.head,
        `says offset ${index.offsetAt(i)} but the record ${describePlace(place, at)} holds ${rec.offset}`,
      );
    }
    // Free with the index in memory; the one check of a V1 record's time, which its CRC leaves out.
    if (index.times && !itemTimeFits(index, i, rec.timeMicros)) {
      throw itemDisagrees(
        this.files,
        this.head,
        `gives offset ${rec.offset} the time ${index.times[i]}, which the record's time ${rec.timeMicros} ${describePlace(place, at)} cannot have`,
      );
    }
    this.decodedEnd = rec.end;
    return toMessage(rec.offset, rec.timeMicros, rec.key, rec.value);
  }

  /** Where the last indexed record ends: the log's bytes that hold only whole, indexed records. */
  indexedDataEnd(): number {
    const index = this.getIndex();
    const fd = this.openFd();
    if (index.count === 0) return initialPosition(this.version!);
    return this.recordEnd(fd, this.version!, index.positionAt(index.count - 1));
  }

  /** Where the record at `position` ends, from its header (a single read must not span a large tail). */
  private recordEnd(fd: number, version: FormatVersion, position: number): number {
    const header = readAt(fd, position, RECORD_HEADER_SIZE);
    const place = { file: this.files.logPath, base: position };
    if (header.length < RECORD_HEADER_SIZE) throw shortRecordError(version, describePlace(place, 0));
    return position + recordSizeFromHeader(version, header, 0, place);
  }

  /** Drops the index and the file handle if unused for `unusedForMs` (never the head). */
  gc(now: number, unusedForMs: number): void {
    if (this.touched) {
      this.lastAccess = now;
      this.touched = false;
    }
    if (this.head || now - this.lastAccess < unusedForMs) return;
    this.index = null;
    this.closeFd();
  }

  closeFd(): void {
    // A file opened again may have been rewritten since.
    this.lastWrite.clear();
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
      this.handle = -1;
    }
  }

  close(): void {
    this.closeFd();
    this.index = null;
  }
}
