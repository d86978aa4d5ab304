/**
 * Read-your-writes: callers waiting until a projection has applied and
 * committed its source up to a position (the position of the last event they
 * wrote). The timeout and the AbortSignal are waiting.ts's, as for the
 * waits on catching up.
 */
import { ProjectionNotReadyError } from './errors.js';
import { waitFor, type WaitLimits, type Waiter } from './waiting.js';

export class PositionWaiters {
  /** Each waiter and the position it waits for. */
  private readonly waiters = new Map<Waiter, number>();

  constructor(
    private readonly name: string,
    /** The next source offset the projection will read: everything before it is committed (-1: nothing yet). */
    private readonly committedNext: () => number,
    /** Where the projection is, for errors. */
    private readonly progress: () => string,
  ) {}

  /** Resolves once the source is committed through `position`; `notReady` is thrown when the projection cannot get there. */
  wait(position: number, options: WaitLimits, notReady: () => Error | undefined): Promise<void> {
    if (this.committedNext() > position) return Promise.resolve();
    const stopped = notReady();
    if (stopped) return Promise.reject(stopped);
    const behind = (why: string): ProjectionNotReadyError =>
      new ProjectionNotReadyError(this.name, 'restoring', `${why} before reaching source position ${position} (${this.progress()})`, { cause: options.signal?.reason });
    return waitFor(
      options,
      (waiter) => this.waiters.set(waiter, position),
      (waiter) => this.waiters.delete(waiter),
      () => behind(`${options.timeoutMs} ms passed`),
      () => behind('the wait was aborted'),
    );
  }

  /** A commit moved the next source offset to `next`. */
  committed(next: number): void {
    for (const [w, position] of [...this.waiters]) if (next > position) w.resolve();
  }

  /** The projection stopped, failed or closed: nobody gets there by waiting. */
  failAll(err: Error): void {
    for (const w of [...this.waiters.keys()]) w.reject(err);
  }
}
