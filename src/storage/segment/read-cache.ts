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
 */
import { LRUCache } from 'lru-cache';
import { readAt } from './segment-files.js';

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

const EMPTY = Buffer.alloc(0);
let nextHandle = 0;

/** A fresh id for a newly opened file handle; past MAX_HANDLE the handle's reads bypass the cache. */
export function newHandleId(): number {
  return nextHandle++;
}

/** What `stat()` reports of the cache (its `readCache` field). */
export interface ReadCacheStats {
  /** Blocks found in memory. */
  hits: number;
  /** Blocks read from the file (and kept). */
  misses: number;
  /** Bytes held now. */
  bytes: number;
  /** The bound: the readCacheSize option. */
  maxBytes: number;
}

export class ReadCache {
  private hits = 0;
  private misses = 0;
  private readonly blocks: LRUCache<number, Buffer>;

  constructor(readonly maxBytes: number) {
    this.blocks = new LRUCache<number, Buffer>({ maxSize: maxBytes, sizeCalculation: (b) => b.length });
  }

  /**
   * A copy of bytes [start, end) of the sealed file open as `fd` under
   * `handle` (fewer at the end of the file, like readAt), or null when the
   * read is not one for the cache.
   */
  read(fd: number, handle: number, start: number, end: number): Buffer | null {
    if (end - start > MAX_CACHED_READ || handle < 0 || handle >= MAX_HANDLE || end > BLOCKS_PER_HANDLE * BLOCK)
      return null;
    const first = Math.floor(start / BLOCK);
    const last = Math.floor((end - 1) / BLOCK);
    const key = handle * BLOCKS_PER_HANDLE;
    const out = Buffer.allocUnsafe(end - start);
    let at = start;
    for (let b = first; b <= last; b++) {
      let block = this.blocks.get(key + b);
      if (block) this.hits++;
      else block = this.load(fd, key, b, last);
      const from = at - b * BLOCK;
      const n = Math.min(block.length - from, end - at);
      if (n <= 0) break;
      block.copy(out, at - start, from, from + n);
      at += n;
    }
    return at === end ? out : out.subarray(0, at - start);
  }

  /** Reads blocks b..last with one pread and keeps each (a copy of its own, evicted alone); returns block b. */
  private load(fd: number, key: number, b: number, last: number): Buffer {
    const buf = readAt(fd, b * BLOCK, (last - b + 1) * BLOCK);
    let first = EMPTY;
    for (let at = 0, k = b; at < buf.length; at += BLOCK, k++) {
      const block = Buffer.from(buf.subarray(at, at + BLOCK));
      this.misses++;
      this.blocks.set(key + k, block);
      if (k === b) first = block;
    }
    return first;
  }

  /** Frees the blocks of handles no longer open (gc): they can never be served again anyway. */
  keepOnly(openHandles: ReadonlySet<number>): void {
    for (const key of [...this.blocks.keys()])
      if (!openHandles.has(Math.floor(key / BLOCKS_PER_HANDLE))) this.blocks.delete(key);
  }

  clear(): void {
    this.blocks.clear();
  }

  stats(): ReadCacheStats {
    return { hits: this.hits, misses: this.misses, bytes: this.blocks.calculatedSize, maxBytes: this.maxBytes };
  }
}
