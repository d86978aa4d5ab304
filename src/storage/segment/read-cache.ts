/**
 * A bounded cache of sealed segments' log bytes (the `readCacheSize` option),
 * so a lookup served from memory costs no system call.
 *
 * Blocks of BLOCK bytes, aligned in the file, are kept per open file handle
 * of a SegmentReader, never per path. A sealed segment's file never changes
 * in place: delete, compaction, trim, recover, migrate and backup into an
 * existing directory each write a new file and rename it over the old one,
 * and the handle keeps reading the old file. So a block holds exactly what a
 * pread on its handle would return, and a handle that is closed (a rewrite in
 * this process, a follower noticing another process's rewrite, gc, close)
 * takes a fresh id when it is opened again: its old blocks are never served.
 * A head's blocks are kept only once every byte in them is written (see
 * SegmentReader.cacheLimit).
 *
 * A caller never gets the cache's memory: a lookup checks its record's CRC
 * in place (locate; a record crossing a block boundary in a scratch copy)
 * and copies out its key and value; a longer read copies its bytes out
 * first (read) and is checked on that copy.
 *
 * Blocks live in frames of slabs allocated as the cache grows (never more
 * than the bound) and are read straight into their frame, evicted by CLOCK
 * (a second chance for each block read since the hand last passed). A Buffer
 * per block, as an LRU of Buffers would keep, made every miss allocate and
 * later collect an ArrayBuffer: with a log larger than the cache, read at
 * random, lookups ran at 0.4x of no cache; with frames a miss costs one
 * pread of a page.
 */
import fs from 'node:fs';

/**
 * A page: a lookup that misses reads 4 KiB, barely more than its record, so a
 * log much larger than the cache reads about as fast as with no cache.
 */
export const BLOCK = 4 * 1024;
/** What a log keeps when `readCacheSize` is not given. */
export const DEFAULT_READ_CACHE_SIZE = 64 * 1024 * 1024;
/** Longer reads (a large record, a consume of many) bypass the cache: one pread serves them better. */
const MAX_CACHED_READ = 16 * BLOCK;
/** Block numbers are Int32: files up to 8 TiB; a block past it is read from the file. */
const MAX_BLOCK = 2 ** 31 - 1;

/**
 * Once full, a cache that serves under half of the last WINDOW lookups loads
 * only every SPARSE-th block it misses; the other misses read just their
 * bytes. A log much larger than the cache, read at random, then costs what it
 * costs with no cache (a page read per lookup would cost more), and blocks
 * read again and again still get in.
 */
const WINDOW = 4096;
const SPARSE = 8;
/** Frames per slab: 32 KiB of memory allocated at a time (a small log never holds a large allocation). */
const SLAB_FRAMES = 8;
let nextHandle = 0;

/** A fresh id for a newly opened file handle. */
export function newHandleId(): number {
  return nextHandle++;
}

/** What `stat()` reports of the cache (its `readCache` field). */
export interface ReadCacheStats {
  /** Block lookups found in memory. */
  hits: number;
  /** Block lookups that went to the file. */
  misses: number;
  /** Bytes held now. */
  bytes: number;
  /** The bound: the readCacheSize option. */
  maxBytes: number;
}

export class ReadCache {
  private hits = 0;
  private misses = 0;
  /**
   * Per open handle, its blocks' frames: table[b] is block b's frame + 1
   * (0: not cached). A table of a 1 MiB segment is 1 KiB, so a lookup costs
   * one small Map probe and one array read, where a Map of every block
   * missed the CPU cache on a random lookup.
   */
  private readonly tables = new Map<number, Int32Array>();
  /** Per handle, its cached blocks: a table goes when its last block does, so closed handles leave none behind. */
  private readonly blocksOf = new Map<number, number>();
  private cached = 0;
  private readonly frames: number;
  private readonly slabs: Buffer[] = [];
  /** Per slab, an Int32Array over it for the CRC's word loop (crc32cWords). */
  private readonly slabWords: Int32Array[] = [];
  /** Per frame: its handle (-1: free) and block, its bytes (a file's last block is short), its CLOCK bit. */
  private readonly owners: Float64Array;
  private readonly blockOf: Int32Array;
  private readonly lengths: Int32Array;
  private readonly referenced: Uint8Array;
  /** Frames freed by keepOnly, reused before the hand evicts. */
  private free: number[] = [];
  /** Frames handed out so far (the slabs hold this many). */
  private used = 0;
  private hand = 0;
  private windowLookups = 0;
  private windowHits = 0;
  /** Load every admitEvery-th missed block (1, or SPARSE while few lookups hit). */
  private admitEvery = 1;
  private skipped = 0;

  constructor(readonly maxBytes: number) {
    this.frames = Math.floor(maxBytes / BLOCK);
    this.owners = new Float64Array(this.frames).fill(-1);
    this.blockOf = new Int32Array(this.frames);
    this.lengths = new Int32Array(this.frames);
    this.referenced = new Uint8Array(this.frames);
  }

  /**
   * A copy of bytes [start, end) of the file open as `fd` under `handle`
   * (fewer at the end of the file, like readAt), or null when the read is not
   * one for the cache. Bytes from `limit` on may still change (a head's
   * unwritten tail): a block reaching past it is never kept, and a read
   * needing one is left to a pread. A sealed file's limit is Infinity.
   */
  read(fd: number, handle: number, start: number, end: number, limit: number): Buffer | null {
    if (!this.serves(handle, start, end, limit)) return null;
    const out = Buffer.allocUnsafe(end - start);
    const n = this.copyOut(fd, handle, start, end, out);
    return n < 0 ? null : n === end - start ? out : out.subarray(0, n);
  }

  /** Copies what the cache has of [start, end) into `out` from byte 0: how many bytes (short at the file's end), -1 when a block stays in the file. */
  private copyOut(fd: number, handle: number, start: number, end: number, out: Buffer): number {
    let at = start;
    for (let b = Math.floor(start / BLOCK); at < end; b++) {
      const frame = this.frame(fd, handle, b);
      if (frame < 0) return -1;
      const from = at - b * BLOCK;
      const n = Math.min(this.lengths[frame]! - from, end - at);
      if (n <= 0) break;
      const slab = this.slabs[Math.floor(frame / SLAB_FRAMES)]!;
      const base = (frame % SLAB_FRAMES) * BLOCK;
      slab.copy(out, at - start, base + from, base + from + n);
      at += n;
    }
    return at - start;
  }

  /** Where locate found its bytes in the Buffer it returned, and that Buffer's words (see crc32cWords). */
  locatedAt = 0;
  locatedWords: Int32Array = new Int32Array(0);

  /**
   * The cached bytes [start, end) for a lookup that checks them and copies
   * out only what it returns; nothing may write into what it returns. In
   * place when one block holds them all: the slab holding that block (the
   * bytes start at `locatedAt`). Else gathered from their blocks into a
   * scratch Buffer of the cache, from byte 0, which the next call
   * overwrites: a record crossing a block boundary then costs no Buffer of
   * its own either. Null past the file's end or when the range is not one
   * for the cache.
   */
  locate(fd: number, handle: number, start: number, end: number, limit: number): Buffer | null {
    if (!this.serves(handle, start, end, limit)) return null;
    const b = Math.floor(start / BLOCK);
    if (end > (b + 1) * BLOCK) return this.gather(fd, handle, start, end);
    const frame = this.frame(fd, handle, b);
    if (frame < 0 || this.lengths[frame]! < end - b * BLOCK) return null;
    this.locatedAt = (frame % SLAB_FRAMES) * BLOCK + start - b * BLOCK;
    const slab = Math.floor(frame / SLAB_FRAMES);
    this.locatedWords = this.slabWords[slab]!;
    return this.slabs[slab]!;
  }

  /** locate for a range crossing a block boundary (serves() said yes). */
  private gather(fd: number, handle: number, start: number, end: number): Buffer | null {
    if (this.scratch.length < end - start) {
      this.scratch = Buffer.allocUnsafeSlow(MAX_CACHED_READ);
      this.scratchWords = new Int32Array(this.scratch.buffer, this.scratch.byteOffset, MAX_CACHED_READ >>> 2);
    }
    if (this.copyOut(fd, handle, start, end, this.scratch) !== end - start) return null;
    this.locatedAt = 0;
    this.locatedWords = this.scratchWords;
    return this.scratch;
  }

  private scratch = Buffer.alloc(0);
  private scratchWords = new Int32Array(0);

  /** Whether the cache may serve [start, end) of `handle`'s file: every block it touches is final and cacheable. */
  private serves(handle: number, start: number, end: number, limit: number): boolean {
    return (
      this.frames > 0 &&
      end - start <= MAX_CACHED_READ &&
      handle >= 0 &&
      end <= MAX_BLOCK * BLOCK &&
      Math.ceil(end / BLOCK) * BLOCK <= limit
    );
  }

  /** The frame of block `b` of `handle`, loaded on a miss the cache admits; -1 when it stays in the file. */
  private frame(fd: number, handle: number, b: number): number {
    const table = this.tables.get(handle);
    const frame = table !== undefined && b < table.length ? table[b]! - 1 : -1;
    this.count(frame >= 0);
    if (frame >= 0) {
      this.referenced[frame] = 1;
      return frame;
    }
    return this.admits() ? this.load(fd, handle, b) : -1;
  }

  private count(hit: boolean): void {
    if (hit) this.hits++;
    else this.misses++;
    this.windowHits += hit ? 1 : 0;
    if (++this.windowLookups < WINDOW) return;
    this.admitEvery = this.windowHits * 2 < this.windowLookups ? SPARSE : 1;
    this.windowHits = 0;
    this.windowLookups = 0;
  }

  /** Whether a missed block is loaded: always while frames are left, then as admitEvery says. */
  private admits(): boolean {
    if (this.used < this.frames || this.free.length > 0 || this.admitEvery === 1) return true;
    return ++this.skipped % this.admitEvery === 0;
  }

  /** Reads block `b` of `handle` into a frame, which it keeps unless the file has no byte there. */
  private load(fd: number, handle: number, b: number): number {
    const frame = this.takeFrame();
    const slab = this.slabs[Math.floor(frame / SLAB_FRAMES)]!;
    const base = (frame % SLAB_FRAMES) * BLOCK;
    let length = 0;
    for (let n = -1; length < BLOCK && n !== 0; length += n)
      n = fs.readSync(fd, slab, base + length, BLOCK - length, b * BLOCK + length);
    this.lengths[frame] = length;
    this.referenced[frame] = 0;
    if (length === 0) {
      this.free.push(frame);
    } else {
      this.owners[frame] = handle;
      this.blockOf[frame] = b;
      this.tableFor(handle, b)[b] = frame + 1;
      this.blocksOf.set(handle, (this.blocksOf.get(handle) ?? 0) + 1);
      this.cached++;
    }
    return frame;
  }

  /** The block table of `handle`, grown to hold block `b`. */
  private tableFor(handle: number, b: number): Int32Array {
    let table = this.tables.get(handle);
    if (table === undefined || b >= table.length) {
      const grown = new Int32Array(Math.max(b + 1, (table?.length ?? 0) * 2, 64));
      if (table) grown.set(table);
      this.tables.set(handle, (table = grown));
    }
    return table;
  }

  /** A free frame: a new one while the bound allows, one freed by keepOnly, or the CLOCK's victim. */
  private takeFrame(): number {
    const freed = this.free.pop();
    if (freed !== undefined) return freed;
    if (this.used < this.frames) {
      if (this.used % SLAB_FRAMES === 0) {
        const slab = Buffer.allocUnsafeSlow(Math.min(SLAB_FRAMES, this.frames - this.used) * BLOCK);
        this.slabs.push(slab);
        this.slabWords.push(new Int32Array(slab.buffer, slab.byteOffset, slab.length >>> 2));
      }
      return this.used++;
    }
    while (this.referenced[this.hand] === 1) {
      this.referenced[this.hand] = 0;
      this.hand = (this.hand + 1) % this.frames;
    }
    const victim = this.hand;
    this.hand = (this.hand + 1) % this.frames;
    this.forget(victim);
    return victim;
  }

  /** Takes frame `frame`'s block out of its handle's table (a frame whose handle was dropped is free already). */
  private forget(frame: number): void {
    const handle = this.owners[frame]!;
    if (handle < 0) return;
    const table = this.tables.get(handle);
    if (table) table[this.blockOf[frame]!] = 0;
    const left = (this.blocksOf.get(handle) ?? 1) - 1;
    if (left > 0) this.blocksOf.set(handle, left);
    else {
      this.blocksOf.delete(handle);
      this.tables.delete(handle);
    }
    this.owners[frame] = -1;
    this.cached--;
  }

  /** Frees the blocks of handles no longer open (gc): they can never be served again anyway. */
  keepOnly(openHandles: ReadonlySet<number>): void {
    for (const [handle, table] of this.tables) {
      if (openHandles.has(handle)) continue;
      for (let b = 0; b < table.length; b++) {
        const frame = table[b]! - 1;
        if (frame < 0) continue;
        this.owners[frame] = -1;
        this.cached--;
        this.free.push(frame);
      }
      this.tables.delete(handle);
      this.blocksOf.delete(handle);
    }
    // Nothing left: give the memory back too.
    if (this.cached === 0) this.clear();
  }

  clear(): void {
    this.tables.clear();
    this.blocksOf.clear();
    this.owners.fill(-1);
    this.cached = 0;
    this.slabs.length = 0;
    this.slabWords.length = 0;
    this.scratch = Buffer.alloc(0);
    this.free = [];
    this.used = 0;
    this.hand = 0;
  }

  stats(): ReadCacheStats {
    return { hits: this.hits, misses: this.misses, bytes: this.cached * BLOCK, maxBytes: this.maxBytes };
  }
}
