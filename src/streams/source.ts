import { Observable, type Subscriber } from 'rxjs';
import { LogError } from '../storage/index.js';
import type { ResolvedStreamOptions } from './options.js';

export interface Consumed<M> {
  nextOffset: number;
  messages: M[];
}

/** What a stream needs from a log, with any key filter already bound in. */
export interface Reader<M> {
  /** Returns at once, possibly with no messages. */
  read(offset: number, maxCount: number): Promise<Consumed<M>>;
  /** Waits until there is something at or after `offset`. */
  wait(offset: number, maxCount: number, signal: AbortSignal): Promise<Consumed<M>>;
  head(): Promise<number>;
}

export interface LogBatch<M> {
  messages: M[];
  /** Resume from here to continue right after this batch: no duplicate, no gap. */
  nextOffset: number;
  /** nextOffset had reached the head of the log when this batch was read. */
  caughtUp: boolean;
}

/**
 * Turns one batch into the values a stream emits. `becameCaughtUp` is true
 * exactly when the stream was behind before this batch and is not after it.
 */
export type Expand<M, T> = (batch: LogBatch<M>, becameCaughtUp: boolean) => Iterable<T>;

const aborted = (): LogError => new LogError('ERR_ABORTED', 'klevdb/streams: the stream signal was aborted');

/**
 * The one read loop behind every source. It is pull-based: a read starts only
 * after every value of the previous batch went through subscriber.next (and
 * the handler, when there is one), so a subscription never holds more than
 * one batch, however slow its consumer.
 */
export function logStream<M, T>(
  reader: Reader<M>,
  opts: ResolvedStreamOptions<T>,
  expand: Expand<M, T>,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    // One controller per subscription: unsubscribing must cancel this
    // subscription's wait only, never the waits of others on the same log.
    const controller = new AbortController();
    const external = opts.signal;
    const onExternalAbort = (): void => {
      controller.abort();
      subscriber.error(aborted());
    };
    if (external?.aborted) {
      onExternalAbort();
      return;
    }
    external?.addEventListener('abort', onExternalAbort, { once: true });

    pump(reader, opts, expand, subscriber, controller.signal).then(
      () => {
        if (!controller.signal.aborted) subscriber.complete();
      },
      (err: unknown) => {
        // After an unsubscribe or an external abort, the ERR_ABORTED of the
        // cancelled wait is our own doing, not news for the subscriber.
        if (!controller.signal.aborted) subscriber.error(err);
      },
    );
    return () => {
      external?.removeEventListener('abort', onExternalAbort);
      controller.abort();
    };
  });
}

async function pump<M, T>(
  reader: Reader<M>,
  opts: ResolvedStreamOptions<T>,
  expand: Expand<M, T>,
  subscriber: Subscriber<T>,
  signal: AbortSignal,
): Promise<void> {
  let offset = opts.offset;
  let caughtUp = false;
  while (!signal.aborted) {
    // Behind, reads must not block: an empty answer is how we learn we are
    // caught up. Caught up, the blocking read is the live tail.
    const got = caughtUp
      ? await reader.wait(offset, opts.batchSize, signal)
      : await reader.read(offset, opts.batchSize);
    if (signal.aborted) return;
    const head = await reader.head();
    if (signal.aborted) return;
    offset = got.nextOffset;
    const nowCaughtUp = offset >= head;
    const becameCaughtUp = nowCaughtUp && !caughtUp;
    caughtUp = nowCaughtUp;
    if (got.messages.length > 0 || becameCaughtUp) {
      for (const value of expand({ messages: got.messages, nextOffset: offset, caughtUp }, becameCaughtUp)) {
        if (opts.handle) await opts.handle(value, signal);
        if (signal.aborted || subscriber.closed) return;
        subscriber.next(value);
      }
    }
    if (caughtUp && !opts.live) return;
  }
}
