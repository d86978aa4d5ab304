/**
 * A write buffer reused from batch to batch: an append is synchronous from
 * encoding to write(2) and nothing keeps the buffer after it, so allocating
 * one per batch only fed the garbage collector. A request above MAX_REUSED
 * bytes gets a buffer of its own, so one huge batch does not stay allocated.
 */
const MAX_REUSED = 1 << 20;

export class ScratchBuffer {
  private buf: Buffer;
  /** Counts takes: what was written into a buffer taken at generation g is still there while this is g. */
  generation = 0;

  constructor(initialSize: number) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** A buffer of at least `size` bytes, valid until the next take (its bytes are not zeroed). */
  take(size: number): Buffer {
    this.generation++;
    if (size > MAX_REUSED) return Buffer.allocUnsafe(size);
    if (size > this.buf.length) this.buf = Buffer.allocUnsafe(Math.min(MAX_REUSED, size * 2));
    return this.buf;
  }
}
