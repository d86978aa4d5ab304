/**
 * The failures of reactors (and other processes on the runner): KlevdbErrors
 * with codes of their own, as the projections' are. Bad arguments are LogError
 * ERR_INVALID_ARGUMENT, as everywhere else.
 */
import { KlevdbError } from '../storage/index.js';

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A process stopped on an event it gave up on (onFailure: 'stop'), or on a handler that broke its contract. */
export class ProcessFailedError extends KlevdbError<'ERR_PROCESS_FAILED'> {
  constructor(
    readonly process: string,
    /** Source offset of the event: the checkpoint stays right before it, so a restart tries it again. */
    readonly offset: number,
    /** The event's type, when it has one. */
    readonly eventType: string | undefined,
    /** How many times the handler was called for it. */
    readonly attempts: number,
    cause: unknown,
  ) {
    const type = eventType === undefined ? '' : ` (type "${eventType}")`;
    const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
    super(
      'ERR_PROCESS_FAILED',
      `"${process}" stopped at source offset ${offset}${type} after ${tries}: ${describe(cause)}; ` +
        "fix the handler or what it calls and start it again, or use onFailure: 'dead-letter' to record such events and go on",
      { cause },
    );
    this.name = 'ProcessFailedError';
  }
}

/** A wait on a process that will not get there: it is stopped, failed or closed, or the wait timed out or was aborted. */
export class ProcessNotReadyError extends KlevdbError<'ERR_PROCESS_NOT_READY'> {
  constructor(
    readonly process: string,
    readonly state: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('ERR_PROCESS_NOT_READY', `"${process}" is ${state}: ${detail}`, options);
    this.name = 'ProcessNotReadyError';
  }
}
