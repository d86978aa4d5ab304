import type { Observable } from 'rxjs';
import type { TBlockingLog, TMessage, BlockingLog, Message } from '../storage/index.js';
import {
  resolveStreamOptions,
  validateKeyEmpty,
  validateRawKey,
  type LogStreamOptions,
  type TypedStreamOptions,
  validateLogArgument,
} from './options.js';
import { logStream, type Consumed, type Expand, type LogBatch, type Reader } from './source.js';

/** A message, or the news that the stream has just caught up with the head. */
export type StreamEvent<M> =
  { kind: 'message'; message: M; nextOffset: number } | { kind: 'caught-up'; nextOffset: number };

type Reads<M> = Pick<Reader<M>, 'read' | 'wait'>;

interface Unfiltered<M> {
  nextOffset(): Promise<number>;
  consume(offset: number, maxCount: number): Promise<Consumed<M>>;
  consumeBlocking(offset: number, maxCount: number, signal?: AbortSignal): Promise<Consumed<M>>;
}

/** A reader over the whole log, or over what `byKey` reads when there is a key filter. */
function reader<M>(log: Unfiltered<M>, byKey: Reads<M> | undefined): Reader<M> {
  const all: Reads<M> = { read: (o, n) => log.consume(o, n), wait: (o, n, s) => log.consumeBlocking(o, n, s) };
  return { ...(byKey ?? all), head: () => log.nextOffset() };
}

const asBatches =
  <M>(): Expand<M, LogBatch<M>> =>
  (batch) => [batch];
const asMessages =
  <M>(): Expand<M, M> =>
  (batch) =>
    batch.messages;
const asEvents = <M extends { offset: number }>(): Expand<M, StreamEvent<M>> =>
  function* (batch, becameCaughtUp) {
    const last = batch.messages.length - 1;
    for (let i = 0; i <= last; i++) {
      const message = batch.messages[i]!;
      // The last message resumes at the batch's nextOffset, which may skip
      // a stretch a key filter has already scanned.
      yield { kind: 'message', message, nextOffset: i === last ? batch.nextOffset : message.offset + 1 };
    }
    if (becameCaughtUp) yield { kind: 'caught-up', nextOffset: batch.nextOffset };
  };

function raw<T>(log: BlockingLog, options: LogStreamOptions<T> | undefined, expand: Expand<Message, T>): Observable<T> {
  validateLogArgument('log', log, ['consume', 'consumeBlocking', 'consumeByKey', 'consumeByKeyBlocking']);
  const opts = resolveStreamOptions<T>(options);
  validateRawKey(options?.key);
  const key = options?.key;
  const byKey: Reads<Message> | undefined =
    key === undefined
      ? undefined
      : {
          read: (o, n) => log.consumeByKey(key, o, n),
          wait: (o, n, s) => log.consumeByKeyBlocking(key, o, n, s),
        };
  return logStream(reader(log, byKey), opts, expand);
}

function typed<K, V, T>(
  log: TBlockingLog<K, V>,
  options: TypedStreamOptions<K, T> | undefined,
  expand: Expand<TMessage<K, V>, T>,
): Observable<T> {
  validateLogArgument('log', log, ['consume', 'consumeBlocking', 'consumeByKey', 'consumeByKeyBlocking']);
  const opts = resolveStreamOptions<T>(options);
  validateKeyEmpty(options?.keyEmpty);
  const key = options?.key as K;
  const empty = options?.keyEmpty ?? false;
  const byKey: Reads<TMessage<K, V>> | undefined =
    key === undefined && !empty
      ? undefined
      : {
          read: (o, n) => log.consumeByKey(key, empty, o, n),
          wait: (o, n, s) => log.consumeByKeyBlocking(key, empty, o, n, s),
        };
  return logStream(reader(log, byKey), opts, expand);
}

/**
 * A cold stream of the log's messages from `options.offset` (default: the
 * oldest): it catches up in batches, then follows new messages as they are
 * published. Each subscription reads on its own, from its own offset. To
 * resume later without duplicate or gap, start at the last message's offset + 1.
 */
export function fromLog(log: BlockingLog, options?: LogStreamOptions<Message>): Observable<Message> {
  return raw(log, options, asMessages());
}

/**
 * The batch-level fromLog, for throughput. Emits a batch per read that found
 * messages, and an empty batch (`caughtUp: true`) each time the stream catches
 * up with the head without one.
 */
export function fromLogBatches(
  log: BlockingLog,
  options?: LogStreamOptions<LogBatch<Message>>,
): Observable<LogBatch<Message>> {
  return raw(log, options, asBatches());
}

/** fromLog with a `caught-up` event each time the stream reaches the head after being behind. */
export function fromLogWithStatus(
  log: BlockingLog,
  options?: LogStreamOptions<StreamEvent<Message>>,
): Observable<StreamEvent<Message>> {
  return raw(log, options, asEvents());
}

/** fromLog over a typed log: emits its decoded messages. */
export function fromTypedLog<K, V>(
  log: TBlockingLog<K, V>,
  options?: TypedStreamOptions<K, TMessage<K, V>>,
): Observable<TMessage<K, V>> {
  return typed(log, options, asMessages());
}

/** fromLogBatches over a typed log. */
export function fromTypedLogBatches<K, V>(
  log: TBlockingLog<K, V>,
  options?: TypedStreamOptions<K, LogBatch<TMessage<K, V>>>,
): Observable<LogBatch<TMessage<K, V>>> {
  return typed(log, options, asBatches());
}

/** fromLogWithStatus over a typed log. */
export function fromTypedLogWithStatus<K, V>(
  log: TBlockingLog<K, V>,
  options?: TypedStreamOptions<K, StreamEvent<TMessage<K, V>>>,
): Observable<StreamEvent<TMessage<K, V>>> {
  return typed(log, options, asEvents());
}
