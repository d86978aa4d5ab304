/**
 * What a reactor is, checked once: its name, source, the event types it
 * handles, its handler and key, and how it retries, fails and runs in
 * parallel. Every failure is LogError ERR_INVALID_ARGUMENT naming the option.
 */
import {
  handledTypes,
  toSource,
  typeOf,
  type ProjectionSource,
  type ProjectionSourceInput,
} from '../projections/backend-kit.js';
import { describeValue, invalidArgument } from '../storage/backend-kit.js';

/**
 * What the handler gets with each event. Read its fields by name or
 * destructure them: `key` and `idempotencyKey` are made when read (getters),
 * so a spread copy (`{ ...context }`) lacks them; JSON.stringify shows all.
 */
export interface ReactorContext {
  /**
   * The same for every try and every replay of this event: the event id
   * (meta.eventId) for an event store's events, else `<reactor name>:<offset>`.
   * Pass it on (as a command id, an idempotency header) so a side effect
   * done before a crash is not done twice.
   */
  readonly idempotencyKey: string;
  /** The event's source offset. */
  readonly offset: number;
  /** The event's key: events of one key are handled one at a time, in order. */
  readonly key: string;
  /** 1 on the first try. */
  readonly attempt: number;
  /** Aborted when the reactor stops or closes: give up; the event is handled again on the next start. */
  readonly signal: AbortSignal;
}

export interface RetryOptions {
  /** Tries per event before onFailure applies (default 5; 1: no retry). */
  maxAttempts?: number;
  /** The wait before the second try, in ms (default 100); */
  initialDelayMs?: number;
  /** multiplied by this before each further try (default 2), */
  factor?: number;
  /** up to this many ms (default 30,000). */
  maxDelayMs?: number;
}

// Events are whatever the source yields: decoded messages, recorded events.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ReactorDefinition<E = any> {
  /** Names where its checkpoint lives, so letters, digits, '.', '_' and '-' only. */
  readonly name: string;
  /** A Log, a BlockingLog, an EventStore, or a logSource / eventStoreSource. */
  readonly source: ProjectionSourceInput<E>;
  /** Event types (names, or event types from defineEvent) to handle; others are passed over. Default: all. */
  readonly handles?: readonly (string | { readonly type: string })[];
  /** The side effect. Must return a promise: the event counts as handled when it resolves. */
  handle(event: E, context: ReactorContext): Promise<void>;
  /**
   * Events of one key are handled in order, one at a time; different keys
   * concurrently. Default: the stream id (event store), the message key
   * (log; messages without a key share one), else one key for all.
   */
  key?(event: E): string;
  /** Handlers running at once, each for another key (default 1: every event in order). */
  readonly concurrency?: number;
  readonly retry?: RetryOptions;
  /** After maxAttempts failures: 'stop' (default: the reactor fails, the checkpoint stays before the event) or 'dead-letter' (recorded, and passed over). */
  readonly onFailure?: 'stop' | 'dead-letter';
  /** Where a reactor with no checkpoint yet starts: the oldest event (default) or the source's current end. */
  readonly startAt?: 'beginning' | 'end';
  /** Most events per source read (default 1000). */
  readonly batchSize?: number;
  /** fdatasync each checkpoint and dead letter (default false: a crash of the process is safe, a power loss may replay events). */
  readonly sync?: boolean;
}

/** A definition checked and bound, as the reactor uses it. */
export interface ResolvedReactor<E> {
  readonly name: string;
  readonly source: ProjectionSource<E>;
  handles(event: E): boolean;
  handle(event: E, context: ReactorContext): unknown;
  key(event: E): unknown;
  /** key is the definition's own (else the default, which never throws). */
  readonly customKey: boolean;
  idempotencyKey(event: E, offset: number): string;
  readonly concurrency: number;
  readonly retry: Required<RetryOptions>;
  readonly onFailure: 'stop' | 'dead-letter';
  readonly startAt: 'beginning' | 'end';
  readonly batchSize: number;
  readonly sync: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const FIELDS = new Set([
  'name',
  'source',
  'handles',
  'handle',
  'key',
  'concurrency',
  'retry',
  'onFailure',
  'startAt',
  'batchSize',
  'sync',
]);
const RETRY_FIELDS = new Set(['maxAttempts', 'initialDelayMs', 'factor', 'maxDelayMs']);

function unknownFields(o: object, known: Set<string>, arg: string): void {
  for (const field of Object.keys(o)) {
    if (!known.has(field))
      throw invalidArgument(`${arg}.${field} is not an option; the options are ${[...known].join(', ')}`);
  }
}

function integer(arg: string, v: unknown, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    throw invalidArgument(`${arg} must be an integer >= ${min}, got ${describeValue(v)}`);
  return v;
}

function number(arg: string, v: unknown, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
    throw invalidArgument(`${arg} must be a number >= ${min}, got ${describeValue(v)}`);
  return v;
}

function oneOf<T extends string>(arg: string, v: unknown, values: readonly T[]): T {
  if (v === undefined) return values[0]!;
  if (!values.includes(v as T))
    throw invalidArgument(`${arg} must be ${values.map((x) => `'${x}'`).join(' or ')}, got ${describeValue(v)}`);
  return v as T;
}

function resolveRetry(retry: unknown, arg: string): Required<RetryOptions> {
  if (retry === undefined) retry = {};
  if (typeof retry !== 'object' || retry === null)
    throw invalidArgument(`${arg} must be an object, got ${describeValue(retry)}`);
  unknownFields(retry, RETRY_FIELDS, arg);
  const r = retry as RetryOptions;
  const initialDelayMs = number(`${arg}.initialDelayMs`, r.initialDelayMs, 100, 0);
  const maxDelayMs = number(`${arg}.maxDelayMs`, r.maxDelayMs, Math.max(30_000, initialDelayMs), 0);
  if (maxDelayMs < initialDelayMs)
    throw invalidArgument(`${arg}.maxDelayMs (${maxDelayMs}) must be at least initialDelayMs (${initialDelayMs})`);
  return {
    maxAttempts: integer(`${arg}.maxAttempts`, r.maxAttempts, 5, 1),
    initialDelayMs,
    factor: number(`${arg}.factor`, r.factor, 2, 1),
    maxDelayMs,
  };
}

/** The default key: a recorded event's stream, a message's key, else one key for all. */
function defaultKey(event: unknown): string {
  const e = event as { meta?: { streamId?: unknown }; key?: unknown } | null;
  const stream = e?.meta?.streamId;
  if (typeof stream === 'string') return stream;
  const key = e?.key;
  if (Buffer.isBuffer(key)) return key.toString('latin1');
  return typeof key === 'string' ? key : '';
}

export function resolveReactor<E>(definition: ReactorDefinition<E>, arg = 'definition'): ResolvedReactor<E> {
  if (typeof definition !== 'object' || definition === null)
    throw invalidArgument(`${arg} must be a reactor definition object, got ${describeValue(definition)}`);
  unknownFields(definition, FIELDS, arg);
  const d = definition;
  if (typeof d.name !== 'string' || !NAME.test(d.name)) {
    throw invalidArgument(
      `${arg}.name must be 1 to 100 letters, digits, '.', '_' or '-' (no path separators: it names where the checkpoint lives), got ${typeof d.name === 'string' ? JSON.stringify(d.name) : describeValue(d.name)}`,
    );
  }
  const name = d.name;
  if (typeof d.handle !== 'function')
    throw invalidArgument(
      `${arg}.handle must be an async function (event, context) => Promise<void> (reactor "${name}")`,
    );
  if (d.key !== undefined && typeof d.key !== 'function')
    throw invalidArgument(`${arg}.key must be a function (event) => string when given (reactor "${name}")`);
  const types = handledTypes(d.handles, arg);
  return {
    name,
    source: toSource<E>(d.source, `${arg}.source`),
    handles: types === undefined ? () => true : (event) => types.has(typeOf(event) as string),
    handle: (event, context) => d.handle(event, context),
    key: d.key === undefined ? defaultKey : (event) => d.key!(event),
    customKey: d.key !== undefined,
    idempotencyKey: (event, offset) => {
      const id = (event as { meta?: { eventId?: unknown } } | null)?.meta?.eventId;
      return typeof id === 'string' ? id : `${name}:${offset}`;
    },
    concurrency: integer(`${arg}.concurrency`, d.concurrency, 1, 1),
    retry: resolveRetry(d.retry, `${arg}.retry`),
    onFailure: oneOf(`${arg}.onFailure`, d.onFailure, ['stop', 'dead-letter'] as const),
    startAt: oneOf(`${arg}.startAt`, d.startAt, ['beginning', 'end'] as const),
    batchSize: integer(`${arg}.batchSize`, d.batchSize, 1000, 1),
    sync: d.sync === undefined ? false : checkBoolean(`${arg}.sync`, d.sync),
  };
}

function checkBoolean(arg: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalidArgument(`${arg} must be a boolean, got ${describeValue(v)}`);
  return v;
}
