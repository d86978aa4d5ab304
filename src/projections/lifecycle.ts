/**
 * A projection's lifecycle state and the queries waiting on it. Kept apart
 * from the projection so the rule "answer only from a running projection"
 * lives in one place: everything else asks `ready()`.
 */
import { ProjectionNotReadyError, describe } from './errors.js';
import type { QueryOptions } from './options.js';
import type { ProjectionState } from './status.js';
import { waitFor, type Waiter } from './waiting.js';

export class Lifecycle {
  state: ProjectionState = 'stopped';
  error: Error | undefined;
  closed = false;
  private readonly waiters = new Set<Waiter>();

  constructor(
    private readonly name: string,
    /** Where the projection is, for the error a caller that will not wait gets. */
    private readonly progress: () => string,
    /** Told when the projection stops, fails or closes, with the error waiting callers get. */
    private readonly halted: (err: Error) => void = () => {},
  ) {}

  set(state: ProjectionState, error?: Error): void {
    this.state = state;
    this.error = error;
    if (state === 'restoring') return;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) {
      if (state === 'running') w.resolve();
      else w.reject(this.notReady());
    }
    if (state !== 'running') this.halted(this.notReady());
  }

  close(): void {
    this.closed = true;
    this.set('stopped');
  }

  /** Resolves when the projection is running; fails at once or waits, as the options say, while it restores. */
  async ready(options: QueryOptions): Promise<void> {
    if (this.state === 'running' && !this.closed) return;
    if (this.state !== 'restoring' || this.closed) throw this.notReady();
    if (options.whileRestoring !== 'wait') {
      throw new ProjectionNotReadyError(
        this.name,
        'restoring',
        `still catching up (${this.progress()}); query with whileRestoring: 'wait' to wait until it has caught up`,
      );
    }
    await this.wait(options);
  }

  /** Resolves when the projection is running; rejects when it stops or fails first, or after timeoutMs. */
  wait(options: QueryOptions = {}): Promise<void> {
    if (this.state === 'running' && !this.closed) return Promise.resolve();
    if (this.state !== 'restoring' || this.closed) return Promise.reject(this.notReady());
    const { timeoutMs, signal } = options;
    return waitFor(
      options,
      (waiter) => this.waiters.add(waiter),
      (waiter) => this.waiters.delete(waiter),
      () => new ProjectionNotReadyError(this.name, 'restoring', `not caught up within ${timeoutMs} ms (${this.progress()})`),
      () => new ProjectionNotReadyError(this.name, 'restoring', 'the wait was aborted', { cause: signal?.reason }),
    );
  }

  notReady(): ProjectionNotReadyError {
    if (this.closed) return new ProjectionNotReadyError(this.name, 'closed', 'the projection is closed');
    if (this.state === 'failed') return new ProjectionNotReadyError(this.name, 'failed', describe(this.error), { cause: this.error });
    if (this.state === 'restoring') return new ProjectionNotReadyError(this.name, 'restoring', this.progress());
    return new ProjectionNotReadyError(
      this.name,
      this.state,
      'start it to query it (a stopped projection does not follow its source, so its state could be stale)',
    );
  }
}
