/**
 * Where a projection reads its events: a log (raw messages, or whatever a
 * `decode` makes of them) or an event store (decoded, upcast events, `$all`
 * order). Both become the same small reader the streams layer pumps, so one
 * runner serves both, with the streams layer's caught-up signal and
 * backpressure.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Event, type EventStore, InvalidEventError, type RecordedEvent } from '../eventstore/index.js';
import type { BlockingLog, Log, Message } from '../storage/index.js';
import { invalidArgument } from '../storage/backend-kit.js';
import type { Consumed, Reader } from '../streams/source.js';

/**
 * One record of a source, as read: a log message, or an event store's event.
 * The source's `decode` turns it into the event apply receives, on demand,
 * so a record that cannot be decoded fails on its own (a poison event at its
 * offset) instead of failing the whole read.
 */
export interface SourceRecord {
  readonly offset: number;
}

const SOURCE = Symbol('klevdb.ProjectionSource');

export interface ProjectionSource<E> extends Reader<SourceRecord> {
  readonly [SOURCE]: true;
  /** The event a record holds; throws for one that cannot be read. */
  decode(record: SourceRecord): E;
  /** Time (ms since the epoch) of the first event at or after `offset`; undefined when there is none. */
  timeAt(offset: number): Promise<number | undefined>;
}

/** What a definition may name as its source. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProjectionSourceInput<E = any> = Log | BlockingLog | EventStore<any> | ProjectionSource<E>;

export interface LogSourceOptions<E> {
  /** Turns a message into the event apply receives (default: the message itself). Throwing makes it a poison event. */
  decode?: (message: Message) => E;
  /** How often a log without blocking consume is polled for new messages, in ms (default 25). */
  pollMs?: number;
}

const isBlocking = (log: Log): log is BlockingLog =>
  typeof (log as Partial<BlockingLog>).consumeBlocking === 'function';

async function firstTime(log: Log, offset: number): Promise<number | undefined> {
  const { messages } = await log.consume(offset, 1);
  return messages[0]?.time.getTime();
}

/** A log as a projection source. A plain Log (no consumeBlocking) is polled once caught up. */
export function logSource<E = Message>(log: Log | BlockingLog, options: LogSourceOptions<E> = {}): ProjectionSource<E> {
  if (!isLog(log)) throw invalidArgument('logSource: log must be a Log or a BlockingLog');
  if (options.decode !== undefined && typeof options.decode !== 'function')
    throw invalidArgument('logSource: options.decode must be a function');
  const pollMs = options.pollMs ?? 25;
  if (typeof pollMs !== 'number' || !Number.isFinite(pollMs) || pollMs <= 0) {
    throw invalidArgument(`logSource: options.pollMs must be a positive number of milliseconds, got ${String(pollMs)}`);
  }
  // Messages go to the runner as they are, not wrapped: a catch-up reads millions.
  const decode = options.decode ?? ((m: Message) => m as unknown as E);
  const read = (offset: number, max: number) => log.consume(offset, max);
  const wait = isBlocking(log)
    ? (offset: number, max: number, signal: AbortSignal) => log.consumeBlocking(offset, max, signal)
    : async (offset: number, max: number, signal: AbortSignal) => {
        for (;;) {
          if ((await log.nextOffset()) > offset) {
            const got = await read(offset, max);
            if (got.messages.length > 0 || got.nextOffset > offset) return got;
          }
          await sleep(pollMs, undefined, { signal });
        }
      };
  return {
    [SOURCE]: true,
    read,
    wait,
    head: () => log.nextOffset(),
    decode: (record) => decode(record as Message),
    timeAt: (offset) => firstTime(log, offset),
  };
}

/**
 * An event store as a projection source: events are read through the store
 * (so upcasters and schemas apply) in `$all` order; the store's log gives the
 * head and wakes the runner when events are appended.
 */
export function eventStoreSource<E extends Event>(
  store: EventStore<E>,
  log?: Log | BlockingLog,
): ProjectionSource<RecordedEvent<E>> {
  if (!isEventStore(store)) throw invalidArgument('eventStoreSource: store must be an EventStore');
  const raw = log ?? (store as { log?: Log }).log;
  if (!isLog(raw)) {
    throw invalidArgument(
      'eventStoreSource: the store has no log (a LogEventStore has one); pass its log as the second argument',
    );
  }
  type StoreRecord = SourceRecord & { event?: RecordedEvent<E>; error?: InvalidEventError };
  const record = (event: RecordedEvent<E>): StoreRecord => ({ offset: event.meta.position, event });
  const read = async (offset: number, max: number): Promise<Consumed<StoreRecord>> => {
    try {
      const { events, nextPosition } = await store.readAll({ fromPosition: offset, maxCount: max });
      return { nextOffset: nextPosition, messages: events.map(record) };
    } catch (err) {
      if (!(err instanceof InvalidEventError) || err.offset === undefined) throw err;
      return readAround(offset, max, err, err.offset);
    }
  };
  /** The valid events before the invalid one, or the invalid one alone, as a poison record. */
  const readAround = async (
    offset: number,
    max: number,
    error: InvalidEventError,
    bad: number,
  ): Promise<Consumed<StoreRecord>> => {
    const { messages } = await raw.consume(offset, max);
    const before = messages.findIndex((m) => m.offset >= bad);
    if (before > 0) return read(offset, before);
    return { nextOffset: bad + 1, messages: [{ offset: bad, error }] };
  };
  const wait = async (offset: number, max: number, signal: AbortSignal) => {
    if (isBlocking(raw)) await raw.consumeBlocking(offset, 1, signal);
    else while ((await raw.nextOffset()) <= offset) await sleep(25, undefined, { signal });
    return read(offset, max);
  };
  const decode = (r: SourceRecord): RecordedEvent<E> => {
    const { event, error } = r as StoreRecord;
    if (error) throw error;
    return event!;
  };
  return {
    [SOURCE]: true,
    read,
    wait,
    head: () => raw.nextOffset(),
    decode,
    timeAt: (offset) => firstTime(raw, offset),
  };
}

/** Any accepted source input as a ProjectionSource; `name` is the argument's name for errors. */
export function toSource<E>(input: unknown, name: string): ProjectionSource<E> {
  if (typeof input === 'object' && input !== null && (input as Partial<ProjectionSource<E>>)[SOURCE] === true) {
    return input as ProjectionSource<E>;
  }
  if (isEventStore(input)) return eventStoreSource(input) as unknown as ProjectionSource<E>;
  if (isLog(input)) return logSource(input) as unknown as ProjectionSource<E>;
  throw invalidArgument(
    `${name} must be a Log, a BlockingLog, an EventStore or a logSource/eventStoreSource, got ${input === null ? 'null' : typeof input}`,
  );
}

function isLog(v: unknown): v is Log {
  const log = v as Partial<Log> | null;
  return (
    typeof log === 'object' && log !== null && typeof log.consume === 'function' && typeof log.nextOffset === 'function'
  );
}

// A store of any event type: EventStore<E> takes E in and out, so no one type fits all.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function isEventStore(v: unknown): v is EventStore<any> {
  const store = v as Partial<EventStore> | null;
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof store.readAll === 'function' &&
    typeof store.subscribeToAll === 'function'
  );
}

/** The `type` of an event that has one. */
export function typeOf(event: unknown): string | undefined {
  const type = (event as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
}
