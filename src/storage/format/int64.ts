import { LogError } from '../errors.js';

const TWO_32 = 0x100000000;

/** Reads a big-endian int64 that must be a safe integer (offsets, times, positions). */
export function readInt64(buf: Buffer, at: number, what: string): number {
  const hi = buf.readInt32BE(at);
  const lo = buf.readUInt32BE(at + 4);
  // Below 2^32 the low word is the value: returned as is, V8 keeps it a small integer (a Smi), where
  // the sum would be a heap-allocated double, stored as such in an array, a Set or a Map.
  if (hi === 0) return lo;
  const value = hi * TWO_32 + lo;
  if (!Number.isSafeInteger(value)) {
    throw new LogError(
      'ERR_RANGE',
      `${what} ${BigInt.asIntN(64, buf.readBigUInt64BE(at))} at byte ${at} is beyond JavaScript's safe integer range`,
    );
  }
  return value;
}

/**
 * Writes a safe integer as a big-endian int64. Byte stores, not
 * Buffer.write*: the encoder writes three per record and two per index item,
 * and those methods check their arguments on every call (the callers hand
 * over safe integers at in-bounds positions).
 */
export function writeInt64(buf: Uint8Array, at: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  writeUInt32(buf, at, hi); // a negative hi is its two's complement, as writeInt32BE writes it
  writeUInt32(buf, at + 4, value - hi * TWO_32);
}

/** Writes the low 32 bits of an integer big-endian (a typed array store keeps the low 8 bits of each). */
export function writeUInt32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value >>> 24;
  buf[at + 1] = value >>> 16;
  buf[at + 2] = value >>> 8;
  buf[at + 3] = value;
}
