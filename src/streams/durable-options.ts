// The options of a durable subscription (openSubscription), and their checks.
import { LogError, type Log, type Message } from '../storage/index.js';
import type { LogBatch } from './source.js';

/** Where a subscription starts when it has no committed position (or with `reset: true`). */
export type StartPosition = 'oldest' | 'newest' | { offset: number } | { time: Date };

/**
 * Handles one batch. It must return a promise (be `async`): the batch counts
 * as handled, and its position may be committed, only once that promise
 * resolves. A rejection stops the subscription with that error; nothing of
 * the batch is committed.
 */
export type BatchHandler = (batch: LogBatch<Message>, signal: AbortSignal) => Promise<void>;

/** The source's oldest message is past the committed position: what lay in between was trimmed or deleted. */
export interface SkippedInfo {
  subscription: string;
  /** The committed position (the next offset the subscription would have read). */
  committed: number;
  /** Where it resumes instead: the source's oldest offset. */
  resumedAt: number;
}

export interface WaitOptions {
  /** Give up with ERR_LOCKED after this many ms (default: wait for ever). */
  timeoutMs?: number;
  /** Aborting it gives up with ERR_ABORTED. */
  signal?: AbortSignal;
  /** How often to try the lock again, in ms (default 100). */
  pollMs?: number;
}

export interface SubscriptionOptions {
  /** The subscription's name: its key in the offsets log and its lock file's name. No path separators. */
  name: string;
  /**
   * A directory: the offsets log lives in `<dir>/<name>/` and the lock in
   * `<dir>/<name>.lock` (created as needed, compacted on open and close).
   * Or any Log you opened yourself (a JetStream one, say), keyed by
   * subscription name and opened with a key index; you compact and close it.
   */
  offsets: string | Log;
  /** With a Log as `offsets`: the directory of the lock file. Without it there is no lock. */
  lockDir?: string;
  /** Where to start without a committed position. Default 'oldest'. */
  start?: StartPosition;
  /** Ignore the committed position and start at `start`. Default false. */
  reset?: boolean;
  /** Most messages per batch handed to the handler. Default 100. */
  batchSize?: number;
  /** 'auto' (default): commit after each handled batch. 'manual': only commit() commits. */
  commit?: 'auto' | 'manual';
  /** Another consumer holds the name: false (default) fails with ERR_LOCKED, true or WaitOptions wait for it. */
  wait?: boolean | WaitOptions;
  /** Called when the committed position was trimmed away and the subscription starts at the oldest offset instead. */
  onSkipped?: (info: SkippedInfo) => void;
}

/** Options of one run / one stream of a subscription. */
export interface ConsumeOptions {
  /** false: stop once caught up with the source. Default true. */
  live?: boolean;
  /** Aborting it ends the run (or stream) with ERR_ABORTED. */
  signal?: AbortSignal;
}

export interface StreamConsumeOptions extends ConsumeOptions {
  /** Asynchronous handling with backpressure, before the batch is emitted. */
  handle?: BatchHandler;
}

export interface ResolvedSubscriptionOptions {
  name: string;
  offsets: string | Log;
  lockDir: string | undefined;
  start: StartPosition;
  reset: boolean;
  batchSize: number;
  autoCommit: boolean;
  wait: WaitOptions | undefined;
  onSkipped: ((info: SkippedInfo) => void) | undefined;
}

export const invalidOption = (name: string, why: string): LogError =>
  new LogError('ERR_INVALID_ARGUMENT', `klevdb/streams: subscription option "${name}" ${why}`);

const KNOWN = ['name', 'offsets', 'lockDir', 'start', 'reset', 'batchSize', 'commit', 'wait', 'onSkipped'];
const KNOWN_WAIT = ['timeoutMs', 'signal', 'pollMs'];
const KNOWN_CONSUME = ['live', 'signal', 'handle'];

/** Unknown keys are most often typos (`autoCommit`, `from`): refuse them by name. */
export function rejectUnknown(what: string, options: object, known: string[]): void {
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new LogError(
      'ERR_INVALID_ARGUMENT',
      `klevdb/streams: unknown ${what} option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; known: ${known.join(', ')}`,
    );
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** A name becomes a file name: one path component, printable. */
function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw invalidOption('name', 'must be a non-empty string');
  if (/[/\\\0]/.test(name) || name === '.' || name === '..') {
    throw invalidOption(
      'name',
      `must not contain path separators or be "." / ".." (it names a file), got ${JSON.stringify(name)}`,
    );
  }
  if (Buffer.byteLength(name) > 200) throw invalidOption('name', 'must be at most 200 bytes (it names a file)');
  return name;
}

function checkStart(start: unknown): StartPosition {
  if (start === undefined) return 'oldest';
  if (start === 'oldest' || start === 'newest') return start;
  if (isObject(start) && 'offset' in start) {
    const o = start.offset;
    if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0)
      throw invalidOption('start.offset', `must be an offset (an integer >= 0), got ${String(o)}`);
    return { offset: o };
  }
  if (isObject(start) && 'time' in start) {
    if (!(start.time instanceof Date) || Number.isNaN(start.time.getTime()))
      throw invalidOption('start.time', 'must be a valid Date');
    return { time: start.time };
  }
  throw invalidOption('start', `must be 'oldest', 'newest', { offset } or { time }, got ${JSON.stringify(start)}`);
}

function checkWait(wait: unknown): WaitOptions | undefined {
  if (wait === undefined || wait === false) return undefined;
  if (wait === true) return {};
  if (!isObject(wait)) throw invalidOption('wait', 'must be a boolean or { timeoutMs, signal, pollMs }');
  rejectUnknown('wait', wait, KNOWN_WAIT);
  const { timeoutMs, pollMs, signal } = wait;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)))
    throw invalidOption('wait.timeoutMs', 'must be a number of ms >= 0');
  if (pollMs !== undefined && (typeof pollMs !== 'number' || !(pollMs >= 1)))
    throw invalidOption('wait.pollMs', 'must be a number of ms >= 1');
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw invalidOption('wait.signal', 'must be an AbortSignal');
  return wait as WaitOptions;
}

export function resolveSubscriptionOptions(options: unknown): ResolvedSubscriptionOptions {
  if (!isObject(options))
    throw new LogError(
      'ERR_INVALID_ARGUMENT',
      'klevdb/streams: openSubscription needs options with at least name and offsets',
    );
  rejectUnknown('subscription', options, KNOWN);
  const o = options as Partial<SubscriptionOptions>;
  const name = checkName(o.name);
  const offsets = o.offsets;
  const isLog = isObject(offsets) && ['publish', 'getByKey'].every((m) => typeof offsets[m] === 'function');
  if (typeof offsets !== 'string' && !isLog)
    throw invalidOption('offsets', 'must be a directory or a Log (with publish and getByKey)');
  if (typeof offsets === 'string' && offsets.length === 0)
    throw invalidOption('offsets', 'must be a non-empty directory path');
  if (o.lockDir !== undefined && (typeof o.lockDir !== 'string' || o.lockDir.length === 0))
    throw invalidOption('lockDir', 'must be a directory path');
  if (o.lockDir !== undefined && typeof offsets === 'string')
    throw invalidOption('lockDir', 'is only for a Log as offsets; a directory holds its own lock');
  if (o.reset !== undefined && typeof o.reset !== 'boolean') throw invalidOption('reset', 'must be a boolean');
  const batchSize = o.batchSize ?? 100;
  if (typeof batchSize !== 'number' || !Number.isSafeInteger(batchSize) || batchSize < 1)
    throw invalidOption('batchSize', `must be a positive integer, got ${String(batchSize)}`);
  if (o.commit !== undefined && o.commit !== 'auto' && o.commit !== 'manual')
    throw invalidOption('commit', `must be 'auto' or 'manual', got ${JSON.stringify(o.commit)}`);
  if (o.onSkipped !== undefined && typeof o.onSkipped !== 'function')
    throw invalidOption('onSkipped', 'must be a function');
  return {
    name,
    offsets: offsets as string | Log,
    lockDir: typeof offsets === 'string' ? offsets : o.lockDir,
    start: checkStart(o.start),
    reset: o.reset ?? false,
    batchSize,
    autoCommit: (o.commit ?? 'auto') === 'auto',
    wait: checkWait(o.wait),
    onSkipped: o.onSkipped,
  };
}

export function checkConsumeOptions(options: unknown, allowHandle: boolean): StreamConsumeOptions {
  if (options === undefined) return {};
  if (!isObject(options))
    throw new LogError('ERR_INVALID_ARGUMENT', 'klevdb/streams: run / stream options must be an object');
  rejectUnknown(
    allowHandle ? 'stream' : 'run',
    options,
    allowHandle ? KNOWN_CONSUME : KNOWN_CONSUME.filter((k) => k !== 'handle'),
  );
  const o = options as StreamConsumeOptions;
  if (o.live !== undefined && typeof o.live !== 'boolean') throw invalidOption('live', 'must be a boolean');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw invalidOption('signal', 'must be an AbortSignal');
  if (o.handle !== undefined && typeof o.handle !== 'function')
    throw invalidOption('handle', 'must be an async function');
  return o;
}
