import { createRequire } from 'node:module';

/** CRC-32C (Castagnoli), the checksum klevdb stores in every record. */
export type Crc32c = (data: Uint8Array) => number;

const TABLE = (() => {
  const table = new Uint32Array(256 * 8);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    table[i] = crc;
  }
  // Slicing-by-8 tables: eight bytes per step instead of one.
  for (let i = 0; i < 256; i++) {
    for (let t = 1; t < 8; t++) {
      const prev = table[(t - 1) * 256 + i]!;
      table[t * 256 + i] = (prev >>> 8) ^ table[prev & 0xff]!;
    }
  }
  return table;
})();

/** Pure JavaScript CRC-32C, used when the native package cannot load. */
export function crc32cPortable(data: Uint8Array): number {
  return tableCrc(data, 0, data.length);
}

/** Slicing-by-8 over data[start, end). */
function tableCrc(data: Uint8Array, start: number, end: number): number {
  const t = TABLE;
  let crc = 0xffffffff;
  let i = start;
  const end8 = end - ((end - start) & 7);
  for (; i < end8; i += 8) {
    const a = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    crc =
      t[7 * 256 + (a & 0xff)]! ^
      t[6 * 256 + ((a >>> 8) & 0xff)]! ^
      t[5 * 256 + ((a >>> 16) & 0xff)]! ^
      t[4 * 256 + (a >>> 24)]! ^
      t[3 * 256 + data[i + 4]!]! ^
      t[2 * 256 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < end; i++) crc = (crc >>> 8) ^ t[(crc ^ data[i]!) & 0xff]!;
  return (crc ^ 0xffffffff) >>> 0;
}

function loadNative(): Crc32c | null {
  if (process.env.KLEVDB_PORTABLE_CRC === '1') return null;
  try {
    const require = createRequire(import.meta.url);
    const native = require('@node-rs/crc32') as { crc32c(input: Buffer, initial?: number): number };
    if (native.crc32c(Buffer.from('123456789')) !== 0xe3069283) return null;
    return (data) =>
      native.crc32c(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)) >>> 0;
  } catch {
    return null;
  }
}

const native = loadNative();

/** The checksum used everywhere: native (SSE4.2 / ARMv8 instructions) when available. */
export const crc32c: Crc32c = native ?? crc32cPortable;
export const crc32cImplementation: 'native' | 'portable' = native ? 'native' : 'portable';

/**
 * Below this many bytes the table loop beats a native call (whose fixed cost
 * is a subarray plus the N-API crossing, ~200 ns): a record of klevdb's
 * benchmark (10-byte key, 128-byte value) is 172 bytes.
 */
const SHORT_RANGE = 512;

/**
 * CRC-32C of data[start, end) without a subarray for short ranges: the
 * encoder and every record scan check one record at a time, a million times
 * in a compaction, so the allocation and the native call's fixed cost count.
 */
export function crc32cRange(data: Uint8Array, start: number, end: number): number {
  return end - start >= SHORT_RANGE ? crc32c(data.subarray(start, end)) : tableCrc(data, start, end);
}
