/**
 * The offsets a multi delete still has to remove, handed to Log.delete round
 * after round. Log.delete needs the lowest one and checks every element of a
 * set it is given; over a million offsets and a hundred rounds that is 10^8
 * steps of a compaction. These sets know their lowest element (amortised
 * O(1)) and are built from offsets already checked, so Log.delete skips both
 * walks for them.
 */
export abstract class RemainingOffsets extends Set<number> {
  /** The lowest offset still in the set; Infinity when it is empty. */
  abstract lowest(): number;

  /** Removes the offsets from `lo` to `hi` (both included) that are in the set. */
  deleteRange(lo: number, hi: number): void {
    for (let o = lo; o <= hi; o++) this.delete(o);
  }

  /** The set a multi delete works through: `offsets` itself when a scan built it as an OffsetBitmap. */
  static of(offsets: Iterable<number>): RemainingOffsets {
    return offsets instanceof OffsetBitmap ? offsets : new ListedOffsets(offsets);
  }
}

/** Any offsets (deleteMulti's, however spread out): a Set and a sorted copy with a cursor. */
class ListedOffsets extends RemainingOffsets {
  private readonly ascending: Float64Array;
  private cursor = 0;

  /** `offsets` must be safe integers (the finders and deleteMulti check them). */
  constructor(offsets: Iterable<number>) {
    super(offsets);
    this.ascending = Float64Array.from(this).sort();
  }

  lowest(): number {
    const a = this.ascending;
    while (this.cursor < a.length && !this.has(a[this.cursor]!)) this.cursor++;
    return this.cursor < a.length ? a[this.cursor]! : Infinity;
  }
}

/** Offsets per page: a page is 1 KiB of bits. */
const PAGE_BITS = 8192;

/**
 * A set of offsets taken from a scan of the log, one bit per offset in pages
 * of 8,192: a compaction's million offsets take 122 KiB instead of a Set's
 * tens of MB, and has / add / delete touch one word instead of a hash table
 * larger than the CPU's caches. Pages exist only where the scanned log has
 * offsets, so it never takes more than one bit per message of the log.
 * Iterates in ascending order. Only integers are ever members.
 */
export class OffsetBitmap extends RemainingOffsets {
  private readonly pages = new Map<number, Uint32Array>();
  private count = 0;
  /** Page numbers in ascending order, built when first needed (by lowest or iteration). */
  private order: number[] | null = null;
  private cursor = 0;

  constructor() {
    // Set's own constructor would call add() before this class's fields exist.
    super();
  }

  override get size(): number {
    return this.count;
  }

  override has(offset: number): boolean {
    if (!Number.isInteger(offset)) return false;
    const page = this.pages.get(Math.floor(offset / PAGE_BITS));
    if (!page) return false;
    const bit = offset - Math.floor(offset / PAGE_BITS) * PAGE_BITS;
    return (page[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  override add(offset: number): this {
    if (!Number.isSafeInteger(offset)) throw new RangeError(`an offset must be a safe integer, got ${offset}`);
    const n = Math.floor(offset / PAGE_BITS);
    let page = this.pages.get(n);
    if (!page) {
      page = new Uint32Array(PAGE_BITS / 32);
      this.pages.set(n, page);
      this.order = null;
    }
    const bit = offset - n * PAGE_BITS;
    const mask = 1 << (bit & 31);
    if ((page[bit >>> 5]! & mask) === 0) {
      page[bit >>> 5]! |= mask;
      this.count++;
    }
    return this;
  }

  override delete(offset: number): boolean {
    if (!Number.isInteger(offset)) return false;
    const page = this.pages.get(Math.floor(offset / PAGE_BITS));
    if (!page) return false;
    const bit = offset - Math.floor(offset / PAGE_BITS) * PAGE_BITS;
    const mask = 1 << (bit & 31);
    if ((page[bit >>> 5]! & mask) === 0) return false;
    page[bit >>> 5]! &= ~mask;
    this.count--;
    return true;
  }

  /** How many offsets from `lo` to `hi` (both included) are in the set: a popcount of their words. */
  countRange(lo: number, hi: number): number {
    let n = 0;
    this.eachWord(lo, hi, (page, w, mask) => {
      n += popcount(page[w]! & mask);
    });
    return n;
  }

  /** Removes the offsets from `lo` to `hi` (both included), a word at a time. */
  override deleteRange(lo: number, hi: number): void {
    this.eachWord(lo, hi, (page, w, mask) => {
      this.count -= popcount(page[w]! & mask);
      page[w]! &= ~mask;
    });
  }

  /** Calls `fn` for each word of an existing page that holds bits of [lo, hi], with the mask of those bits. */
  private eachWord(lo: number, hi: number, fn: (page: Uint32Array, w: number, mask: number) => void): void {
    for (let p = Math.max(Math.floor(lo / PAGE_BITS), 0); p * PAGE_BITS <= hi; p++) {
      const page = this.pages.get(p);
      if (!page) continue;
      const from = Math.max(lo - p * PAGE_BITS, 0);
      const to = Math.min(hi - p * PAGE_BITS, PAGE_BITS - 1);
      for (let w = from >>> 5; w <= to >>> 5; w++) {
        // Only the bits of the range: none below `from` in its word, none above `to` in its word.
        let mask = w === from >>> 5 ? ~0 << (from & 31) : ~0;
        if (w === to >>> 5 && (to & 31) !== 31) mask &= (1 << ((to & 31) + 1)) - 1;
        fn(page, w, mask);
      }
    }
  }

  override clear(): void {
    this.pages.clear();
    this.count = 0;
    this.order = null;
  }

  private pageOrder(): number[] {
    if (!this.order) {
      this.order = [...this.pages.keys()].sort((a, b) => a - b);
      this.cursor = 0;
    }
    return this.order;
  }

  lowest(): number {
    const order = this.pageOrder();
    for (; this.cursor < order.length; this.cursor++) {
      const n = order[this.cursor]!;
      const page = this.pages.get(n)!;
      for (let w = 0; w < page.length; w++) {
        const word = page[w]!;
        // The lowest set bit: 31 - clz32 of the word's lowest one.
        if (word !== 0) return n * PAGE_BITS + w * 32 + (31 - Math.clz32(word & -word));
      }
    }
    return Infinity;
  }

  override *values(): SetIterator<number> {
    for (const n of this.pageOrder().slice()) {
      const page = this.pages.get(n);
      if (!page) continue;
      for (let w = 0; w < page.length; w++) {
        for (let word = page[w]!; word !== 0; word &= word - 1) {
          yield n * PAGE_BITS + w * 32 + (31 - Math.clz32(word & -word));
        }
      }
    }
  }

  override keys(): SetIterator<number> {
    return this.values();
  }

  override *entries(): SetIterator<[number, number]> {
    for (const o of this.values()) yield [o, o];
  }

  override [Symbol.iterator](): SetIterator<number> {
    return this.values();
  }

  override forEach(callback: (value: number, key: number, set: Set<number>) => void, thisArg?: unknown): void {
    for (const o of this.values()) callback.call(thisArg, o, o, this);
  }
}

function popcount(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
