/**
 * The newest events of recently used streams, decoded. A command handler
 * reloads its stream for every command; for a stream that was just
 * appended to or read, this answers from memory instead of the log.
 *
 * An entry holds a run of consecutive versions ending at the stream's head
 * (as the StreamIndex knows it). It is only ever changed in synchronous code
 * right after the log said what it holds: extended by an append under the
 * stream's turn, or filled by a read that reached the head with no append in
 * between. A read trusts an entry only if it ends at the head version the
 * index holds, so a read never sees less than the log had when it started.
 * This needs the store to be the only writer of its log, as versions do.
 */
import { LRUCache } from 'lru-cache';
import type { Event } from './event-type.js';
import type { RecordedEvent } from './envelope.js';
import type { StreamHead } from './stream-index.js';

const versionOf = (event: RecordedEvent): number => event.meta.streamVersion;

export class StreamCache<E extends Event> {
  private readonly entries: LRUCache<string, RecordedEvent<E>[]> | undefined;

  /** maxEvents 0: no cache. maxPerStream: the longest tail kept for one stream (cut to 3/4 of it when it grows past). */
  constructor(
    maxEvents: number,
    private readonly maxPerStream: number,
  ) {
    this.entries =
      maxEvents > 0
        ? new LRUCache({ maxSize: maxEvents, sizeCalculation: (events) => Math.max(1, events.length) })
        : undefined;
  }

  /** The most events of one stream an entry holds (0: no cache). */
  get keeps(): number {
    return this.entries ? this.maxPerStream : 0;
  }

  /**
   * The events from `fromVersion` and `fromPosition` on, or undefined when
   * the cache cannot vouch for all of them.
   */
  read(
    streamId: string,
    head: StreamHead | undefined,
    fromVersion: number,
    fromPosition: number,
  ): RecordedEvent<E>[] | undefined {
    const events = this.entries?.get(streamId);
    if (!events || !head || events.length === 0 || versionOf(events.at(-1)!) !== head.version) return undefined;
    const first = events[0]!;
    if (versionOf(first) > fromVersion && first.meta.position > fromPosition) return undefined;
    // Versions and positions both ascend: the first event wanted is found by bisection (a reload of the newest few stays cheap).
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (versionOf(events[mid]!) < fromVersion || events[mid]!.meta.position < fromPosition) lo = mid + 1;
      else hi = mid;
    }
    return events.slice(lo);
  }

  /** Called under the stream's turn, right after the publish. */
  appended(streamId: string, previousVersion: number, appended: RecordedEvent<E>[]): void {
    if (!this.entries || appended.length === 0) return;
    const events = this.entries.get(streamId);
    // With no entry (or a stale one), the new events still start a valid tail.
    const kept = events && events.length > 0 && versionOf(events.at(-1)!) === previousVersion ? events : [];
    kept.push(...appended);
    this.store(streamId, kept);
  }

  /**
   * A read that returned every event from some version up to `head`, which
   * the caller took from the index in the same synchronous step.
   */
  filled(streamId: string, head: StreamHead | undefined, events: RecordedEvent<E>[]): void {
    if (!this.entries || !head || events.length === 0 || versionOf(events.at(-1)!) !== head.version) return;
    const cached = this.entries.get(streamId);
    if (cached && cached.length > 0 && versionOf(cached[0]!) <= versionOf(events[0]!)) return;
    this.store(streamId, events.slice());
  }

  private store(streamId: string, events: RecordedEvent<E>[]): void {
    // Cut to three quarters when over the bound, not to the bound: an append to a long stream then costs no copy of its tail.
    if (events.length > this.maxPerStream) events.splice(0, events.length - Math.ceil((this.maxPerStream * 3) / 4));
    this.entries!.set(streamId, events); // re-measures the entry
  }
}
