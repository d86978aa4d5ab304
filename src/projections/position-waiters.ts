/**
 * Read-your-writes: callers waiting until a projection has applied and
 * committed its source up to a position (the position of the last event they
 * wrote). Kept apart from the projection so the waiting, its timeout and its
 * cancellation live in one place.
 */
import { ProjectionNotReadyError } from './errors.js';

interface Waiter {
  position: number;
  resolve(): void;
  reject(err: Error): void;
}

export interface PositionWait {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class PositionWaiters {
  private readonly waiters = new Set<Waiter>();

  constructor(
    private readonly name: string,
    /** The next source offset the projection will read: everything before it is committed (-1: nothing yet). */
    private readonly committedNext: () => number,
    /** Where the projection is, for errors. */
    private readonly progress: () => string,
  ) {}

  /** Resolves once the source is committed through `position`; `notReady` is thrown when the projection cannot get there. */
  wait(position: number, options: PositionWait, notReady: () => Error | undefined): Promise<void> {
    if (this.committedNext() > position) return Promise.resolve();
    const stopped = notReady();
    if (stopped) return Promise.reject(stopped);
    return new Promise<void>((resolve, reject) => {
      const { timeoutMs, signal } = options;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        position,
        resolve: () => (done(), resolve()),
        reject: (err) => (done(), reject(err)),
      };
      const behind = (why: string): ProjectionNotReadyError =>
        new ProjectionNotReadyError(this.name, 'restoring', `${why} before reaching source position ${position} (${this.progress()})`, { cause: signal?.reason });
      const onAbort = (): void => waiter.reject(behind('the wait was aborted'));
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => waiter.reject(behind(`${timeoutMs} ms passed`)), timeoutMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** A commit moved the next source offset to `next`. */
  committed(next: number): void {
    for (const w of [...this.waiters]) if (next > w.position) w.resolve();
  }

  /** The projection stopped, failed or closed: nobody gets there by waiting. */
  failAll(err: Error): void {
    for (const w of [...this.waiters]) w.reject(err);
  }
}
