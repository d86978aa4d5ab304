/**
 * The errors of the whole package. Every error klevdb throws on purpose is a
 * KlevdbError with a stable `code`; each module has its own subclass (the
 * storage layer's is LogError). The codes of all modules are listed here, at
 * the bottom of the dependency graph, so that one union covers them and a
 * `switch (err.code)` narrows; this file imports nothing.
 */

/** What each module throws, by the entry that exports its errors (docs/errors.md). */
export const KLEVDB_ERROR_CODES = {
  /** `klevdb`: LogError, the storage contract of API.md "Errors". */
  storage: [
    'ERR_INVALID_OFFSET',
    'ERR_NOT_FOUND',
    'ERR_NO_INDEX',
    'ERR_READONLY',
    'ERR_CORRUPTED',
    'ERR_LOCKED',
    'ERR_CLOSED',
    'ERR_ABORTED',
    'ERR_INVALID_ARGUMENT',
    'ERR_RANGE',
  ],
  /** `klevdb/eventstore`. */
  eventstore: ['ERR_CONCURRENCY', 'ERR_PARTIAL_APPEND', 'ERR_COMMAND_ID_REUSED', 'ERR_STREAM_GAP', 'ERR_INVALID_EVENT'],
  /** `klevdb/projections`. */
  projections: ['ERR_PROJECTION_NOT_READY', 'ERR_PROJECTION_FAILED'],
  /** `klevdb/processes`: reactors (and workflows). */
  processes: ['ERR_PROCESS_NOT_READY', 'ERR_PROCESS_FAILED'],
  /** `klevdb/jetstream`. */
  jetstream: ['ERR_JETSTREAM', 'ERR_JETSTREAM_API'],
  /** The `klevdb` command and its web inspector (`klevdb ui`). */
  cli: ['ERR_CLI', 'ERR_HTTP'],
  /** Importing a subpath whose optional peer dependency is not installed (the NATS client for `klevdb/jetstream`). */
  peers: ['ERR_MISSING_PEER'],
} as const;

type CodesOf<M extends keyof typeof KLEVDB_ERROR_CODES> = (typeof KLEVDB_ERROR_CODES)[M][number];

/** The kinds of failure the storage layer reports on purpose; see API.md "Errors". */
export type LogErrorCode = CodesOf<'storage'>;
export type EventStoreErrorCode = CodesOf<'eventstore'>;
export type ProjectionErrorCode = CodesOf<'projections'>;
export type ProcessErrorCode = CodesOf<'processes'>;
export type JetStreamErrorCode = CodesOf<'jetstream'>;
export type CliErrorCode = CodesOf<'cli'>;
/** Every code of every KlevdbError. */
export type KlevdbErrorCode = CodesOf<keyof typeof KLEVDB_ERROR_CODES>;

const ALL_CODES: ReadonlySet<string> = new Set(Object.values(KLEVDB_ERROR_CODES).flat());

/**
 * The base class of every error klevdb throws on purpose. Callers branch on
 * `code` (or on the subclass); people read `message`, which names what went
 * wrong and, where it helps, what to do. Failures of the system underneath
 * (a full disk, an I/O error) are Node's own errors with their errno `code`,
 * passed on with what klevdb was doing: they are not KlevdbErrors.
 */
export class KlevdbError<C extends KlevdbErrorCode = KlevdbErrorCode> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KlevdbError';
    this.code = code;
  }
}

/**
 * Whether `err` is an error klevdb threw on purpose, optionally one of `code`.
 * Errors of other libraries are not, even with a `code` field (Node's ENOENT).
 * A `code` that is no klevdb code is a mistake in the caller, so it throws
 * LogError ERR_INVALID_ARGUMENT rather than answer false forever.
 */
export function isKlevdbError<C extends KlevdbErrorCode>(err: unknown, code?: C): err is KlevdbError<C> {
  if (code !== undefined && !ALL_CODES.has(code)) {
    throw invalidArgument(`code must be a klevdb error code (see docs/errors.md), got ${JSON.stringify(code)}`);
  }
  return err instanceof KlevdbError && (code === undefined || err.code === code);
}

/** The storage layer's error (and the one of everything that behaves like a log: JetStream, the in-memory log). */
export class LogError extends KlevdbError<LogErrorCode> {
  constructor(code: LogErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'LogError';
  }
}

export function isLogError(err: unknown, code?: LogErrorCode): err is LogError {
  return err instanceof LogError && (code === undefined || err.code === code);
}

export const invalidArgument = (message: string): LogError => new LogError('ERR_INVALID_ARGUMENT', message);
export const corrupted = (message: string): LogError => new LogError('ERR_CORRUPTED', message);
export const invalidOffset = (message: string): LogError => new LogError('ERR_INVALID_OFFSET', message);
export const notFound = (message: string): LogError => new LogError('ERR_NOT_FOUND', message);

/** The index option a log's files were created with, when an open asked for the other value (see optionMismatch). */
export interface OptionMismatch {
  option: 'timeIndex' | 'keyIndex';
  /** The value the log was created with: the one to open it with. */
  created: boolean;
}

const mismatches = new WeakMap<Error, OptionMismatch>();

/**
 * An index file whose header says the log was created with the other value
 * of `option`: ERR_CORRUPTED as klevdb's errTimesMismatch / errKeysMismatch,
 * worded for open()'s options. A caller that sets these options itself (the
 * event store) finds the mismatch with optionMismatchOf and names its own.
 */
export function optionMismatch(
  file: string,
  option: OptionMismatch['option'],
  created: boolean,
  keyIndexCreated?: boolean,
): LogError {
  const kind = option === 'timeIndex' ? 'times' : 'keys';
  // Both options when both differ (the time index is checked first), so that one retry opens the log.
  const also = keyIndexCreated === undefined ? '' : ` and keyIndex: ${keyIndexCreated}`;
  const err = corrupted(
    `index corrupted: ${file}: ${kind} index mismatch: the log was created with ${option} ${created}; open it with ${option}: ${created}${also} (the options differ from the log's; its files are not damaged)`,
  );
  mismatches.set(err, { option, created });
  return err;
}

/** The option mismatch `err` (or an error it wraps as its cause) reports, if it reports one. */
export function optionMismatchOf(err: unknown): OptionMismatch | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const found = mismatches.get(e);
    if (found) return found;
  }
  return undefined;
}
