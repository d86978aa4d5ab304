/**
 * The stored form of an event: one log message whose key is the stream id and
 * whose value is this JSON envelope. The stream version sits in the envelope
 * so the newest message of a key (one getByKey) tells the stream's version.
 *
 *   { "type": "Deposited", "schemaVersion": 2, "data": { ... },
 *     "meta": { "eventId", "correlationId"?, "causationId"?, "commandId"?,
 *               "commandFingerprint"?, "recordedAt": ISO-8601, "streamVersion": 1-based } }
 *
 * commandFingerprint is on the first event of an append made with a command
 * id: what the id is bound to (see fingerprint.ts).
 */
import type { Message } from '../storage/index.js';
import { InvalidEventError } from './errors.js';
import { deepFreeze } from './freeze.js';
import { jsonCopy } from './json-copy.js';
import { parseRecordedAt } from './recorded-at.js';
import type { Event } from './event-type.js';

export interface EnvelopeMeta {
  eventId: string;
  correlationId?: string;
  causationId?: string;
  /** The command that produced the event: a retry with the same id is not applied twice. */
  commandId?: string;
  /** On the first event of an append with a command id: the fingerprint of its command. */
  commandFingerprint?: string;
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

/** What to do about a message that is not an event envelope. */
const NOT_AN_ENVELOPE =
  "the store's log holds only events it wrote: keep other writers off it (`klevdb get <dir> --offset <n>` shows the message)";

const OPTIONAL_IDS = ['correlationId', 'causationId', 'commandId', 'commandFingerprint'] as const;

/**
 * Checks the envelope fields by hand rather than with zod: this runs for
 * every event read, and stays cheap next to the validation of the data.
 */
export function parseEnvelope(message: Message): StoredEnvelope {
  const fail = (path: string, reason: string, type?: string): never => {
    throw new InvalidEventError(type, path, reason, message.offset, undefined, NOT_AN_ENVELOPE);
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

/** The ids that tie an event to what caused it. */
export type CausalIds = Pick<EnvelopeMeta, 'correlationId' | 'causationId' | 'commandId'>;

/** An event an append is about to write, with what the append assigned it. */
export interface NewEvent {
  type: string;
  schemaVersion: number;
  data: unknown;
  eventId: string;
  streamVersion: number;
}

/** The stored value of a new event, in the layout above; `commandFingerprint` only for an append's first event. */
export function encodeEnvelope(
  event: NewEvent,
  recordedAt: string,
  ids: CausalIds,
  commandFingerprint?: string,
): string {
  return encodeNewEnvelope(event, recordedAt, ids, commandFingerprint).value;
}

/**
 * A new event's stored value, and the envelope a read of that value finds
 * (its data through JSON, as a read sees it), without parsing the whole
 * value back: only the data is, the rest is known.
 */
export function encodeNewEnvelope(
  event: NewEvent,
  recordedAt: string,
  ids: CausalIds,
  commandFingerprint?: string,
): { value: string; stored: EventEnvelope } {
  const { type, schemaVersion, data, eventId, streamVersion } = event;
  const { correlationId, causationId, commandId } = ids;
  const meta: EnvelopeMeta = {
    eventId,
    correlationId,
    causationId,
    commandId,
    commandFingerprint,
    recordedAt,
    streamVersion,
  };
  const json = JSON.stringify(data);
  if (json === undefined) {
    // Data JSON has no text for (a function, in a store without types) is left out, as JSON.stringify does.
    const value = JSON.stringify({ type, schemaVersion, data, meta } satisfies EventEnvelope);
    return { value, stored: JSON.parse(value) as EventEnvelope };
  }
  // Byte for byte what JSON.stringify({ type, schemaVersion, data, meta }) writes (undefined ids left out), built
  // by hand: JSON.stringify of the meta object was a third of an append's encoding.
  let metaJson = `{"eventId":${jsonString(eventId)}`;
  if (correlationId !== undefined) metaJson += `,"correlationId":${JSON.stringify(correlationId)}`;
  if (causationId !== undefined) metaJson += `,"causationId":${JSON.stringify(causationId)}`;
  if (commandId !== undefined) metaJson += `,"commandId":${JSON.stringify(commandId)}`;
  if (commandFingerprint !== undefined) metaJson += `,"commandFingerprint":${JSON.stringify(commandFingerprint)}`;
  metaJson += `,"recordedAt":${lastTime.json(recordedAt)},"streamVersion":${jsonNumber(streamVersion)}}`;
  const value = `{"type":${lastType.json(type)},"schemaVersion":${jsonNumber(schemaVersion)},"data":${json},"meta":${metaJson}}`;
  return { value, stored: { type, schemaVersion, data: jsonCopy(data, json), meta } };
}

/** Nothing in these needs escaping in JSON: event ids, ISO times and most type names are made of them. */
const PLAIN = /^[\w.:+-]*$/;

/** JSON.stringify(s), without the call for a string with nothing to escape. */
function jsonString(s: string): string {
  return typeof s === 'string' && PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** jsonString of the last string asked for, kept: an append's events share their time, and most their type. */
class LastJsonString {
  private last = '';
  private lastJson = '""';

  json(s: string): string {
    if (s !== this.last) {
      this.lastJson = jsonString(s);
      this.last = s;
    }
    return this.lastJson;
  }
}

const lastTime = new LastJsonString();
const lastType = new LastJsonString();

/** JSON.stringify(n), without the call for an integer (versions). */
function jsonNumber(n: number): string {
  return Number.isSafeInteger(n) ? `${n}` : JSON.stringify(n);
}

type MutableMeta = { -readonly [K in keyof RecordedMeta]: RecordedMeta[K] };

/** The public view of an event; frozen, as it may be shared. */
function recorded<E extends Event>(type: string, data: unknown, meta: MutableMeta, ids: CausalIds): RecordedEvent<E> {
  // Absent rather than undefined, so events compare equal however they were made.
  if (ids.correlationId !== undefined) meta.correlationId = ids.correlationId;
  if (ids.causationId !== undefined) meta.causationId = ids.causationId;
  if (ids.commandId !== undefined) meta.commandId = ids.commandId;
  // The event and its meta are fresh objects of known shape: frozen directly, only the data is walked.
  Object.freeze(meta.recordedAt);
  Object.freeze(meta);
  return Object.freeze({ type, data: deepFreeze(data), meta }) as unknown as RecordedEvent<E>;
}

/**
 * A stored envelope once its data is current and valid. `recordedAt`: the
 * time its meta.recordedAt was written from, when the caller has it (an
 * append), instead of parsing the text back.
 */
export function toRecorded<E extends Event>(
  envelope: StoredEnvelope,
  data: unknown,
  recordedAt?: Date,
): RecordedEvent<E> {
  const m = envelope.meta;
  const meta = {
    eventId: m.eventId,
    recordedAt: recordedAt ?? parseRecordedAt(m.recordedAt),
    streamId: envelope.streamId,
    streamVersion: m.streamVersion,
    position: envelope.position,
  };
  return recorded(envelope.type, data, meta, m);
}

/**
 * A value the store just wrote, as a read will find it. The append returns
 * (and caches) its events through this, so they equal a later read exactly,
 * even where JSON changes data (-0, undefined members).
 */
export function storedEnvelope(value: string, streamId: string, position: number): StoredEnvelope {
  const envelope = JSON.parse(value) as StoredEnvelope;
  envelope.streamId = streamId;
  envelope.position = position;
  return envelope;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}
