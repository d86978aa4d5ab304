import { createRequire } from 'node:module';

/** CRC-32C (Castagnoli), the checksum klevdb stores in every record. */
export type Crc32c = (data: Uint8Array) => number;

/**
 * Slicing-by-8 tables: table t holds the CRC of a byte followed by t zero
 * bytes, so eight bytes fold into the CRC with eight independent lookups.
 * Int32Array: the loop works on signed 32-bit values throughout (no heap
 * numbers for entries above 2^31).
 */
const TABLE = (() => {
  const table = new Int32Array(256 * 8);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    table[i] = crc;
  }
  for (let i = 0; i < 256; i++) {
    for (let t = 1; t < 8; t++) {
      const prev = table[(t - 1) * 256 + i]!;
      table[t * 256 + i] = (prev >>> 8) ^ table[prev & 0xff]!;
    }
  }
  return table;
})();

/** Reading whole words needs the bytes in little-endian order, as the table loop folds them. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Shorter ranges run the byte loop: the word loop's setup costs more than it saves there (bench/crc.ts). */
const WORDS_FROM = 128;
/** The last buffer's view is held strongly (a lookup per record is too dear); only up to this size. */
const REMEMBER_UP_TO = 1 << 20;

/** An Int32Array over the whole of each buffer seen, made once (a record scan checks thousands per buffer). */
const wordViews = new WeakMap<ArrayBufferLike, Int32Array | null>();
/**
 * The last view checked, its words and byte offset: the encoder and the scans
 * check record after record of one buffer, and reading a Buffer's `buffer` and
 * `byteOffset` costs ~40 ns a call.
 */
let lastData: Uint8Array | null = null;
let lastWords: Int32Array | null = null;
let lastByteOffset = 0;

/** Points lastWords and lastByteOffset at data's buffer (lastWords null: use the byte loop). */
function useWordsOf(data: Uint8Array): void {
  if (data === lastData) return;
  const buffer = data.buffer;
  let words = wordViews.get(buffer);
  if (words === undefined) {
    // A resizable or growable buffer could shrink under a fixed-length view: those keep the byte loop.
    const fixed = !(buffer as { resizable?: boolean }).resizable && !(buffer as { growable?: boolean }).growable;
    words = fixed ? new Int32Array(buffer, 0, buffer.byteLength >>> 2) : null;
    wordViews.set(buffer, words);
  }
  lastData = buffer.byteLength <= REMEMBER_UP_TO ? data : null;
  lastWords = words;
  lastByteOffset = data.byteOffset;
}

/** Folds data[i, end) into a running (not yet inverted) CRC, eight bytes per step read byte by byte. */
function byteLoop(crc: number, data: Uint8Array, i: number, end: number): number {
  const t = TABLE;
  const end8 = end - ((end - i) & 7);
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
  return crc;
}

/**
 * Slicing-by-8 over data[start, end): once past the bytes before a 4-byte
 * boundary of the underlying buffer, two word loads per eight bytes instead
 * of eight byte loads (the loads and their bounds checks were most of the
 * loop): 0.9x the byte loop's time at 172 bytes, 0.85x at 1000.
 */
export function crc32cTable(data: Uint8Array, start: number, end: number): number {
  if (end - start >= WORDS_FROM && LITTLE_ENDIAN) {
    useWordsOf(data);
    if (lastWords !== null) return wordLoop(data, lastWords, lastByteOffset, start, end);
  }
  return ~byteLoop(-1, data, start, end) >>> 0;
}

/**
 * crc32cTable for a caller that keeps `words`, an Int32Array over the same
 * memory as `data` starting at data[0] (data starts on a 4-byte boundary):
 * the read cache keeps one per slab, as a random lookup lands in a
 * different slab each time and the view lookup cost it a miss of the CPU
 * cache. Long ranges go native, as in crc32cRange.
 */
export function crc32cWords(data: Uint8Array, words: Int32Array, start: number, end: number): number {
  if (end - start >= SHORT_RANGE && native) return native(data.subarray(start, end));
  if (end - start >= WORDS_FROM && LITTLE_ENDIAN) return wordLoop(data, words, 0, start, end);
  return ~byteLoop(-1, data, start, end) >>> 0;
}

/** The word loop of crc32cTable: `words` views data's buffer from byte 0, data starts at byteOffset in it. */
function wordLoop(data: Uint8Array, words: Int32Array, byteOffset: number, start: number, end: number): number {
  const head = start + ((4 - ((byteOffset + start) & 3)) & 3);
  let crc = byteLoop(-1, data, start, head);
  let i = head;
  const t = TABLE;
  const steps = (end - i) >>> 3;
  let k = (byteOffset + i) >>> 2;
  for (const kEnd = k + steps * 2; k < kEnd; k += 2) {
    const a = crc ^ words[k]!;
    const b = words[k + 1]!;
    crc =
      t[7 * 256 + (a & 0xff)]! ^
      t[6 * 256 + ((a >>> 8) & 0xff)]! ^
      t[5 * 256 + ((a >>> 16) & 0xff)]! ^
      t[4 * 256 + (a >>> 24)]! ^
      t[3 * 256 + (b & 0xff)]! ^
      t[2 * 256 + ((b >>> 8) & 0xff)]! ^
      t[256 + ((b >>> 16) & 0xff)]! ^
      t[b >>> 24]!;
  }
  i += steps * 8;
  return ~byteLoop(crc, data, i, end) >>> 0;
}

/** Pure JavaScript CRC-32C, used when the native package cannot load. */
export function crc32cPortable(data: Uint8Array): number {
  return crc32cTable(data, 0, data.length);
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
 * From this many bytes the native call wins: its fixed cost (a subarray plus
 * the N-API crossing) is ~190 ns, the table loop's ~0.65 ns a byte; they
 * cross near 400 bytes (bench/crc.ts). A record of klevdb's benchmark
 * (10-byte key, 128-byte value) is 172 bytes: ~125 ns here, ~240 native.
 */
const SHORT_RANGE = 400;

/**
 * CRC-32C of data[start, end) without a subarray for short ranges: the
 * encoder and every record scan check one record at a time, a million times
 * in a compaction, so the allocation and the native call's fixed cost count.
 */
export function crc32cRange(data: Uint8Array, start: number, end: number): number {
  return end - start >= SHORT_RANGE ? crc32c(data.subarray(start, end)) : crc32cTable(data, start, end);
}
