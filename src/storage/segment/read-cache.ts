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
 *
 * Every read copies its bytes out of the blocks: the records are CRC-checked
 * on that copy, and a caller that changes a message's buffers cannot change
 * the cache.
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
/** Keys are handle * 2^24 + block: files up to 256 GiB, 2^29 handles per process, both exact in a double. */
const BLOCKS_PER_HANDLE = 2 ** 24;
const MAX_HANDLE = 2 ** 29;

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

/** A fresh id for a newly opened file handle; past MAX_HANDLE the handle's reads bypass the cache. */
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
  /** Block key -> frame. */
  private readonly frameOf = new Map<number, number>();
  private readonly frames: number;
  private readonly slabs: Buffer[] = [];
  /** Per frame: its block's key (-1: free), its bytes (a file's last block is short), its CLOCK bit. */
  private readonly keys: Float64Array;
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
    this.keys = new Float64Array(this.frames).fill(-1);
    this.lengths = new Int32Array(this.frames);
    this.referenced = new Uint8Array(this.frames);
  }

  /**
   * A copy of bytes [start, end) of the sealed file open as `fd` under
   * `handle` (fewer at the end of the file, like readAt), or null when the
   * read is not one for the cache.
   */
  read(fd: number, handle: number, start: number, end: number): Buffer | null {
    if (
      this.frames === 0 ||
      end - start > MAX_CACHED_READ ||
      handle < 0 ||
      handle >= MAX_HANDLE ||
      end > BLOCKS_PER_HANDLE * BLOCK
    )
      return null;
    const key = handle * BLOCKS_PER_HANDLE;
    const out = Buffer.allocUnsafe(end - start);
    let at = start;
    for (let b = Math.floor(start / BLOCK); at < end; b++) {
      let frame = this.frameOf.get(key + b);
      this.count(frame !== undefined);
      if (frame !== undefined) this.referenced[frame] = 1;
      else if (this.admits()) frame = this.load(fd, key + b, b);
      else return null;
      const from = at - b * BLOCK;
      const n = Math.min(this.lengths[frame]! - from, end - at);
      if (n <= 0) break;
      const slab = this.slabs[Math.floor(frame / SLAB_FRAMES)]!;
      const base = (frame % SLAB_FRAMES) * BLOCK;
      slab.copy(out, at - start, base + from, base + from + n);
      at += n;
    }
    return at === end ? out : out.subarray(0, at - start);
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

  /** Reads block `b` (key `key`) into a frame, which it keeps unless the file has no byte there. */
  private load(fd: number, key: number, b: number): number {
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
      this.keys[frame] = key;
      this.frameOf.set(key, frame);
    }
    return frame;
  }

  /** A free frame: a new one while the bound allows, one freed by keepOnly, or the CLOCK's victim. */
  private takeFrame(): number {
    const freed = this.free.pop();
    if (freed !== undefined) return freed;
    if (this.used < this.frames) {
      if (this.used % SLAB_FRAMES === 0)
        this.slabs.push(Buffer.allocUnsafeSlow(Math.min(SLAB_FRAMES, this.frames - this.used) * BLOCK));
      return this.used++;
    }
    while (this.referenced[this.hand] === 1) {
      this.referenced[this.hand] = 0;
      this.hand = (this.hand + 1) % this.frames;
    }
    const victim = this.hand;
    this.hand = (this.hand + 1) % this.frames;
    this.frameOf.delete(this.keys[victim]!);
    this.keys[victim] = -1;
    return victim;
  }

  /** Frees the blocks of handles no longer open (gc): they can never be served again anyway. */
  keepOnly(openHandles: ReadonlySet<number>): void {
    for (const [key, frame] of this.frameOf) {
      if (openHandles.has(Math.floor(key / BLOCKS_PER_HANDLE))) continue;
      this.frameOf.delete(key);
      this.keys[frame] = -1;
      this.free.push(frame);
    }
    // Nothing left: give the memory back too.
    if (this.frameOf.size === 0) this.clear();
  }

  clear(): void {
    this.frameOf.clear();
    this.keys.fill(-1);
    this.slabs.length = 0;
    this.free = [];
    this.used = 0;
    this.hand = 0;
  }

  stats(): ReadCacheStats {
    return { hits: this.hits, misses: this.misses, bytes: this.frameOf.size * BLOCK, maxBytes: this.maxBytes };
  }
}
