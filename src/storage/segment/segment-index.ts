/**
 * The in-memory index of one segment, packed into typed arrays (no object
 * per message): offsets (relative to the segment, 4 bytes), positions
 * (4 bytes, 8 past 4 GiB), index times and key hashes. While the segment is
 * the head, key lookups go through a small Map; a sealed segment is searched
 * by scanning its hash array, and once searched a few times, through its
 * items sorted by key hash (4 bytes an item): a stream read by key (the
 * event store's) asks every segment, and scanning each made it cost the
 * whole log's size. The log-wide KeyTable finds a key's newest segment.
 */
import { corrupted } from '../errors.js';
import type { IndexItem, IndexParams } from '../format/index-format.js';
import { crc32cRange } from '../format/crc32c.js';
import { keyHashNumber } from '../format/key-hash.js';

/** Lookup outcomes that are not an item number (all negative). */
export const INDEX_EMPTY = -1;
export const AFTER_END = -2;
export const BEFORE_START = -3;
export const NOT_FOUND = -4;

const INITIAL_CAPACITY = 256;
/** A sealed segment's key lookups scan its hashes this many times before it sorts its items by hash (~50 scans' work). */
const SCANS_BEFORE_SORT = 3;
/** Sorting packs hash and item number into one float64 (32 + 21 bits); a larger segment keeps scanning. */
const ITEM_SPAN = 2 ** 21;
const MAX_U32 = 0xffffffff;

export class SegmentIndex {
  count = 0;
  private relOffsets: Uint32Array;
  private positions: Uint32Array | Float64Array;
  times: Float64Array | null;
  hashHi: Uint32Array | null;
  hashLo: Uint32Array | null;
  /** Key hash -> items, built on the first key lookup while the segment takes appends. */
  private headKeys: Map<number, number | number[]> | null = null;
  private sealed = false;
  /** Sealed: item numbers ordered by (hashLo, item number), once SCANS_BEFORE_SORT lookups scanned the hashes. */
  private keyOrder: Int32Array | null = null;
  private keyScans = 0;
  /** Items [0, verified) are known to agree with their records (index-verify.ts): built from the log, checked, or appended by this process. */
  verified = 0;

  constructor(
    readonly params: IndexParams,
    /** The segment's base offset: the next offset while it is empty. */
    readonly baseOffset: number,
    /** Where the monotonic time chain continues from when the segment is empty. */
    private emptyLastTimestamp: number,
    capacity = INITIAL_CAPACITY,
  ) {
    const cap = Math.max(capacity, 1);
    this.relOffsets = new Uint32Array(cap);
    this.positions = new Uint32Array(cap);
    this.times = params.times ? new Float64Array(cap) : null;
    this.hashHi = params.keys ? new Uint32Array(cap) : null;
    this.hashLo = params.keys ? new Uint32Array(cap) : null;
  }

  /**
   * A checksum of the items (of the arrays, not of a file's bytes): an index
   * loaded again from its file holds the items checked before when this
   * agrees with what it was then (SegmentReader: gc drops checked indexes).
   */
  fingerprint(): number {
    let h = this.count;
    for (const items of [this.relOffsets, this.positions, this.times, this.hashHi, this.hashLo]) {
      if (!items) continue;
      const bytes = new Uint8Array(items.buffer, items.byteOffset, this.count * items.BYTES_PER_ELEMENT);
      h = (Math.imul(h, 0x9e3779b1) ^ crc32cRange(bytes, 0, bytes.length)) >>> 0;
    }
    return h;
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.relOffsets[i]!;
  }

  positionAt(i: number): number {
    return this.positions[i]!;
  }

  get nextOffset(): number {
    return this.count > 0 ? this.offsetAt(this.count - 1) + 1 : this.baseOffset;
  }

  get lastOffset(): number {
    return this.count > 0 ? this.offsetAt(this.count - 1) : -1;
  }

  /** The last index time, where a new item's monotonic time starts from. */
  get lastTimestamp(): number {
    return this.count > 0 && this.times ? this.times[this.count - 1]! : this.emptyLastTimestamp;
  }

  append(it: IndexItem): void {
    this.reserve(1);
    this.stage(0, it.offset, it.position, it.timestamp, it.hashHi, it.hashLo);
    this.commitStaged(1);
  }

  private mapKey(keys: Map<number, number | number[]>, i: number): void {
    const k = keyHashNumber(this.hashHi![i]!, this.hashLo![i]!);
    const prev = keys.get(k);
    if (prev === undefined) keys.set(k, i);
    else if (typeof prev === 'number') keys.set(k, [prev, i]);
    else prev.push(i);
  }

  /** Trims the arrays to size and drops the head's key Map: the segment takes no more items. */
  seal(): void {
    if (this.relOffsets.length !== this.count) this.grow(this.count);
    this.headKeys = null;
    this.sealed = true;
  }

  /**
   * Fills the index from an index file's items in one pass (no object per
   * item), for the params' item layout. Offsets and positions must fit
   * 53 bits; the caller validates them against the log afterwards.
   */
  appendEncoded(data: Buffer, start: number, count: number): void {
    this.reserve(count);
    const size = 16 + (this.times ? 8 : 0) + (this.hashHi ? 8 : 0);
    const base = this.baseOffset;
    for (let k = 0, at = start; k < count; k++, at += size) {
      const rel = data.readInt32BE(at) * 0x100000000 + data.readUInt32BE(at + 4) - base;
      if (rel < 0 || rel > MAX_U32)
        throw corrupted(`index corrupted: item ${k} does not belong to the segment at ${base}`);
      let q = at + 16;
      let timestamp = 0;
      if (this.times) {
        timestamp = data.readInt32BE(q) * 0x100000000 + data.readUInt32BE(q + 4);
        q += 8;
      }
      const keyed = this.hashHi !== null;
      this.place(
        this.count,
        rel,
        data.readUInt32BE(at + 8) * 0x100000000 + data.readUInt32BE(at + 12),
        timestamp,
        keyed ? data.readUInt32BE(q) : 0,
        keyed ? data.readUInt32BE(q + 4) : 0,
      );
      this.commitStaged(1);
    }
  }

  /**
   * The writer's path: `stage` fills slot count + k of the arrays while a
   * batch is encoded (after `reserve(n)`), and `commitStaged(n)` makes the
   * n items part of the index once the batch is written; a failed write
   * leaves the slots past `count`, unseen. No reading back of the bytes.
   */
  reserve(n: number): void {
    // Doubling: the writer appends a batch at a time, a message at a time with batch 1.
    if (this.count + n > this.relOffsets.length) this.grow(Math.max(this.count + n, this.relOffsets.length * 2));
  }

  stage(k: number, offset: number, position: number, timestamp: number, hashHi: number, hashLo: number): void {
    const rel = offset - this.baseOffset;
    if (rel < 0 || rel > MAX_U32)
      throw corrupted(`index corrupted: offset ${offset} does not belong to the segment at ${this.baseOffset}`);
    this.place(this.count + k, rel, position, timestamp, hashHi, hashLo);
  }

  /** Fills slot i (within capacity) with an item whose offset is `rel` past the base. */
  private place(i: number, rel: number, position: number, timestamp: number, hashHi: number, hashLo: number): void {
    if (position > MAX_U32 && this.positions instanceof Uint32Array) this.positions = Float64Array.from(this.positions);
    this.relOffsets[i] = rel;
    this.positions[i] = position;
    if (this.times) this.times[i] = timestamp;
    if (this.hashHi && this.hashLo) {
      this.hashHi[i] = hashHi;
      this.hashLo[i] = hashLo;
    }
  }

  commitStaged(n: number): void {
    if (this.headKeys) for (let i = this.count; i < this.count + n; i++) this.mapKey(this.headKeys, i);
    this.count += n;
  }

  private grow(capacity: number): void {
    const cap = Math.max(capacity, 1);
    const n = Math.min(this.count, cap);
    const resize = <T extends Float64Array | Uint32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a.subarray(0, n));
      return b;
    };
    this.relOffsets = resize(this.relOffsets);
    this.positions = resize(this.positions);
    if (this.times) this.times = resize(this.times);
    if (this.hashHi) this.hashHi = resize(this.hashHi);
    if (this.hashLo) this.hashLo = resize(this.hashLo);
  }

  /** First item at or after `offset` (Go: index.Consume); OffsetOldest is item 0. */
  findConsume(offset: number): number {
    const n = this.count;
    if (n === 0) return INDEX_EMPTY;
    if (offset < 0 || offset <= this.offsetAt(0)) return 0;
    if (offset > this.offsetAt(n - 1)) return AFTER_END;
    return this.lowerBound(offset);
  }

  /** The item with exactly `offset` (Go: index.Get); -2/-1 mean first/last. */
  findExact(offset: number): number {
    const n = this.count;
    if (n === 0) return INDEX_EMPTY;
    if (offset === -2) return 0;
    if (offset === -1) return n - 1;
    const first = this.offsetAt(0);
    const last = this.offsetAt(n - 1);
    if (offset < first) return BEFORE_START;
    if (offset > last) return AFTER_END;
    // No gap (nothing deleted): offsets strictly increase (validateIndex), so item i holds first + i; reading it
    // would cost a random lookup a miss of the CPU cache.
    if (last - first === n - 1) return offset - first;
    const i = this.lowerBound(offset);
    return this.offsetAt(i) === offset ? i : NOT_FOUND;
  }

  private lowerBound(offset: number): number {
    const rel = offset - this.baseOffset;
    const a = this.relOffsets;
    const n = this.count;
    // Offsets only grow, so with no gap (nothing deleted) item i holds a[0] + i: no search.
    if (n > 0 && a[n - 1]! - a[0]! === n - 1) return Math.min(Math.max(rel - a[0]!, 0), n);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < rel) lo = mid + 1;
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
    const H = this.hashHi!;
    const L = this.hashLo!;
    if (!this.sealed) {
      if (!this.headKeys) {
        this.headKeys = new Map();
        for (let i = 0; i < this.count; i++) this.mapKey(this.headKeys, i);
      }
      const found = this.headKeys.get(keyHashNumber(hi, lo));
      if (found === undefined) return [];
      // The Map key keeps 53 of the 64 bits: drop the few that differ in the rest.
      if (typeof found === 'number') return H[found] === hi && L[found] === lo ? [found] : [];
      return found.filter((i) => H[i] === hi && L[i] === lo);
    }
    const out: number[] = [];
    if (this.keyOrder === null && (++this.keyScans <= SCANS_BEFORE_SORT || this.count >= ITEM_SPAN)) {
      for (let i = 0; i < this.count; i++) if (L[i] === lo && H[i] === hi) out.push(i);
      return out;
    }
    const order = (this.keyOrder ??= this.sortByKeyHash());
    let a = 0;
    let b = order.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (L[order[mid]!]! < lo) a = mid + 1;
      else b = mid;
    }
    // Equal low words are in item order, so the matches come out in log order.
    for (; a < order.length && L[order[a]!] === lo; a++) if (H[order[a]!] === hi) out.push(order[a]!);
    return out;
  }

  private sortByKeyHash(): Int32Array {
    const n = this.count;
    const L = this.hashLo!;
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = L[i]! * ITEM_SPAN + i;
    packed.sort();
    const order = new Int32Array(n);
    for (let k = 0; k < n; k++) order[k] = packed[k]! % ITEM_SPAN;
    return order;
  }

  item(i: number, out: IndexItem): IndexItem {
    out.offset = this.offsetAt(i);
    out.position = this.positions[i]!;
    out.timestamp = this.times ? this.times[i]! : 0;
    out.hashHi = this.hashHi ? this.hashHi[i]! : 0;
    out.hashLo = this.hashLo ? this.hashLo[i]! : 0;
    return out;
  }
}
