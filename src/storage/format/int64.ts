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

export function writeInt64(buf: Buffer, at: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(value - hi * TWO_32, at + 4);
}
