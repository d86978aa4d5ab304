/**
 * Read-your-writes: callers waiting until a projection has applied and
 * committed its source through a position (the position of the last event
 * they wrote), in whatever state it is in. The timeout and the AbortSignal
 * are waiting.ts's, as for the waits on catching up.
 */
import { waitFor, type WaitLimits, type Waiter } from './waiting.js';

export class PositionWaiters {
  /** Each waiter and the position it waits for. */
  private readonly waiters = new Map<Waiter, number>();

  constructor(
    /** The next source offset the projection will read: everything before it is committed (-1: nothing yet). */
    private readonly committedNext: () => number,
    /** The error naming the projection's state now, with what could not be done. */
    private readonly notReady: (detail: string, cause?: unknown) => Error,
  ) {}

  /**
   * Resolves once the source is committed through `position`: at once when
   * it is, whatever the state; else it waits, unless `halted` (the
   * projection is stopped or failed, so nothing will move the checkpoint).
   */
  wait(position: number, options: WaitLimits, halted: boolean): Promise<void> {
    if (this.committedNext() > position) return Promise.resolve();
    if (halted) return Promise.reject(this.notReady(`source position ${position} is not committed`));
    const { timeoutMs, signal } = options;
    return waitFor(
      options,
      (waiter) => this.waiters.set(waiter, position),
      (waiter) => this.waiters.delete(waiter),
      () => this.notReady(`${timeoutMs} ms passed before reaching source position ${position}`),
      () => this.notReady(`the wait was aborted before reaching source position ${position}`, signal?.reason),
    );
  }

  /** A commit moved the next source offset to `next`. */
  committed(next: number): void {
    for (const [w, position] of [...this.waiters]) if (next > position) w.resolve();
  }

  /** The projection stopped, failed or closed: nobody gets there by waiting. */
  failAll(): void {
    for (const [w, position] of [...this.waiters])
      w.reject(this.notReady(`it stopped before reaching source position ${position}`));
  }
}
