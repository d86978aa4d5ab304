/**
 * When a projection may answer, and what it says when it may not: its
 * lifecycle (restoring, running, ...) and the read-your-writes waits on
 * positions, over the generation in use.
 *
 * - A query or wait with a position (`upTo`, `waitFor`) answers once the
 *   generation in use has committed that position, in any state but closed:
 *   restoring, running (also during a rebuild), and stopped or failed when
 *   it got there before. Short of it, a stopped or failed projection fails
 *   at once (nothing will move it on); one restoring or running waits.
 * - A query without a position answers once the projection runs; while it
 *   restores, it fails or waits as `whileRestoring` says.
 * Every error is a ProjectionNotReadyError naming the state the projection
 * is in when it is thrown, and how far it has committed.
 */
import { invalidArgument } from '../storage/backend-kit.js';
import type { Generation } from './generation.js';
import { Lifecycle } from './lifecycle.js';
import { resolveQueryOptions, type QueryOptions } from './options.js';
import { PositionWaiters } from './position-waiters.js';
import type { WaitLimits } from './waiting.js';

export class Readiness<S> {
  readonly lifecycle: Lifecycle;
  private readonly positions: PositionWaiters;

  constructor(
    name: string,
    /** The generation in use, once opened. */
    private readonly live: () => Generation<S> | undefined,
    /** The generation a rebuild under way fills, if one is. */
    private readonly rebuildingInto: () => number | undefined,
  ) {
    this.lifecycle = new Lifecycle(
      name,
      () => this.progress(),
      () => this.positions.failAll(),
    );
    this.positions = new PositionWaiters(
      () => this.committedNext(),
      (detail, cause) => this.lifecycle.notReady(detail, cause),
    );
  }

  /** The next source offset the generation in use reads: everything before it is committed (-1: nothing yet). */
  committedNext(): number {
    return this.live()?.checkpoint?.next ?? -1;
  }

  /** The generation in use committed through `next` (a commit, or a rebuild's switch): a catch-up may be over, waiters answered. */
  committed(next: number): void {
    this.lifecycle.committed(next);
    this.positions.committed(next);
  }

  /** Resolves once caught up (running); see Projection.whenRunning. */
  whenRunning(options: unknown): Promise<void> {
    return this.checked(() => this.lifecycle.wait(resolveQueryOptions(options, 'wait', 'whenRunning: options')));
  }

  /** Resolves once the generation in use has committed `position`; see Projection.waitFor. */
  waitFor(position: unknown, options: unknown): Promise<void> {
    return this.checked(() => {
      if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
        throw invalidArgument(`waitFor: position must be an integer >= 0 (a source offset), got ${String(position)}`);
      }
      return this.reached(position, resolveQueryOptions(options, 'wait', 'waitFor: options'));
    });
  }

  /** The generation a query reads, once it may answer (see above). */
  async answering(query: QueryOptions): Promise<Generation<S>> {
    const { upTo, timeoutMs, signal } = query;
    if (upTo === undefined) {
      await this.lifecycle.ready(query);
      return this.live()!;
    }
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    for (;;) {
      await this.reached(upTo, {
        signal,
        timeoutMs: deadline === undefined ? undefined : Math.max(0, deadline - Date.now()),
      });
      // Checked again now: a rebuild may have switched to a generation not that far yet (then it waits for that one).
      const gen = this.live()!;
      if ((gen.checkpoint?.next ?? -1) > upTo) return gen;
    }
  }

  private reached(position: number, limits: WaitLimits): Promise<void> {
    const { state, closed } = this.lifecycle;
    if (closed) return Promise.reject(this.lifecycle.notReady());
    return this.positions.wait(position, limits, state === 'stopped' || state === 'failed');
  }

  /** Where the projection is, for errors. */
  private progress(): string {
    const next = this.committedNext();
    const target = this.lifecycle.restoringTo;
    const rebuilding = this.rebuildingInto();
    let where = next <= 0 ? 'nothing committed yet' : `committed through source offset ${next - 1}`;
    if (target !== undefined) where += `, catching up to ${target - 1}`;
    if (rebuilding !== undefined) where += `; rebuilding into generation ${rebuilding}`;
    return where;
  }

  /** Bad arguments reject the promise, as the waits do, rather than throw. */
  private checked(wait: () => Promise<void>): Promise<void> {
    try {
      return wait();
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
