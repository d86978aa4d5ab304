/**
 * The event store's own failures. They are not LogErrors: LogError codes are
 * the storage contract (API.md), and callers of an event store branch on
 * these by class (`instanceof ConcurrencyError` is the retry signal).
 */
import type { ExpectedVersion } from './expected-version.js';

/** An append whose expected version did not match the stream's version: reload and decide again. */
export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(
      `concurrency conflict on stream "${streamId}": expected version ${describeExpected(expected)}, ` +
        `actual version ${actual}; reload the stream and decide again`,
    );
    this.name = 'ConcurrencyError';
  }
}

/**
 * An append of several events of which a log shared by several processes
 * stored only the first `stored`: another process appended to the stream in
 * the middle of it (JetStream before nats-server 2.12 has no atomic batch).
 * Not a conflict to retry: the stream already holds those first events.
 */
export class PartialAppendError extends Error {
  constructor(
    readonly streamId: string,
    readonly stored: number,
    readonly total: number,
  ) {
    super(
      `append to stream "${streamId}" cut short: ${stored} of its ${total} events are stored, ` +
        'then another process appended to the stream; the stream holds the command in part',
    );
    this.name = 'PartialAppendError';
  }
}

/**
 * A command id used again for a different command (another payload, as its
 * fingerprint says): an idempotency key names one command, so a retry must
 * send the same command, and a new command needs a new id. Nothing was written.
 */
export class CommandIdReusedError extends Error {
  readonly code = 'ERR_COMMAND_ID_REUSED';

  constructor(
    readonly streamId: string,
    readonly commandId: string,
    /** The stream version the command's first use appended up to. */
    readonly appliedVersion: number,
  ) {
    super(
      `command id "${commandId}" on stream "${streamId}" was already used for a different command ` +
        `(applied at version ${appliedVersion}); a retry must send the same command, a new command needs a new command id`,
    );
    this.name = 'CommandIdReusedError';
  }
}

/**
 * An event that does not match its declared type: on append (nothing was
 * written) or on read (the stored event at `offset` cannot be used).
 */
export class InvalidEventError extends Error {
  constructor(
    /** The event's type as written, or undefined when the envelope has none. */
    readonly eventType: string | undefined,
    /** Dotted path of the offending field inside the envelope, e.g. `data.amount`. */
    readonly path: string,
    readonly reason: string,
    /** The log offset of the stored event; undefined on append. */
    readonly offset?: number,
    where?: string,
  ) {
    const at = offset !== undefined ? `at offset ${offset}` : (where ?? 'on append');
    const type = eventType === undefined ? 'no type' : `type "${eventType}"`;
    super(`invalid event ${at} (${type}, path "${path}"): ${reason}`);
    this.name = 'InvalidEventError';
  }
}

function describeExpected(expected: ExpectedVersion): string {
  if (expected === 'no-stream') return '"no-stream" (a new stream)';
  if (expected === 'stream-exists') return '"stream-exists"';
  return String(expected);
}
