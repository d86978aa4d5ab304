/**
 * The in-memory index of one segment, packed into typed arrays (no object
 * per message): offsets, positions, index times and key hashes. While the
 * segment is the head, key lookups go through a small Map; a sealed segment
 * keeps a permutation of its items sorted by key hash instead (4 bytes each).
 */
import type { IndexItem, IndexParams } from '../format/index-format.js';
import { keyHashNumber } from '../format/key-hash.js';

/** Lookup outcomes that are not an item number (all negative). */
export const INDEX_EMPTY = -1;
export const AFTER_END = -2;
export const BEFORE_START = -3;
export const NOT_FOUND = -4;

const INITIAL_CAPACITY = 256;

export class SegmentIndex {
  count = 0;
  offsets: Float64Array;
  positions: Float64Array;
  times: Float64Array | null;
  hashHi: Uint32Array | null;
  hashLo: Uint32Array | null;
  private sortedByKey: Int32Array | null = null;
  private headKeys: Map<number, number | number[]> | null = null;

  constructor(
    readonly params: IndexParams,
    /** Offset the next appended message gets when the segment is empty. */
    private emptyNextOffset: number,
    /** Where the monotonic time chain continues from when the segment is empty. */
    private emptyLastTimestamp: number,
    capacity = INITIAL_CAPACITY,
  ) {
    const cap = Math.max(capacity, 1);
    this.offsets = new Float64Array(cap);
    this.positions = new Float64Array(cap);
    this.times = params.times ? new Float64Array(cap) : null;
    this.hashHi = params.keys ? new Uint32Array(cap) : null;
    this.hashLo = params.keys ? new Uint32Array(cap) : null;
    if (params.keys) this.headKeys = new Map();
  }

  get nextOffset(): number {
    return this.count > 0 ? this.offsets[this.count - 1]! + 1 : this.emptyNextOffset;
  }

  /** The last index time, where a new item's monotonic time starts from. */
  get lastTimestamp(): number {
    return this.count > 0 && this.times ? this.times[this.count - 1]! : this.emptyLastTimestamp;
  }

  append(it: IndexItem): void {
    if (this.count === this.offsets.length) this.grow(this.count * 2);
    const i = this.count++;
    this.offsets[i] = it.offset;
    this.positions[i] = it.position;
    if (this.times) this.times[i] = it.timestamp;
    if (this.hashHi && this.hashLo) {
      this.hashHi[i] = it.hashHi;
      this.hashLo[i] = it.hashLo;
      if (this.headKeys) {
        const k = keyHashNumber(it.hashHi, it.hashLo);
        const prev = this.headKeys.get(k);
        if (prev === undefined) this.headKeys.set(k, i);
        else if (typeof prev === 'number') this.headKeys.set(k, [prev, i]);
        else prev.push(i);
      }
    }
  }

  /** Trims the arrays and swaps the head's key Map for a sorted permutation. */
  seal(): void {
    if (this.offsets.length !== this.count) this.grow(this.count);
    if (this.hashHi && this.hashLo) {
      const hi = this.hashHi;
      const lo = this.hashLo;
      const perm = new Int32Array(this.count);
      for (let i = 0; i < perm.length; i++) perm[i] = i;
      perm.sort((a, b) => hi[a]! - hi[b]! || lo[a]! - lo[b]! || a - b);
      this.sortedByKey = perm;
      this.headKeys = null;
    }
  }

  private grow(capacity: number): void {
    const cap = Math.max(capacity, 1);
    const copy = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a.subarray(0, Math.min(this.count, cap)));
      return b;
    };
    this.offsets = copy(this.offsets, (n) => new Float64Array(n));
    this.positions = copy(this.positions, (n) => new Float64Array(n));
    if (this.times) this.times = copy(this.times, (n) => new Float64Array(n));
    if (this.hashHi) this.hashHi = copy(this.hashHi, (n) => new Uint32Array(n));
    if (this.hashLo) this.hashLo = copy(this.hashLo, (n) => new Uint32Array(n));
  }

  /** Bytes held by the arrays, for memory accounting. */
  get byteSize(): number {
    let n = this.offsets.byteLength + this.positions.byteLength;
    if (this.times) n += this.times.byteLength;
    if (this.hashHi && this.hashLo) n += this.hashHi.byteLength + this.hashLo.byteLength;
    if (this.sortedByKey) n += this.sortedByKey.byteLength;
    return n;
  }

  /** First item at or after `offset` (Go: index.Consume); OffsetOldest is item 0. */
  findConsume(offset: number): number {
    const n = this.count;
    if (n === 0) return INDEX_EMPTY;
    if (offset < 0 || offset <= this.offsets[0]!) return 0;
    if (offset > this.offsets[n - 1]!) return AFTER_END;
    return this.lowerBound(offset);
  }

  /** The item with exactly `offset` (Go: index.Get); -2/-1 mean first/last. */
  findExact(offset: number): number {
    const n = this.count;
    if (n === 0) return INDEX_EMPTY;
    if (offset === -2) return 0;
    if (offset === -1) return n - 1;
    if (offset < this.offsets[0]!) return BEFORE_START;
    if (offset > this.offsets[n - 1]!) return AFTER_END;
    const i = this.lowerBound(offset);
    return this.offsets[i] === offset ? i : NOT_FOUND;
  }

  private lowerBound(offset: number): number {
    let lo = 0;
    let hi = this.count;
    const a = this.offsets;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First item whose index time is >= ts (Go: index.Time). */
  findTime(ts: number): number {
    const n = this.count;
    const t = this.times!;
    if (n === 0) return INDEX_EMPTY;
    if (ts < t[0]!) return BEFORE_START;
    if (ts === t[0]) return 0;
    if (t[n - 1]! < ts) return AFTER_END;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t[mid]! < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Items whose key hash equals (hi, lo), in log order. */
  keyMatches(hi: number, lo: number): number[] {
    if (this.headKeys) {
      const found = this.headKeys.get(keyHashNumber(hi, lo));
      if (found === undefined) return [];
      const all = typeof found === 'number' ? [found] : found;
      // The Map key keeps 53 of the 64 bits: drop the few that differ in the rest.
      return all.filter((i) => this.hashHi![i] === hi && this.hashLo![i] === lo);
    }
    const perm = this.sortedByKey!;
    const H = this.hashHi!;
    const L = this.hashLo!;
    let a = 0;
    let b = perm.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      const j = perm[mid]!;
      if (H[j]! < hi || (H[j] === hi && L[j]! < lo)) a = mid + 1;
      else b = mid;
    }
    const out: number[] = [];
    for (let k = a; k < perm.length; k++) {
      const j = perm[k]!;
      if (H[j] !== hi || L[j] !== lo) break;
      out.push(j);
    }
    return out;
  }

  item(i: number, out: IndexItem): IndexItem {
    out.offset = this.offsets[i]!;
    out.position = this.positions[i]!;
    out.timestamp = this.times ? this.times[i]! : 0;
    out.hashHi = this.hashHi ? this.hashHi[i]! : 0;
    out.hashLo = this.hashLo ? this.hashLo[i]! : 0;
    return out;
  }
}
