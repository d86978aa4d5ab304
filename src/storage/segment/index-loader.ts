/** Builds a segment's in-memory index from its index file, or from its log when the file is missing (Go: ReindexAndReadIndex). */
import fs from 'node:fs';
import { corrupted } from '../errors.js';
import {
  type IndexItem,
  type IndexParams,
  INDEX_HEADER_SIZE,
  detectIndexVersion,
  encodeIndexItem,
  indexFileHeader,
  indexItemSize,
} from '../format/index-format.js';
import { writeInt64, writeUInt32 } from '../format/int64.js';
import { type KeyHash, keyHashInto } from '../format/key-hash.js';
import {
  type DecodedRecord,
  type FormatVersion,
  RECORD_HEADER_SIZE,
  describePlace,
  initialPosition,
  recordSizeFromHeader,
} from '../format/message-format.js';
import { type OpenedLog, type ScanEnd, openLogForRead, scanRecords } from './log-scanner.js';
import { type SegmentFiles, fileSize, fsError, readAt, writeAll } from './segment-files.js';
import { SegmentIndex } from './segment-index.js';

/** Makes the index item of a record; the index time never goes back (Go: Params.NewItem). */
export function newIndexItem(
  p: IndexParams,
  rec: { offset: number; timeMicros: number; key: Uint8Array | null },
  position: number,
  prevTimestamp: number,
  out: IndexItem,
): IndexItem {
  out.offset = rec.offset;
  out.position = position;
  out.timestamp = p.times ? Math.max(rec.timeMicros, prevTimestamp) : 0;
  if (p.keys) {
    keyHashInto(rec.key, scratchHash);
    out.hashHi = scratchHash.hi;
    out.hashLo = scratchHash.lo;
  } else {
    out.hashHi = 0;
    out.hashLo = 0;
  }
  return out;
}
const scratchHash = { hi: 0, lo: 0 };

/**
 * newIndexItem + encodeIndexItem without the item: encodes the item of `rec`
 * at `position` into `buf` at `at`; returns its index time (the next item's
 * `prevTimestamp`) and leaves its key hash in `hash` (with keys). The
 * writer's per-message path.
 */
export function encodeNewItem(
  p: IndexParams,
  rec: { offset: number; timeMicros: number; key: Uint8Array | null },
  position: number,
  prevTimestamp: number,
  buf: Buffer,
  at: number,
  hash: KeyHash = scratchHash,
): number {
  writeInt64(buf, at, rec.offset);
  writeInt64(buf, at + 8, position);
  let q = at + 16;
  const timestamp = p.times ? Math.max(rec.timeMicros, prevTimestamp) : 0;
  if (p.times) {
    writeInt64(buf, q, timestamp);
    q += 8;
  }
  if (p.keys) {
    keyHashInto(rec.key, hash);
    writeUInt32(buf, q, hash.hi);
    writeUInt32(buf, q + 4, hash.lo);
  }
  return timestamp;
}

export const emptyItem = (): IndexItem => ({ offset: 0, position: 0, timestamp: 0, hashHi: 0, hashLo: 0 });

/** Recomputes the items of a log from its records, the time chain starting at `chainFrom` (a rebuild starts it at 0). */
export function indexFromLog(
  log: OpenedLog,
  file: string,
  p: IndexParams,
  segmentOffset: number,
  /** Throws a LogError for a record that must end the readable prefix (before it is indexed). */
  accept?: (rec: DecodedRecord, position: number, item: number) => void,
  chainFrom = 0,
): { index: SegmentIndex; end: ScanEnd } {
  const index = new SegmentIndex(p, segmentOffset, chainFrom, 1024);
  const item = emptyItem();
  let prev = chainFrom;
  const end = scanRecords(log, file, (rec, position) => {
    // Appends hand out increasing offsets: one that is not is damage (V1 does not checksum it), and it ends the readable prefix.
    if (rec.offset < index.nextOffset)
      throw corrupted(
        `log corrupted: the record at byte ${position} of ${file} holds offset ${rec.offset}, not after ${index.nextOffset - 1}`,
      );
    accept?.(rec, position, index.count);
    newIndexItem(p, rec, position, prev, item);
    prev = item.timestamp;
    index.append(item);
  });
  index.verified = index.count;
  return { index, end };
}

/** The bytes of an index file holding `index`'s items. */
export function encodeIndexFile(version: FormatVersion, p: IndexParams, index: SegmentIndex): Buffer {
  const header = indexFileHeader(version, p);
  const size = indexItemSize(p);
  const buf = Buffer.allocUnsafe(header.length + index.count * size);
  header.copy(buf);
  const item = emptyItem();
  let at = header.length;
  for (let i = 0; i < index.count; i++) at = encodeIndexItem(p, index.item(i, item), buf, at);
  return buf;
}

/** Writes an index file from scratch and fsyncs it (Go: index.Write). */
export function writeIndexFile(file: string, version: FormatVersion, p: IndexParams, index: SegmentIndex): void {
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    writeAll(fd, encodeIndexFile(version, p, index));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Decodes the items of an index file's bytes, checking header and alignment (Go: index.Read). */
export function decodeIndexFile(
  data: Buffer,
  seg: SegmentFiles,
  p: IndexParams,
  into?: SegmentIndex,
): { version: FormatVersion; index: SegmentIndex } {
  const version = detectIndexVersion(data.subarray(0, INDEX_HEADER_SIZE), seg.offset, p, seg.indexPath);
  const start = version === 'V2' ? INDEX_HEADER_SIZE : 0;
  const size = indexItemSize(p);
  if ((data.length - start) % size !== 0)
    throw corrupted(`index corrupted: unaligned index size in ${seg.indexPath}; remove it to rebuild it from the log`);
  const count = (data.length - start) / size;
  const index = into ?? new SegmentIndex(p, seg.offset, 0, count);
  index.appendEncoded(data, start, count);
  return { version, index };
}

/** Reads an index file; null when it does not exist. */
export function readIndexFile(
  seg: SegmentFiles,
  p: IndexParams,
): { version: FormatVersion; index: SegmentIndex } | null {
  let data: Buffer;
  try {
    data = fs.readFileSync(seg.indexPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fsError(err, `read ${seg.indexPath}`);
  }
  return decodeIndexFile(data, seg, p);
}

/**
 * Rejects an index whose items cannot belong to the log (offsets or positions
 * out of order or past the end of the data), so that a damaged index never
 * sends a read to the wrong bytes or drives a large allocation.
 */
export function validateIndex(index: SegmentIndex, seg: SegmentFiles, firstPosition: number, logSize: number): void {
  let prevOffset = seg.offset - 1;
  let prevPosition = firstPosition - 1;
  for (let i = 0; i < index.count; i++) {
    const o = index.offsetAt(i);
    const q = index.positionAt(i);
    // Index times never go back within a segment (klevdb makes them monotonic), so a drop is damage.
    const timeDrop = index.times !== null && i > 0 && index.times[i]! < index.times[i - 1]!;
    if (o <= prevOffset || q <= prevPosition || q >= logSize || timeDrop) {
      throw corrupted(
        `index corrupted: item ${i} of ${seg.indexPath} (offset ${o}, position ${q}) does not fit the log; open with recover: true or remove the index file to rebuild it`,
      );
    }
    prevOffset = o;
    prevPosition = q;
  }
}

/**
 * Where the last indexed record ends, checking that it holds the offset the
 * index names (the first record's position for an empty index).
 */
export function indexedEnd(
  fd: number,
  seg: SegmentFiles,
  version: FormatVersion,
  index: SegmentIndex,
  remedy: string,
): number {
  if (index.count === 0) return initialPosition(version);
  const last = index.positionAt(index.count - 1);
  const header = readAt(fd, last, RECORD_HEADER_SIZE);
  const place = { file: seg.logPath, base: last };
  if (header.length < RECORD_HEADER_SIZE)
    throw corrupted(`log corrupted: short header ${describePlace(place, 0)}; ${remedy}`);
  const end = last + recordSizeFromHeader(version, header, 0, place);
  if (header.readBigInt64BE(version === 'V2' ? 4 : 0) !== BigInt(index.lastOffset)) {
    throw corrupted(
      `index corrupted: ${seg.indexPath} names offset ${index.lastOffset} for the record ${describePlace(place, 0)}, which holds another; ${remedy}`,
    );
  }
  return end;
}

/**
 * A segment's log must end exactly where its last indexed record ends, and
 * that record must hold the offset the index names. More bytes mean an
 * interrupted write (klevdb would append after them and mix offsets) or an
 * index that lost items; fewer mean the index lists data that is not there.
 */
export function checkLogTail(
  fd: number,
  seg: SegmentFiles,
  version: FormatVersion,
  index: SegmentIndex,
  logSize: number,
  remedy: string,
): void {
  const end = indexedEnd(fd, seg, version, index, remedy);
  if (end !== logSize) {
    throw corrupted(
      end < logSize
        ? `log corrupted: ${seg.logPath} has ${logSize - end} bytes after its last indexed message (an interrupted write, or an index that lost items); ${remedy}`
        : `log corrupted: index of ${seg.logPath} lists data past the end of the file; ${remedy}`,
    );
  }
}

export interface LoadIndexOptions {
  /** Index format for a rebuilt index file (the options' newSegmentsVersion). */
  rebuildVersion: FormatVersion;
  /** Write a rebuilt index to disk (klevdb does); a reader that follows another process's writer must not. */
  persistRebuilt: boolean;
}

/** Loads a segment's index (unsealed: the caller seals it unless it is the head), rebuilding it from the log when the file is missing or at most a header. */
export function loadSegmentIndex(
  seg: SegmentFiles,
  p: IndexParams,
  opts: LoadIndexOptions,
  log?: OpenedLog,
): SegmentIndex {
  const indexSize = fileSize(seg.indexPath);
  if (indexSize > INDEX_HEADER_SIZE) {
    const found = readIndexFile(seg, p);
    if (found) return found.index;
  }
  const opened = log ?? openLogForRead(seg.logPath, seg.offset);
  try {
    const { index, end } = indexFromLog(opened, seg.logPath, p, seg.offset);
    if (end.kind !== 'eof') throw end.error;
    if (opts.persistRebuilt) writeIndexFile(seg.indexPath, opts.rebuildVersion, p, index);
    return index;
  } finally {
    if (!log) fs.closeSync(opened.fd);
  }
}
