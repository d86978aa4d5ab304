/**
 * A projection's lifecycle state, when a catch-up is over, and the queries
 * waiting for that. Kept apart from the projection so the rules live in one
 * place: what `restoring` and `running` mean, and which state an error names.
 */
import { ProjectionNotReadyError, describe } from './errors.js';
import type { QueryOptions } from './options.js';
import type { ProjectionState } from './status.js';
import { waitFor, type Waiter, type WaitLimits } from './waiting.js';

export class Lifecycle {
  state: ProjectionState = 'stopped';
  error: Error | undefined;
  closed = false;
  /**
   * While restoring: the source offset a commit must reach to end the
   * catch-up (the source's end when the projection started; Infinity until
   * that is known).
   */
  private target = Infinity;
  private readonly waiters = new Set<Waiter>();

  constructor(
    private readonly name: string,
    /** Where the projection is, for errors. */
    private readonly progress: () => string,
    /** Told when the projection stops, fails or closes (after the state changed). */
    private readonly halted: () => void = () => {},
  ) {}

  /** The source's end while restoring, or undefined. */
  get restoringTo(): number | undefined {
    return this.state === 'restoring' && Number.isFinite(this.target) ? this.target : undefined;
  }

  /** `error`: why it failed, which callers get as the cause of ProjectionNotReadyError (a non-Error thrown by user code is wrapped in a plain Error). */
  set(state: ProjectionState, error?: Error): void {
    this.state = state;
    this.error = error;
    if (state === 'restoring') return;
    this.target = Infinity;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) {
      if (state === 'running') w.resolve();
      else w.reject(this.notReady());
    }
    if (state !== 'running') this.halted();
  }

  /** The catch-up ends once a commit reaches `target` (the source's end at start); `committed` is where the checkpoint is now. */
  restoreTo(target: number, committed: number): void {
    if (this.state !== 'restoring') return;
    this.target = target;
    this.committed(committed);
  }

  /** A commit moved the checkpoint to `next`: at or past the target, the catch-up is over. */
  committed(next: number): void {
    if (this.state === 'restoring' && next >= this.target) this.set('running');
  }

  /** The pump read to the source's end (which may come before a commit reaches the target, if events were removed). */
  caughtUp(): void {
    if (this.state === 'restoring') this.set('running');
  }

  close(): void {
    this.closed = true;
    this.set('stopped');
  }

  /**
   * A query without upTo may answer: at once when running; while restoring
   * it fails or waits, as `whileRestoring` says; stopped, failed or closed
   * it fails.
   */
  async ready(options: QueryOptions): Promise<void> {
    if (this.state === 'restoring' && !this.closed && options.whileRestoring !== 'wait') {
      throw this.notReady(
        "still catching up; query with upTo: <the position you need> to answer once the projection has committed it, or whileRestoring: 'wait' to wait until it has caught up",
      );
    }
    await this.wait(options);
  }

  /** Resolves when the projection is running; rejects when it stops or fails first, or after timeoutMs. */
  wait(options: WaitLimits = {}): Promise<void> {
    if (this.state === 'running' && !this.closed) return Promise.resolve();
    if (this.state !== 'restoring' || this.closed) return Promise.reject(this.notReady());
    const { timeoutMs, signal } = options;
    return waitFor(
      options,
      (waiter) => this.waiters.add(waiter),
      (waiter) => this.waiters.delete(waiter),
      () => this.notReady(`not caught up within ${timeoutMs} ms`),
      () => this.notReady('the wait for the catch-up was aborted', signal?.reason),
    );
  }

  /**
   * The error naming the state the projection is in now (closed, failed,
   * stopped, restoring or running) and where it is: `detail` says what could
   * not be done, and in a state that will not move on its own, what to do.
   */
  notReady(detail?: string, cause?: unknown): ProjectionNotReadyError {
    const error = (state: ProjectionState | 'closed', message: string, why = cause) =>
      new ProjectionNotReadyError(this.name, state, message, { cause: why });
    if (this.closed) {
      const closed = 'its runner was closed; add it to a new ProjectionRunner and start that to query it';
      return error('closed', detail === undefined ? closed : `${detail}: ${closed}`);
    }
    const where = detail === undefined ? this.progress() : `${detail} (${this.progress()})`;
    switch (this.state) {
      case 'failed':
        return error(
          'failed',
          `${detail === undefined ? '' : `${where}: `}${describe(this.error)}`,
          cause ?? this.error,
        );
      case 'stopped':
        return error(
          'stopped',
          `${where}; start it to query it: a stopped projection does not follow its source, so its state could be stale`,
        );
      default:
        return error(this.state, where);
    }
  }
}
