/** The options of an event store over a log (openEventStore, inMemoryEventStore), their check, and what an open says of a mismatch. */
import { LogError } from '../storage/index.js';
import { optionMismatchOf, refuseUnknownKeys } from '../storage/backend-kit.js';
import { checkCount } from './arguments.js';
import type { AnyEventType } from './event-type.js';
import { EventRegistry } from './registry.js';

export interface EventStoreOptions<Types extends readonly AnyEventType[] = readonly AnyEventType[]> {
  /** The event types the store accepts and reads. Without them, data is neither validated nor upcast. */
  events?: Types;
  /**
   * How many streams' versions and command ids stay in memory (default
   * 100,000; ids: 100 times as many in all, or one stream's, however many);
   * the rest is re-read from the log. 0 when another process
   * writes the log (a readonly log that follows a writer): then nothing is cached.
   */
  cachedStreams?: number;
  /** How many recent events stay decoded in memory for reloads (default 100,000; 0: none); one stream keeps at most a tenth of them (at least 1,000). */
  cachedEvents?: number;
}

const NAMES = ['events', 'cachedStreams', 'cachedEvents', 'log'];

/** A misspelt option would silently change the store (evnts: no validation at all): refused, naming it. */
export function checkStoreOptions(options: object): void {
  refuseUnknownKeys(options, NAMES, 'options', ' of the event store');
}

/** The store's own options, checked: the event types and the cache sizes. */
export function storeSettings(options: EventStoreOptions): {
  registry: EventRegistry;
  streams: number;
  cachedEvents: number;
} {
  checkStoreOptions(options);
  const registry = new EventRegistry(options.events);
  const streams = checkCount('cachedStreams', options.cachedStreams ?? 100_000);
  const cachedEvents = streams === 0 ? 0 : checkCount('cachedEvents', options.cachedEvents ?? 100_000);
  return { registry, streams, cachedEvents };
}

/**
 * Storage's option mismatch (ERR_CORRUPTED, as klevdb's) worded for
 * openEventStore, whose `log` option holds the index options: storage names
 * open()'s own. A log without a key index is no event store's log at all.
 */
export const rethrowOptionMismatch =
  (dir: string) =>
  (err: unknown): never => {
    const mismatch = optionMismatchOf(err);
    if (!mismatch) throw err;
    const message =
      mismatch.option === 'keyIndex'
        ? `openEventStore: the log in ${dir} was created without a key index (keyIndex: false), which an event store needs: it is not an event store's log; read it with open() from klevdb and keyIndex: false`
        : `openEventStore: the log in ${dir} was created with timeIndex ${mismatch.created}; open it with openEventStore(dir, { log: { timeIndex: ${mismatch.created} } })`;
    throw new LogError('ERR_CORRUPTED', message, { cause: err });
  };

/**
 * `make()`, closing `log` when it throws (the store could not be made over
 * it, or the log not marked as an event store's): an open log's lock would
 * refuse the retry.
 */
export async function closingOnError<T>(log: { close(): Promise<void> }, make: () => Promise<T>): Promise<T> {
  try {
    return await make();
  } catch (err) {
    await log.close();
    throw err;
  }
}
