/**
 * A blue/green rebuild: a new generation is fed from the source's oldest
 * event beside the live one, which keeps answering queries and following
 * the source. The moment the new one has caught up it is promoted (the
 * pointer file switches to it, the old generation stops and is deleted); a
 * failure or a stop before that deletes the new one and leaves the live one
 * as it was.
 */
import { ProjectionNotReadyError } from './errors.js';
import type { Slot } from './slot.js';

export interface RebuildHost<S, E> {
  readonly name: string;
  promote(slot: Slot<S, E>): Promise<void>;
  discard(slot: Slot<S, E>): Promise<void>;
  /** Called once the rebuild is over, however it ended. */
  done(): void;
}

export class Rebuild<S, E> {
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (err: unknown) => void;
  /** Set once the rebuild is switching or being dropped: from then on it ends only that way. */
  private ending: Promise<void> | undefined;

  constructor(
    readonly slot: Slot<S, E>,
    private readonly host: RebuildHost<S, E>,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // The caller may not wait for the outcome; an abandoned rebuild is no unhandled error.
    this.done.catch(() => undefined);
    slot.role = {
      committed: () => undefined,
      caughtUp: () => void this.end(() => host.promote(slot), undefined),
      failed: (error) => void this.end(() => host.discard(slot), error),
    };
  }

  /** Stops the rebuild and deletes its generation, unless it is already switching (then waits for that). */
  async abandon(): Promise<void> {
    const stopped = new ProjectionNotReadyError(
      this.host.name,
      'stopped',
      'the rebuild was abandoned because the projection was stopped',
    );
    await this.end(() => this.host.discard(this.slot), stopped);
  }

  /** Runs `step` (promote or discard) once; the rebuild then resolves, or rejects with `error`. */
  private end(step: () => Promise<void>, error: unknown): Promise<void> {
    this.ending ??= step().then(
      () => {
        this.host.done();
        if (error === undefined) this.resolve();
        else this.reject(error);
      },
      (err: unknown) => {
        this.host.done();
        this.reject(err);
      },
    );
    return this.ending;
  }
}
