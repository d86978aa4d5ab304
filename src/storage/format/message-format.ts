/**
 * klevdb's record format (Go: pkg/message/format.go). All integers big-endian.
 *
 * File header, V2 only: FF 'k' 'l' 'e' 'v' 's' 01 00. V1 files have none.
 *
 * V1 record (28 bytes + body):
 *   offset i64 | time µs i64 | key len u32 | value len u32 | crc32c(key‖value) u32 | key | value
 * V2 record (36 bytes + body):
 *   crc32c(every byte after this field) u32 | offset i64 | time µs i64 | key len u32 | value len u32
 *   | key | value | trailer DE AD BE EF FE ED FA CE
 */
import { LogError, corrupted } from '../errors.js';
import { crc32cRange, crc32cWords } from './crc32c.js';
import { readInt64, writeInt64, writeUInt32 } from './int64.js';
import type { Message } from '../types.js';

export type FormatVersion = 'V1' | 'V2';

export const FILE_HEADER_SIZE = 8;
export const RECORD_HEADER_SIZE = 28;
export const V1_OVERHEAD = 28;
export const V2_OVERHEAD = 36;
export const MAX_BODY_SIZE = 64 * 1024 * 1024;

const MAGIC = Buffer.from([0xff, 0x6b, 0x6c, 0x65, 0x76, 0x73]); // \xFF "klevs"
const TRAILER = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed, 0xfa, 0xce]);
const V2_MARKER = 1;
const TRAILER_HI = TRAILER.readUInt32BE(0);
const TRAILER_LO = TRAILER.readUInt32BE(4);
const TWO_32 = 0x100000000;

/** Big-endian integers read byte by byte: the caller knows the bytes are there, so no bounds check (Buffer's readers cost 8% of a cached lookup). */
const i32 = (b: Buffer, i: number): number => (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
const u32 = (b: Buffer, i: number): number => i32(b, i) >>> 0;

export function messageFileHeader(version: FormatVersion): Buffer {
  if (version === 'V1') return Buffer.alloc(0);
  return Buffer.concat([MAGIC, Buffer.from([V2_MARKER, 0])]);
}

/** Where the first record of a file in this version starts. */
export const initialPosition = (version: FormatVersion): number => (version === 'V2' ? FILE_HEADER_SIZE : 0);

export const recordOverhead = (version: FormatVersion): number => (version === 'V2' ? V2_OVERHEAD : V1_OVERHEAD);

/**
 * Detects the version from the first bytes of a log file (Go: headerParse).
 * `head` holds up to 8 bytes; an empty file is V1.
 */
export function detectMessageVersion(head: Buffer, segmentOffset: number, file: string): FormatVersion {
  if (head.length === 0) return 'V1';
  if (head.length < FILE_HEADER_SIZE)
    throw corrupted(`log corrupted: ${file}: reading header: file of ${head.length} bytes is too short`);
  if (head.subarray(0, 6).equals(MAGIC)) {
    const marker = head[6]!;
    if (marker !== V2_MARKER) throw corrupted(`log corrupted: ${file}: unknown version ${marker}`);
    if (head[7] !== 0) throw corrupted(`log corrupted: ${file}: invalid reserved data`);
    return 'V2';
  }
  const first = head.readBigInt64BE(0);
  if (first === BigInt(segmentOffset)) return 'V1';
  throw corrupted(`log corrupted: ${file}: magic prefix not found`);
}

/** The bytes of one message as publish hands them to the encoder. */
export interface RecordInput {
  offset: number;
  timeMicros: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

export function recordSize(version: FormatVersion, keyLength: number, valueLength: number): number {
  return recordOverhead(version) + keyLength + valueLength;
}

/** offset, time, key length, value length: the 24 bytes both versions share. */
function writeRecordFields(m: RecordInput, buf: Buffer, at: number): void {
  writeInt64(buf, at, m.offset);
  writeInt64(buf, at + 8, m.timeMicros);
  writeUInt32(buf, at + 16, m.key ? m.key.length : 0);
  writeUInt32(buf, at + 20, m.value ? m.value.length : 0);
}

/** Below this many bytes a loop copies faster than `set` (whose fixed cost a typical key would pay). */
const SHORT_COPY = 24;

function copyInto(bytes: Uint8Array, buf: Buffer, p: number): number {
  const n = bytes.length;
  if (n < SHORT_COPY) for (let i = 0; i < n; i++) buf[p + i] = bytes[i]!;
  else buf.set(bytes, p);
  return p + n;
}

function writeBody(m: RecordInput, buf: Buffer, at: number): number {
  let p = at;
  if (m.key) p = copyInto(m.key, buf, p);
  if (m.value) p = copyInto(m.value, buf, p);
  return p;
}

/** Encodes one record into `buf` at `at`; returns the position after it. */
export function encodeRecord(version: FormatVersion, m: RecordInput, buf: Buffer, at: number): number {
  if (version === 'V2') {
    writeRecordFields(m, buf, at + 4);
    let p = writeBody(m, buf, at + 28);
    for (let i = 0; i < 8; i++) buf[p + i] = TRAILER[i]!;
    p += 8;
    writeUInt32(buf, at, crc32cRange(buf, at + 4, p));
    return p;
  }
  writeRecordFields(m, buf, at);
  const p = writeBody(m, buf, at + 28);
  writeUInt32(buf, at + 24, crc32cRange(buf, at + 28, p));
  return p;
}

export interface DecodedRecord {
  offset: number;
  timeMicros: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Position right after this record, relative to the buffer. */
  end: number;
}

/** What a read found at a position when it is not a whole record. */
export type RecordProblem = 'eof' | 'short';

/**
 * Reads the body lengths of the record header at `at` (the caller checked
 * that RECORD_HEADER_SIZE bytes are there). Returns the whole record size.
 */
/** Where a record is, for error messages (built only when there is an error). */
export interface RecordPlace {
  file: string;
  /** File position of buf[0]. */
  base: number;
}

export const describePlace = (place: RecordPlace, at: number): string => `at byte ${place.base + at} of ${place.file}`;

export function recordSizeFromHeader(version: FormatVersion, buf: Buffer, at: number, place: RecordPlace): number {
  const lenAt = version === 'V2' ? at + 20 : at + 16;
  const keyLength = buf.readInt32BE(lenAt);
  const valueLength = buf.readInt32BE(lenAt + 4);
  // Checked before anything is allocated, so a corrupt length never drives an allocation.
  if (keyLength < 0 || valueLength < 0 || keyLength + valueLength > MAX_BODY_SIZE) {
    throw corrupted(`log corrupted: invalid header ${describePlace(place, at)}`);
  }
  return recordOverhead(version) + keyLength + valueLength;
}

/** A checked record's fields, its key and value given by where they are in the buffer it was read into. */
export interface RecordFields {
  offset: number;
  timeMicros: number;
  keyStart: number;
  keyLength: number;
  valueLength: number;
  /** Position right after this record, relative to the buffer. */
  end: number;
}

/**
 * Checks the record at `at` in `buf` (lengths, CRC and trailer in klevdb's
 * order) and fills `out` with its fields; no view of its key or value is
 * made, for a scan that looks at most records' fields only. Returns 'eof'
 * when fewer than a record header's bytes remain (klevdb treats that as a
 * clean end), 'short' when the header is whole but the body is cut, null
 * when `out` holds the record.
 */
export function decodeRecordFields(
  version: FormatVersion,
  buf: Buffer,
  at: number,
  place: RecordPlace,
  out: RecordFields,
): RecordProblem | null {
  if (buf.length - at < RECORD_HEADER_SIZE) return 'eof';
  const size = recordSizeFromHeader(version, buf, at, place);
  if (buf.length - at < size) return 'short';
  const end = at + size;
  if (version === 'V2') {
    // The bytes are there (checked above): read byte by byte, without Buffer's bounds checks (a consume decodes
    // a record in ~0.5 µs, a tenth of which went to them).
    if (crc32cRange(buf, at + 4, end) !== u32(buf, at))
      throw corrupted(`log corrupted: crc failed ${describePlace(place, at)}`);
    if (u32(buf, end - 8) !== TRAILER_HI || u32(buf, end - 4) !== TRAILER_LO)
      throw corrupted(`log corrupted: bad trailer ${describePlace(place, at)}`);
    out.offset = int64At(buf, at + 4, 'offset');
    out.timeMicros = int64At(buf, at + 12, 'time');
    out.keyLength = u32(buf, at + 20);
    out.valueLength = u32(buf, at + 24);
  } else {
    if (crc32cRange(buf, at + 28, end) !== buf.readUInt32BE(at + 24))
      throw corrupted(`log corrupted: crc failed ${describePlace(place, at)}`);
    // V1's CRC leaves offset and time out, and no writer makes either this large: out of range means damaged.
    out.offset = readV1Int64(buf, at, 0, 'offset', place);
    out.timeMicros = readV1Int64(buf, at, 8, 'time', place);
    out.keyLength = buf.readUInt32BE(at + 16);
    out.valueLength = buf.readUInt32BE(at + 20);
  }
  out.keyStart = at + 28;
  out.end = end;
  return null;
}

/**
 * readInt64 without Buffer's bounds checks (the caller checked the bytes are there). Below 2^32 the
 * low word is returned as is, which V8 keeps a small integer (see readInt64).
 */
function int64At(buf: Buffer, at: number, what: string): number {
  const hi = i32(buf, at);
  if (hi === 0) return u32(buf, at + 4);
  const value = hi * TWO_32 + u32(buf, at + 4);
  // Out of range: readInt64 says so.
  return Number.isSafeInteger(value) ? value : readInt64(buf, at, what);
}

const decoded: RecordFields = { offset: 0, timeMicros: 0, keyStart: 0, keyLength: 0, valueLength: 0, end: 0 };

/** As decodeRecordFields, with the key and value as views of `buf` (null when empty). */
export function decodeRecord(
  version: FormatVersion,
  buf: Buffer,
  at: number,
  place: RecordPlace,
): DecodedRecord | RecordProblem {
  const problem = decodeRecordFields(version, buf, at, place, decoded);
  if (problem !== null) return problem;
  const { keyStart, keyLength, valueLength } = decoded;
  const valueStart = keyStart + keyLength;
  return {
    offset: decoded.offset,
    timeMicros: decoded.timeMicros,
    key: keyLength > 0 ? buf.subarray(keyStart, valueStart) : null,
    value: valueLength > 0 ? buf.subarray(valueStart, valueStart + valueLength) : null,
    end: decoded.end,
  };
}

/** The Message of a decoded record: `time` is the record's microseconds cut to milliseconds. */
export function toMessage(offset: number, timeMicros: number, key: Buffer | null, value: Buffer | null): Message {
  return { offset, time: new Date(Math.floor(timeMicros / 1000)), timeMicros, key, value };
}

/**
 * The V2 record at `at` in `buf`, of at most `room` bytes, checked as
 * decodeRecord checks it (lengths, CRC, trailer, safe offset and time) with
 * its key and value copied into Buffers of their own: `buf` may be a block
 * of the read cache, which the caller must be unable to change. One copy of
 * the body, no copy of the record first. `words` views `buf` from its first
 * byte (crc32cWords). Null when the record is not whole
 * and valid there: decodeRecord then says what is wrong.
 */
export function decodeV2Copy(buf: Buffer, words: Int32Array, at: number, room: number): Message | null {
  if (room < V2_OVERHEAD) return null;
  const keyLength = i32(buf, at + 20);
  const valueLength = i32(buf, at + 24);
  if (keyLength < 0 || valueLength < 0 || keyLength + valueLength > room - V2_OVERHEAD) return null;
  const end = at + V2_OVERHEAD + keyLength + valueLength;
  if (crc32cWords(buf, words, at + 4, end) !== u32(buf, at)) return null;
  if (u32(buf, end - 8) !== TRAILER_HI || u32(buf, end - 4) !== TRAILER_LO) return null;
  const offset = i32(buf, at + 4) * TWO_32 + u32(buf, at + 8);
  const timeMicros = i32(buf, at + 12) * TWO_32 + u32(buf, at + 16);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(timeMicros)) return null;
  const keyStart = at + 28;
  return toMessage(
    offset,
    timeMicros,
    keyLength > 0 ? copyOut(buf, keyStart, keyLength) : null,
    valueLength > 0 ? copyOut(buf, keyStart + keyLength, valueLength) : null,
  );
}

/** A new Buffer holding buf[start, start + n): a loop for a short key (no view to build), set() for longer bytes. */
function copyOut(buf: Buffer, start: number, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  if (n <= 32) for (let j = 0; j < n; j++) out[j] = buf[start + j]!;
  else out.set(new Uint8Array(buf.buffer, buf.byteOffset + start, n));
  return out;
}

function readV1Int64(buf: Buffer, at: number, field: number, what: string, place: RecordPlace): number {
  try {
    return readInt64(buf, at + field, what);
  } catch {
    throw corrupted(
      `log corrupted: ${what} out of range in the record ${describePlace(place, at)} (V1 records do not checksum it)`,
    );
  }
}

/** The error for a record cut after its header, worded as klevdb words it. */
export function shortRecordError(version: FormatVersion, where: string): LogError {
  return corrupted(`log corrupted: ${version === 'V2' ? 'short data' : 'no message'} ${where}`);
}
