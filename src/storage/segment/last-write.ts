/**
 * The bytes of a head's last append, still in the writer's reused write
 * buffer: a read of the newest records (a live subscriber's, right after the
 * publish that woke it) copies them from there instead of a pread. The
 * buffer is shared by every log of the process and overwritten by the next
 * append to any of them, so the bytes count only while its generation is the
 * one they were written in; after that, and for anything they do not cover,
 * reads go to the file as before. The caller gets a copy it may change.
 */
import type { ScratchBuffer } from './scratch-buffer.js';

/** Larger appends are not kept: a reader of a whole large batch is not waiting at the head. */
const MAX_KEPT = 64 * 1024;

export class LastWrite {
  private scratch: ScratchBuffer | null = null;
  private buf: Buffer | null = null;
  private generation = -1;
  /** Where in the log file buf[0] was written, and how many bytes. */
  private position = 0;
  private length = 0;

  /** The append just wrote `length` bytes of `buf` (taken from `scratch`) at file `position`. */
  set(scratch: ScratchBuffer, buf: Buffer, position: number, length: number): void {
    if (length > MAX_KEPT) {
      this.clear();
      return;
    }
    this.scratch = scratch;
    this.buf = buf;
    this.generation = scratch.generation;
    this.position = position;
    this.length = length;
  }

  /** Forgets the bytes (the file was closed: a rewrite may replace it). */
  clear(): void {
    this.scratch = null;
    this.buf = null;
  }

  /** A copy of file bytes [start, end) when the last append wrote all of them and its buffer still holds them; else null. */
  copy(start: number, end: number): Buffer | null {
    const buf = this.buf;
    if (buf === null || start < this.position || end > this.position + this.length) return null;
    if (this.scratch!.generation !== this.generation) {
      this.clear();
      return null;
    }
    const out = Buffer.allocUnsafe(end - start);
    buf.copy(out, 0, start - this.position, end - this.position);
    return out;
  }
}
