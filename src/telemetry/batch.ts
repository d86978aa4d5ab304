/**
 * A consumer's batch, traced and counted: the span `klevdb.<kind>.batch`
 * around its handling, and its events in `klevdb.consumer.events` once it
 * finished. Projections and subscriptions share it; eventAttributes
 * describes one event (a reactor's span is per event).
 */
import type { Attributes } from './otel.js';
import { ATTR } from './names.js';
import { recordHandled, type Consumer } from './metrics.js';
import { startTrace, type Trace } from './trace.js';

export interface BatchInfo {
  /** Events (messages) in the batch. */
  size: number;
  /** The offset of its first event. */
  offset: number;
  /** The offset after its last event. */
  nextOffset: number;
}

/** Correlation ids a batch span names at most: enough to find a command's batch, not a list of the batch. */
const MAX_CORRELATION_IDS = 10;

/** Runs `handle` in the batch's span; counts the batch's events when it resolved. */
export async function traceBatch<T>(of: Consumer, batch: BatchInfo, handle: (trace: Trace) => Promise<T>): Promise<T> {
  const trace = startTrace(`klevdb.${of.kind}.batch`, {
    ...of.attributes,
    [ATTR.batchSize]: batch.size,
    [ATTR.batchOffset]: batch.offset,
    [ATTR.batchNextOffset]: batch.nextOffset,
  });
  let result: T;
  try {
    result = await trace.run(() => handle(trace));
  } catch (err) {
    trace.end(err);
    throw err;
  }
  trace.end();
  recordHandled(of, batch.size);
  return result;
}

/**
 * Gathers the distinct correlation ids of a batch's events (from their
 * `meta`, as the event store records them), for its span; only while the
 * span is recorded.
 */
export class CorrelationIds {
  private readonly ids = new Set<string>();

  add(event: unknown): void {
    if (this.ids.size >= MAX_CORRELATION_IDS || typeof event !== 'object' || event === null) return;
    const id = (event as { meta?: { correlationId?: unknown } }).meta?.correlationId;
    if (typeof id === 'string') this.ids.add(id);
  }

  /** Sets them on `trace` (nothing when there are none). */
  setOn(trace: Trace): void {
    if (this.ids.size > 0) trace.set({ [ATTR.correlationIds]: [...this.ids] });
  }
}

/**
 * The attributes of one event (at source offset `offset`, when it came from
 * a source): its type, and from its `meta` (as the event store records it)
 * its id, stream, correlation and causation ids, those it has.
 */
export function eventAttributes(event: unknown, offset?: number): Attributes {
  const attributes: Attributes = offset === undefined ? {} : { [ATTR.eventOffset]: offset };
  if (typeof event !== 'object' || event === null) return attributes;
  const { type, meta } = event as { type?: unknown; meta?: Record<string, unknown> };
  if (typeof type === 'string') attributes[ATTR.eventType] = type;
  const ids = [
    ['eventId', ATTR.eventId],
    ['streamId', ATTR.streamId],
    ['correlationId', ATTR.correlationId],
    ['causationId', ATTR.causationId],
  ] as const;
  for (const [field, attribute] of ids) if (typeof meta?.[field] === 'string') attributes[attribute] = meta[field];
  return attributes;
}
