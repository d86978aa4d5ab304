/**
 * The event store's own failures. They are KlevdbErrors with codes of their
 * own, not LogErrors: LogError codes are the storage contract (API.md).
 * Callers branch on `code` or on the class (`instanceof ConcurrencyError`
 * is the retry signal). Bad arguments are LogError ERR_INVALID_ARGUMENT, as
 * everywhere else in the package.
 */
import { KlevdbError } from '../storage/index.js';

// Beside the type it reports on (expected-version.ts), which cannot import this file back.
export { ConcurrencyError } from './expected-version.js';

/**
 * An append of several events of which a log shared by several processes
 * stored only the first `stored`: another process appended to the stream in
 * the middle of it (JetStream before nats-server 2.12 has no atomic batch).
 * Not a conflict to retry: the stream already holds those first events.
 */
export class PartialAppendError extends KlevdbError<'ERR_PARTIAL_APPEND'> {
  constructor(
    readonly streamId: string,
    readonly stored: number,
    readonly total: number,
  ) {
    super(
      'ERR_PARTIAL_APPEND',
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
export class CommandIdReusedError extends KlevdbError<'ERR_COMMAND_ID_REUSED'> {
  constructor(
    readonly streamId: string,
    readonly commandId: string,
    /** The stream version the command's first use appended up to. */
    readonly appliedVersion: number,
  ) {
    super(
      'ERR_COMMAND_ID_REUSED',
      `command id "${commandId}" on stream "${streamId}" was already used for a different command ` +
        `(applied at version ${appliedVersion}); a retry must send the same command, a new command needs a new command id`,
    );
    this.name = 'CommandIdReusedError';
  }
}

/** A run of versions missing from a stream: from..to, both included. */
export interface MissingVersions {
  from: number;
  to: number;
}

const LISTED_RANGES = 10;

/**
 * A stream whose versions do not run on without a gap: events were deleted
 * from its log (klevdb compact, trim or delete, a JetStream limit). Its
 * state cannot be folded from what is left, and nothing is decided on it.
 */
export class StreamGapError extends KlevdbError<'ERR_STREAM_GAP'> {
  constructor(
    readonly streamId: string,
    /** The missing versions, oldest first; empty when a version came out of order instead. */
    readonly missing: MissingVersions[],
    /** Where the check noticed: the log offset of the first event after a gap. */
    readonly position: number,
    outOfOrder?: { version: number; after: number },
  ) {
    const what = outOfOrder
      ? `has version ${outOfOrder.version} after version ${outOfOrder.after} (at offset ${position})`
      : `is missing ${describeMissing(missing)}`;
    super(
      'ERR_STREAM_GAP',
      `stream "${streamId}" ${what}: its history was deleted from the event log (klevdb compact, trim or delete, ` +
        'or a JetStream limit), so its state cannot be rebuilt; restore the log from a backup',
    );
    this.name = 'StreamGapError';
  }
}

function describeMissing(missing: MissingVersions[]): string {
  const count = missing.reduce((n, r) => n + r.to - r.from + 1, 0);
  const ranges = missing.slice(0, LISTED_RANGES).map((r) => (r.from === r.to ? String(r.from) : `${r.from}..${r.to}`));
  const more = missing.length > LISTED_RANGES ? ` and ${missing.length - LISTED_RANGES} more runs` : '';
  return `${count === 1 ? 'version' : 'versions'} ${ranges.join(', ')}${more}`;
}

/**
 * An event that does not match its declared type: on append (nothing was
 * written) or on read (the stored event at `offset` cannot be used). The
 * message names the type, the field and what to do about it.
 */
export class InvalidEventError extends KlevdbError<'ERR_INVALID_EVENT'> {
  constructor(
    /** The event's type as written, or undefined when the envelope has none. */
    readonly eventType: string | undefined,
    /** Dotted path of the offending field inside the envelope, e.g. `data.amount`; '' for the whole event. */
    readonly path: string,
    readonly reason: string,
    /** The log offset of the stored event; undefined on append. */
    readonly offset?: number,
    where?: string,
    /** What to do about it (the default depends on append or read). */
    todo?: string,
  ) {
    const at = offset !== undefined ? `at offset ${offset}` : (where ?? 'on append');
    const type = eventType === undefined ? 'no type' : `type "${eventType}"`;
    const field = path === '' ? '' : `, field ${path}`;
    const fix =
      todo ??
      (offset === undefined
        ? 'fix the event to match its type (declared with defineEvent)'
        : 'declare a new schema version with an upcaster from the stored one (defineEvent options version and upcasters), or relax the schema');
    super('ERR_INVALID_EVENT', `invalid event ${at} (${type}${field}): ${reason}; ${fix}`);
    this.name = 'InvalidEventError';
  }
}
