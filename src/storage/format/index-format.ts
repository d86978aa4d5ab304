/**
 * klevdb's index format (Go: pkg/index/format.go). One fixed-size item per
 * message, all u64 big-endian: offset, position, then the time (when the
 * time index is on), then the FNV-1a 64 key hash (when the key index is on).
 *
 * File header, V2 only: FF 'k' 'l' 'e' 'v' 'i' 01 <flags: bit0 times, bit1 keys>.
 */
import { corrupted, optionMismatch } from '../errors.js';
import type { FormatVersion } from './message-format.js';
import { readInt64, writeInt64 } from './int64.js';

export const INDEX_HEADER_SIZE = 8;

const MAGIC = Buffer.from([0xff, 0x6b, 0x6c, 0x65, 0x76, 0x69]); // \xFF "klevi"
const TIMES_BIT = 0x01;
const KEYS_BIT = 0x02;

export interface IndexParams {
  times: boolean;
  keys: boolean;
}

export const indexItemSize = (p: IndexParams): number => 16 + (p.times ? 8 : 0) + (p.keys ? 8 : 0);

export function indexFileHeader(version: FormatVersion, p: IndexParams): Buffer {
  if (version === 'V1') return Buffer.alloc(0);
  const h = Buffer.alloc(INDEX_HEADER_SIZE);
  MAGIC.copy(h);
  h[6] = 1;
  h[7] = (p.times ? TIMES_BIT : 0) | (p.keys ? KEYS_BIT : 0);
  return h;
}

/**
 * Detects the index version from its first 8 bytes and checks the flags
 * against the options (Go: headerParse). An empty file is V1.
 */
export function detectIndexVersion(head: Buffer, segmentOffset: number, p: IndexParams, file: string): FormatVersion {
  if (head.length === 0) return 'V1';
  if (head.length < INDEX_HEADER_SIZE)
    throw corrupted(`index corrupted: ${file}: reading header: file of ${head.length} bytes is too short`);
  if (!head.subarray(0, 6).equals(MAGIC)) {
    if (head.readBigInt64BE(0) === BigInt(segmentOffset)) return 'V1';
    throw corrupted(`index corrupted: ${file}: magic prefix not found`);
  }
  const marker = head[6]!;
  const flags = head[7]!;
  if (marker > 1) throw corrupted(`index corrupted: ${file}: unknown version ${marker}`);
  const times = (flags & TIMES_BIT) !== 0;
  const keys = (flags & KEYS_BIT) !== 0;
  if (p.times !== times) throw optionMismatch(file, 'timeIndex', times, p.keys !== keys ? keys : undefined);
  if (p.keys !== keys) throw optionMismatch(file, 'keyIndex', keys);
  if ((flags & 0xfc) !== 0) throw corrupted(`index corrupted: ${file}: invalid reserved data`);
  if (marker !== 1) throw corrupted(`index corrupted: ${file}: unknown version ${marker}`);
  return 'V2';
}

/** One item as plain numbers; the key hash as two 32-bit halves. */
export interface IndexItem {
  offset: number;
  position: number;
  timestamp: number;
  hashHi: number;
  hashLo: number;
}

export function encodeIndexItem(p: IndexParams, it: IndexItem, buf: Buffer, at: number): number {
  writeInt64(buf, at, it.offset);
  writeInt64(buf, at + 8, it.position);
  let q = at + 16;
  if (p.times) {
    writeInt64(buf, q, it.timestamp);
    q += 8;
  }
  if (p.keys) {
    buf.writeUInt32BE(it.hashHi, q);
    buf.writeUInt32BE(it.hashLo, q + 4);
    q += 8;
  }
  return q;
}

/** Reads the item at `at`; fields the params leave out read as 0. */
export function decodeIndexItem(p: IndexParams, buf: Buffer, at: number, out: IndexItem): IndexItem {
  out.offset = readInt64(buf, at, 'index offset');
  out.position = readInt64(buf, at + 8, 'index position');
  let q = at + 16;
  if (p.times) {
    out.timestamp = readInt64(buf, q, 'index time');
    q += 8;
  } else {
    out.timestamp = 0;
  }
  if (p.keys) {
    out.hashHi = buf.readUInt32BE(q);
    out.hashLo = buf.readUInt32BE(q + 4);
  } else {
    out.hashHi = 0;
    out.hashLo = 0;
  }
  return out;
}
