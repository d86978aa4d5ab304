/**
 * FNV-1a 64 of a key, as klevdb's index stores it. JavaScript numbers hold
 * 53 bits, so the hash is kept as two unsigned 32-bit halves.
 */
export interface KeyHash {
  hi: number;
  lo: number;
}

const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;

/** Writes FNV-1a 64 of `key` into `out` (reused to avoid an object per call). */
export function keyHashInto(key: Uint8Array | null, out: KeyHash): KeyHash {
  let hi = OFFSET_HI;
  let lo = OFFSET_LO;
  if (key) {
    for (let i = 0; i < key.length; i++) {
      lo ^= key[i]!;
      // Multiply by the FNV prime 2^40 + 0x1b3 modulo 2^64, in 16-bit limbs.
      const lo16 = lo & 0xffff;
      const hiLo = lo >>> 16;
      const a = lo16 * 0x1b3;
      const b = hiLo * 0x1b3 + (a >>> 16);
      const newLo = ((b & 0xffff) << 16) | (a & 0xffff);
      // hi * 0x1b3 + carry from lo + (lo << 8) (the 2^40 term shifted into the high word)
      const newHi = (Math.imul(hi, 0x1b3) + Math.floor(b / 0x10000) + (lo << 8)) | 0;
      lo = newLo >>> 0;
      hi = newHi >>> 0;
    }
  }
  out.hi = hi >>> 0;
  out.lo = lo >>> 0;
  return out;
}

export function keyHash(key: Uint8Array | null): KeyHash {
  return keyHashInto(key, { hi: 0, lo: 0 });
}

/** Hex form (16 digits), as the sample manifest writes it. */
export function keyHashHex(h: KeyHash): string {
  return h.hi.toString(16).padStart(8, '0') + h.lo.toString(16).padStart(8, '0');
}

/** A 53-bit number made of the hash, usable as a Map key; equal hashes give equal numbers. */
export function keyHashNumber(hi: number, lo: number): number {
  return (hi & 0x1fffff) * 0x100000000 + lo;
}
