/**
 * A log-wide table from key hash to the newest offset seen with that hash,
 * over the sealed segments. klevdb searches every segment's key index,
 * newest first; with hundreds of segments that is hundreds of lookups per
 * getByKey. This table answers with one probe, and costs ~8-16 bytes per
 * distinct key (open addressing: a 32-bit fingerprint and a 32-bit offset).
 *
 * It only ever over-approximates: deletes leave stale offsets behind, and two
 * keys whose hashes share the fingerprint and slot share an entry (the newer
 * offset wins). The caller verifies the message it finds and falls back to
 * the full search when it does not match, so answers stay exactly klevdb's.
 */
import type { SegmentIndex } from './segment/segment-index.js';

const EMPTY32 = 0xffffffff;
/**
 * Up to 80% full before the table doubles: a lookup that finds its key
 * probes ~3 adjacent slots at worst, and 200,000 keys fit in 2^18 slots
 * (2 MiB) rather than 2^19 (issue 17's log: 10 B/message less).
 */
const MAX_LOAD = 0.8;

export class KeyTable {
  private fingerprints: Uint32Array;
  private offsets: Uint32Array | Float64Array;
  private used = 0;

  constructor(capacity = 1024) {
    const cap = nextPow2(Math.max(16, capacity));
    this.fingerprints = new Uint32Array(cap);
    this.offsets = new Uint32Array(cap).fill(EMPTY32);
  }

  private isEmpty(slot: number): boolean {
    return this.offsets instanceof Uint32Array ? this.offsets[slot] === EMPTY32 : this.offsets[slot]! < 0;
  }

  /** The newest offset recorded for hashes whose low 32 bits are `lo`, or -1. */
  get(lo: number): number {
    const mask = this.fingerprints.length - 1;
    for (let slot = mixFingerprint(lo) & mask; ; slot = (slot + 1) & mask) {
      if (this.isEmpty(slot)) return -1;
      if (this.fingerprints[slot] === lo) return this.offsets[slot]!;
    }
  }

  /** Records `offset` for the hash whose low 32 bits are `lo` (the fingerprint). */
  set(lo: number, offset: number): void {
    if (offset >= EMPTY32 && this.offsets instanceof Uint32Array) this.widen();
    if ((this.used + 1) / this.fingerprints.length > MAX_LOAD) this.rehash(this.fingerprints.length * 2);
    const mask = this.fingerprints.length - 1;
    for (let slot = mixFingerprint(lo) & mask; ; slot = (slot + 1) & mask) {
      if (this.isEmpty(slot)) {
        this.fingerprints[slot] = lo;
        this.offsets[slot] = offset;
        this.used++;
        return;
      }
      if (this.fingerprints[slot] === lo) {
        if (this.offsets[slot]! < offset) this.offsets[slot] = offset;
        return;
      }
    }
  }

  addSegment(index: SegmentIndex): void {
    const lo = index.hashLo;
    if (!lo) return;
    for (let i = 0; i < index.count; i++) this.set(lo[i]!, index.offsetAt(i));
  }

  /** Offsets past 2^32 - 2 (billions of messages) move the table to 64-bit numbers. */
  private widen(): void {
    const wide = new Float64Array(this.offsets.length);
    for (let i = 0; i < wide.length; i++) wide[i] = this.offsets[i] === EMPTY32 ? -1 : this.offsets[i]!;
    this.offsets = wide;
  }

  private rehash(capacity: number): void {
    const oldF = this.fingerprints;
    const oldO = this.offsets;
    const wide = oldO instanceof Float64Array;
    this.fingerprints = new Uint32Array(capacity);
    this.offsets = wide ? new Float64Array(capacity).fill(-1) : new Uint32Array(capacity).fill(EMPTY32);
    const mask = capacity - 1;
    for (let i = 0; i < oldF.length; i++) {
      const o = oldO[i]!;
      if (wide ? o < 0 : o === EMPTY32) continue;
      let slot = mixFingerprint(oldF[i]!) & mask;
      while (!this.isEmpty(slot)) slot = (slot + 1) & mask;
      this.fingerprints[slot] = oldF[i]!;
      this.offsets[slot] = o;
    }
  }
}

/** The slot depends on the fingerprint only, so that a rehash can place entries again. */
function mixFingerprint(lo: number): number {
  // FNV's low bits are well spread already; a multiply scatters runs of similar keys.
  return Math.imul(lo ^ (lo >>> 16), 0x45d9f3b) >>> 0;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
