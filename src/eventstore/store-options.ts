/** The options of an event store over a log (openEventStore, inMemoryEventStore), and their check. */
import { refuseUnknownKeys } from '../storage/backend-kit.js';
import type { AnyEventType } from './event-type.js';

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
