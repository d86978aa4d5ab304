/**
 * A log-wide table from key hash to the newest offset seen with that hash,
 * over the sealed segments. klevdb searches every segment's key index,
 * newest first; with hundreds of segments that is hundreds of lookups per
 * getByKey. This table answers with one probe, and costs ~8-16 bytes per
 * distinct key (open addressing: a 32-bit fingerprint and a 32-bit offset
 * side by side).
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
  /**
   * Slot s is entries [2s, 2s + 1]: its fingerprint and its offset (`empty`:
   * a free slot). Side by side, so a probe touches one line of the CPU cache
   * where two arrays cost a random lookup two misses.
   */
  private slots: Uint32Array | Float64Array;
  private empty: number = EMPTY32;
  private used = 0;

  constructor(capacity = 1024) {
    this.slots = newSlots(nextPow2(Math.max(16, capacity)), false);
  }

  private get capacity(): number {
    return this.slots.length / 2;
  }

  /** The newest offset recorded for hashes whose low 32 bits are `lo`, or -1. */
  get(lo: number): number {
    const s = this.slots;
    const mask = s.length / 2 - 1;
    for (let slot = mixFingerprint(lo) & mask; ; slot = (slot + 1) & mask) {
      const offset = s[2 * slot + 1]!;
      if (offset === this.empty) return -1;
      if (s[2 * slot] === lo) return offset;
    }
  }

  /** Records `offset` for the hash whose low 32 bits are `lo` (the fingerprint). */
  set(lo: number, offset: number): void {
    if (offset >= EMPTY32 && this.slots instanceof Uint32Array) this.rehash(this.capacity, true);
    if ((this.used + 1) / this.capacity > MAX_LOAD) this.rehash(this.capacity * 2, this.slots instanceof Float64Array);
    this.place(lo, offset);
  }

  private place(lo: number, offset: number): void {
    const s = this.slots;
    const mask = s.length / 2 - 1;
    for (let slot = mixFingerprint(lo) & mask; ; slot = (slot + 1) & mask) {
      if (s[2 * slot + 1] === this.empty) {
        s[2 * slot] = lo;
        s[2 * slot + 1] = offset;
        this.used++;
        return;
      }
      if (s[2 * slot] === lo) {
        if (s[2 * slot + 1]! < offset) s[2 * slot + 1] = offset;
        return;
      }
    }
  }

  addSegment(index: SegmentIndex): void {
    this.addItems(index, 0, index.count);
  }

  /** Records items [from, to) of `index`. */
  addItems(index: SegmentIndex, from: number, to: number): void {
    const lo = index.hashLo;
    if (!lo) return;
    for (let i = from; i < to; i++) this.set(lo[i]!, index.offsetAt(i));
  }

  /** Moves the entries to `capacity` slots; `wide`: 64-bit numbers, for offsets past 2^32 - 2 (billions of messages). */
  private rehash(capacity: number, wide: boolean): void {
    const old = this.slots;
    const oldEmpty = this.empty;
    this.slots = newSlots(capacity, wide);
    this.empty = wide ? -1 : EMPTY32;
    this.used = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== oldEmpty) this.place(old[i]!, old[i + 1]!);
  }
}

function newSlots(capacity: number, wide: boolean): Uint32Array | Float64Array {
  return wide ? new Float64Array(capacity * 2).fill(-1) : new Uint32Array(capacity * 2).fill(EMPTY32);
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
