import { LogError, OffsetOldest } from '../storage/index.js';

/**
 * Called with every value before it is emitted. The stream reads nothing
 * further until the returned promise settles, so a slow handler slows the
 * reads instead of piling messages up in memory. The signal fires when the
 * subscription ends, so long work can stop early.
 */
export type Handler<T> = (value: T, signal: AbortSignal) => Promise<void> | void;

export interface StreamOptions<T> {
  /** OffsetOldest (default), OffsetNewest, or the offset to start at. */
  offset?: number;
  /** Most messages per read; also the most a subscription holds at once. Default 1000. */
  batchSize?: number;
  /** false: complete once caught up instead of waiting for new messages. Default true. */
  live?: boolean;
  /** Aborting it ends the stream with LogError ERR_ABORTED. */
  signal?: AbortSignal;
  /** Asynchronous handling with backpressure; see Handler. */
  handle?: Handler<T>;
}

/** Stream options for a raw log: `key` keeps only the messages with that key. */
export interface LogStreamOptions<T> extends StreamOptions<T> {
  key?: Uint8Array | string;
}

/** Stream options for a typed log: `key`/`keyEmpty` as in TLog.consumeByKey. */
export interface TypedStreamOptions<K, T> extends StreamOptions<T> {
  key?: K;
  keyEmpty?: boolean;
}

export interface ToLogOptions {
  /** Publish once this many values are buffered. Default 1000. */
  maxCount?: number;
  /** Publish at the latest this many ms after the first buffered value. Default 10. */
  maxWait?: number;
}

export interface ResolvedStreamOptions<T> {
  offset: number;
  batchSize: number;
  live: boolean;
  signal: AbortSignal | undefined;
  handle: Handler<T> | undefined;
}

const invalid = (name: string, why: string): LogError =>
  new LogError('ERR_INVALID_ARGUMENT', `klevdb/streams: option "${name}" ${why}`);

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    // Echoes the bad value as given (options here are numbers or mistyped primitives).
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
    throw invalid(name, `must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function resolveStreamOptions<T>(options: StreamOptions<T> | undefined): ResolvedStreamOptions<T> {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new LogError('ERR_INVALID_ARGUMENT', 'klevdb/streams: options must be an object');
  }
  const o = options ?? {};
  const offset = o.offset ?? OffsetOldest;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < OffsetOldest) {
    throw invalid('offset', `must be an integer >= ${OffsetOldest} (OffsetOldest), got ${String(offset)}`);
  }
  if (o.live !== undefined && typeof o.live !== 'boolean') throw invalid('live', 'must be a boolean');
  if (o.handle !== undefined && typeof o.handle !== 'function') throw invalid('handle', 'must be a function');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalid('signal', 'must be an AbortSignal');
  return {
    offset,
    batchSize: positiveInteger('batchSize', o.batchSize, 1000),
    live: o.live ?? true,
    signal: o.signal,
    handle: o.handle,
  };
}

export function validateRawKey(key: unknown): void {
  if (key !== undefined && typeof key !== 'string' && !(key instanceof Uint8Array)) {
    throw invalid('key', 'must be a string or a Uint8Array');
  }
}

export function validateKeyEmpty(keyEmpty: unknown): void {
  if (keyEmpty !== undefined && typeof keyEmpty !== 'boolean') throw invalid('keyEmpty', 'must be a boolean');
}

/** A log-like argument must have the methods a stream calls on it; checked before anything subscribes. */
export function validateLogArgument(name: string, log: unknown, methods: string[]): void {
  const missing =
    typeof log === 'object' && log !== null
      ? methods.filter((m) => typeof (log as Record<string, unknown>)[m] !== 'function')
      : methods;
  if (missing.length > 0) {
    throw new LogError(
      'ERR_INVALID_ARGUMENT',
      `klevdb/streams: ${name} must be a log with ${methods.join(', ')} (missing ${missing.join(', ')}); open it with openBlocking / openTypedBlocking`,
    );
  }
}

/** setTimeout's largest delay; a longer maxWait would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function resolveToLogOptions(options: ToLogOptions | undefined): Required<ToLogOptions> {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new LogError('ERR_INVALID_ARGUMENT', 'klevdb/streams: toLog options must be an object');
  }
  const o = options ?? {};
  const maxWait = o.maxWait ?? 10;
  if (typeof maxWait !== 'number' || !Number.isFinite(maxWait) || maxWait < 0 || maxWait > MAX_TIMER_MS) {
    throw invalid('maxWait', `must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${String(maxWait)}`);
  }
  return { maxCount: positiveInteger('maxCount', o.maxCount, 1000), maxWait };
}
