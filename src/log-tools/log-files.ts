/**
 * What a log directory holds, read from its files without opening it: the
 * segments, each file's format version and size, and the key/time index
 * options the log was created with. Those are read from a V2 index header
 * (flags: bit0 times, bit1 keys), otherwise inferred from the items of a V1
 * index (whose files do not record them).
 */
import fs from 'node:fs';
import { LogError, isLogError } from '../storage/index.js';
import { findSegments, keyHash, type SegmentFiles } from '../storage/backend-kit.js';

/** The index options a log is opened with; left out, they are detected from its files. */
export interface IndexOptions {
  keyIndex?: boolean;
  timeIndex?: boolean;
}

export type IndexSource = 'options' | 'header' | 'inferred' | 'default';

export interface ResolvedIndex {
  keyIndex: boolean;
  timeIndex: boolean;
  /** Where the values came from (both from options, or the detection that filled the rest). */
  source: IndexSource;
}

const LOG_MAGIC = Buffer.from([0xff, 0x6b, 0x6c, 0x65, 0x76, 0x73]); // \xFF "klevs"
const INDEX_MAGIC = Buffer.from([0xff, 0x6b, 0x6c, 0x65, 0x76, 0x69]); // \xFF "klevi"
const V1_RECORD_HEADER = 28;

function readHead(file: string, length: number, position = 0): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const buf = Buffer.alloc(length);
    const n = fs.readSync(fd, buf, 0, length, position);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** 'V2' when the file starts with the given magic, 'V1' when it has other content or is empty, null when missing. */
export function fileVersion(file: string, kind: 'log' | 'index'): 'V1' | 'V2' | null {
  if (!fs.existsSync(file)) return null;
  const head = readHead(file, 6);
  return head.equals(kind === 'log' ? LOG_MAGIC : INDEX_MAGIC) ? 'V2' : 'V1';
}

export function fileSizeOrNull(file: string): number | null {
  try {
    return fs.statSync(file).size;
  } catch {
    return null;
  }
}

/** The segments of a log directory, oldest first (none when it cannot be listed). */
export function listSegments(dir: string): SegmentFiles[] {
  try {
    return findSegments(dir);
  } catch {
    return [];
  }
}

/** Flags from the first V2 index header among the segments. */
function flagsFromHeader(segs: SegmentFiles[]): IndexOptions | undefined {
  for (const seg of segs) {
    const head = readHead(seg.indexPath, 8);
    if (head.length === 8 && head.subarray(0, 6).equals(INDEX_MAGIC)) {
      return { timeIndex: (head[7]! & 1) !== 0, keyIndex: (head[7]! & 2) !== 0 };
    }
  }
  return undefined;
}

interface V1Record {
  offset: bigint;
  position: number;
  key: Buffer;
}

/** Up to `max` records from the start of a V1 log file. */
function v1Records(file: string, max: number): V1Record[] {
  const records: V1Record[] = [];
  let position = 0;
  for (let i = 0; i < max; i++) {
    const head = readHead(file, V1_RECORD_HEADER, position);
    if (head.length < V1_RECORD_HEADER) break;
    const keyLen = head.readUInt32BE(16);
    const valueLen = head.readUInt32BE(20);
    const key = readHead(file, Math.min(keyLen, 1 << 20), position + V1_RECORD_HEADER);
    if (key.length < Math.min(keyLen, 1 << 20)) break;
    records.push({ offset: head.readBigInt64BE(0), position, key });
    position += V1_RECORD_HEADER + keyLen + valueLen;
  }
  return records;
}

/**
 * A V1 segment's index options, from the size of its items: the first items
 * must point at the first records (offset and position), and a 24-byte item
 * holds either the key hash or the time.
 */
function inferV1(seg: SegmentFiles): IndexOptions | undefined {
  if (fileVersion(seg.logPath, 'log') !== 'V1' || fileVersion(seg.indexPath, 'index') !== 'V1') return undefined;
  const indexSize = fileSizeOrNull(seg.indexPath) ?? 0;
  if (indexSize === 0) return undefined;
  const records = v1Records(seg.logPath, 4);
  if (records.length === 0) return undefined;
  const index = readHead(seg.indexPath, 4 * 32);
  const fits = [32, 24, 16].filter((size) => {
    if (indexSize % size !== 0) return false;
    const items = Math.min(indexSize / size, 4);
    for (let i = 0; i < items; i++) {
      const r = records[i];
      if (
        !r ||
        index.readBigInt64BE(i * size) !== r.offset ||
        index.readBigInt64BE(i * size + 8) !== BigInt(r.position)
      )
        return false;
    }
    return true;
  });
  if (fits.length !== 1) return undefined;
  if (fits[0] === 32) return { keyIndex: true, timeIndex: true };
  if (fits[0] === 16) return { keyIndex: false, timeIndex: false };
  const h = keyHash(records[0]!.key);
  const isHash = index.readUInt32BE(16) === h.hi && index.readUInt32BE(20) === h.lo;
  return { keyIndex: isHash, timeIndex: !isHash };
}

/** True when the directory holds a segment with a V1 index (or a V1 log without index). */
function hasV1(segs: SegmentFiles[]): boolean {
  return segs.some(
    (s) =>
      fileVersion(s.indexPath, 'index') === 'V1' ||
      (fileVersion(s.indexPath, 'index') === null &&
        fileVersion(s.logPath, 'log') === 'V1' &&
        (fileSizeOrNull(s.logPath) ?? 0) > 0),
  );
}

/** The index options to open `dir` with: the given ones, completed by detection (a LogError ERR_INVALID_ARGUMENT when they cannot be). */
export function resolveIndex(dir: string, given: IndexOptions): ResolvedIndex {
  if (given.keyIndex !== undefined && given.timeIndex !== undefined) {
    const segs = listSegments(dir);
    if (!flagsFromHeader(segs)) {
      // V1 indexes do not record their options: a wrong guess reads garbage, so refuse one that contradicts the files.
      const inferred = segs.map(inferV1).find((f) => f !== undefined);
      if (inferred && (inferred.keyIndex !== given.keyIndex || inferred.timeIndex !== given.timeIndex)) {
        throw new LogError(
          'ERR_INVALID_ARGUMENT',
          `log ${dir} has V1 index items of a log created with ${describeFlags(inferred)}, not ${describeFlags(given)}; pass those (or leave both index options out to detect them)`,
        );
      }
    }
    return { keyIndex: given.keyIndex, timeIndex: given.timeIndex, source: 'options' };
  }
  const segs = listSegments(dir);
  let detected = flagsFromHeader(segs);
  let source: IndexSource = 'header';
  if (!detected) {
    detected = segs.map(inferV1).find((f) => f !== undefined);
    source = 'inferred';
  }
  if (!detected) {
    if (hasV1(segs)) {
      throw new LogError(
        'ERR_INVALID_ARGUMENT',
        `log ${dir} has V1 segments, whose index files do not record whether the log keeps a key index and a time index; ` +
          'pass --key-index or --no-key-index, and --time-index or --no-time-index, as it was created with',
      );
    }
    detected = { keyIndex: false, timeIndex: false };
    source = 'default';
  }
  return {
    keyIndex: given.keyIndex ?? detected.keyIndex!,
    timeIndex: given.timeIndex ?? detected.timeIndex!,
    source,
  };
}

export function describeFlags(f: IndexOptions): string {
  return `${f.keyIndex ? '--key-index' : '--no-key-index'} ${f.timeIndex ? '--time-index' : '--no-time-index'}`;
}

const INDEX_MISMATCH = /(times|keys) index mismatch: the log was created with (?:timeIndex|keyIndex) (true|false)/;

/**
 * The index option an open got wrong, when `err` is the storage's refusal of
 * it (an ERR_CORRUPTED naming the mismatch): a caller's mistake, not damage.
 */
export function indexMismatch(err: unknown): { index: 'time' | 'key'; created: boolean } | undefined {
  if (!isLogError(err, 'ERR_CORRUPTED')) return undefined;
  const m = INDEX_MISMATCH.exec(err.message);
  return m ? { index: m[1] === 'times' ? 'time' : 'key', created: m[2] === 'true' } : undefined;
}
