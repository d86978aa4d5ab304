/**
 * The stored form of an event: one log message whose key is the stream id and
 * whose value is this JSON envelope. The stream version sits in the envelope
 * so the newest message of a key (one getByKey) tells the stream's version.
 *
 *   { "type": "Deposited", "schemaVersion": 2, "data": { ... },
 *     "meta": { "eventId", "correlationId"?, "causationId"?, "commandId"?,
 *               "recordedAt": ISO-8601, "streamVersion": 1-based } }
 */
import type { Message } from '../storage/types.js';
import { InvalidEventError } from './errors.js';
import { deepFreeze } from './freeze.js';
import type { Event } from './event-type.js';

export interface EnvelopeMeta {
  eventId: string;
  correlationId?: string;
  causationId?: string;
  /** The command that produced the event: a retry with the same id is not applied twice. */
  commandId?: string;
  recordedAt: string;
  streamVersion: number;
}

export interface EventEnvelope {
  type: string;
  schemaVersion: number;
  data: unknown;
  meta: EnvelopeMeta;
}

/** Where a stored event sits, and the metadata it was written with. */
export interface RecordedMeta {
  readonly eventId: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly commandId?: string;
  readonly recordedAt: Date;
  readonly streamId: string;
  /** 1 for the first event of the stream. */
  readonly streamVersion: number;
  /** The event's log offset: the global position `readAll` and `subscribeToAll` resume from. */
  readonly position: number;
}

export type RecordedEvent<E extends Event = Event> = E & { readonly meta: RecordedMeta };

/** An envelope as read from the log, before its data is upcast and validated. */
export interface StoredEnvelope extends EventEnvelope {
  streamId: string;
  position: number;
}

const OPTIONAL_IDS = ['correlationId', 'causationId', 'commandId'] as const;

/**
 * Checks the envelope fields by hand rather than with zod: this runs for
 * every event read, and stays cheap next to the validation of the data.
 */
export function parseEnvelope(message: Message): StoredEnvelope {
  const fail = (path: string, reason: string, type?: string): never => {
    throw new InvalidEventError(type, path, reason, message.offset);
  };
  if (message.key === null) fail('key', 'the message has no key, so it belongs to no stream');
  if (message.value === null) fail('', 'the message has no value (a tombstone), not an event envelope');
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.value!.toString('utf8'));
  } catch (err) {
    fail('', `the value is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) return fail('', 'the value is not a JSON object');
  const type = parsed.type;
  if (typeof type !== 'string' || type.length === 0) fail('type', 'must be a non-empty string');
  const t = type as string;
  if (!isPositiveInteger(parsed.schemaVersion)) fail('schemaVersion', 'must be an integer >= 1', t);
  if (!('data' in parsed)) fail('data', 'is missing', t);
  const meta = parsed.meta;
  if (!isObject(meta)) return fail('meta', 'must be an object', t);
  if (typeof meta.eventId !== 'string') fail('meta.eventId', 'must be a string', t);
  if (typeof meta.recordedAt !== 'string') fail('meta.recordedAt', 'must be an ISO-8601 string', t);
  if (!isPositiveInteger(meta.streamVersion)) fail('meta.streamVersion', 'must be an integer >= 1', t);
  for (const id of OPTIONAL_IDS) {
    if (meta[id] !== undefined && typeof meta[id] !== 'string') fail(`meta.${id}`, 'must be a string when present', t);
  }
  // Completed in place: a copy would cost more than the checks above.
  const envelope = parsed as unknown as StoredEnvelope;
  envelope.streamId = message.key!.toString('utf8');
  envelope.position = message.offset;
  return envelope;
}

/** The public view of an envelope once its data is current and valid; frozen, as it may be shared. */
export function toRecorded<E extends Event>(envelope: StoredEnvelope, data: unknown): RecordedEvent<E> {
  const m = envelope.meta;
  const meta: { -readonly [K in keyof RecordedMeta]: RecordedMeta[K] } = {
    eventId: m.eventId,
    recordedAt: new Date(m.recordedAt),
    streamId: envelope.streamId,
    streamVersion: m.streamVersion,
    position: envelope.position,
  };
  // Absent rather than undefined, so events compare equal however they were made.
  if (m.correlationId !== undefined) meta.correlationId = m.correlationId;
  if (m.causationId !== undefined) meta.causationId = m.causationId;
  if (m.commandId !== undefined) meta.commandId = m.commandId;
  return deepFreeze({ type: envelope.type, data, meta }) as unknown as RecordedEvent<E>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}
