/**
 * The projection layer's own failures. Like the event store's errors they are
 * KlevdbErrors with codes of their own, not LogErrors: LogError codes are the
 * storage contract (API.md). Callers branch on `code` or with instanceof. Bad
 * arguments are still LogError ERR_INVALID_ARGUMENT, as everywhere else.
 */
import { KlevdbError } from '../storage/index.js';
import type { ProjectionState } from './status.js';

/**
 * A query that cannot be answered truthfully now: the projection is still
 * catching up (and the caller chose not to wait), or it is stopped, failed
 * or closed, so its state would be stale without anyone saying so.
 */
export class ProjectionNotReadyError extends KlevdbError<'ERR_PROJECTION_NOT_READY'> {
  constructor(
    readonly projection: string,
    readonly state: ProjectionState | 'closed',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('ERR_PROJECTION_NOT_READY', `projection "${projection}" is ${state}: ${detail}`, options);
    this.name = 'ProjectionNotReadyError';
  }
}

/** The projection stopped on an event it could not process (the default poison-event policy). */
export class ProjectionFailedError extends KlevdbError<'ERR_PROJECTION_FAILED'> {
  constructor(
    readonly projection: string,
    /** Source offset of the event: the checkpoint stops right before it, so a restart retries it. */
    readonly offset: number,
    /** The event's type, when the event could be read at all. */
    readonly eventType: string | undefined,
    cause: unknown,
  ) {
    const type = eventType === undefined ? '' : ` (type "${eventType}")`;
    super(
      'ERR_PROJECTION_FAILED',
      `projection "${projection}" failed at source offset ${offset}${type}: ${describe(cause)}; ` +
        "fix the projection or the event and restart it, or run it with onError: 'skip' to record such events as dead letters",
      { cause },
    );
    this.name = 'ProjectionFailedError';
  }
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
