/**
 * An append's events on their way in: the log messages that store them, and
 * the recorded events the append returns and caches, which equal what a
 * later read of those messages returns.
 */
import { randomUUID } from 'node:crypto';
import type { PublishMessage } from '../storage/index.js';
import {
  encodeNewEnvelope,
  toRecorded,
  type CausalIds,
  type EventEnvelope,
  type RecordedEvent,
  type StoredEnvelope,
} from './envelope.js';
import type { Event } from './event-type.js';
import { formatRecordedAt } from './recorded-at.js';
import type { ValidatedEvent } from './registry.js';

export interface EncodedAppend {
  messages: PublishMessage[];
  /** What a read of each message finds (its data through JSON), before the offsets are known. */
  envelopes: EventEnvelope[];
  /** The time every event of the append is recorded at. */
  recordedAt: number;
}

/** The messages of an append to `streamId` at `version`; the command fingerprint goes on the first event. */
export function encodeAppend(
  streamId: string,
  version: number,
  events: readonly ValidatedEvent[],
  ids: CausalIds,
  fingerprint: string | undefined,
): EncodedAppend {
  const time = new Date();
  const recordedAt = time.getTime();
  const iso = formatRecordedAt(recordedAt);
  const messages: PublishMessage[] = [];
  const envelopes: EventEnvelope[] = [];
  for (let i = 0; i < events.length; i++) {
    const { type, schemaVersion, data } = events[i]!;
    const event = { type, schemaVersion, data, eventId: randomUUID(), streamVersion: version + i + 1 };
    const { value, stored } = encodeNewEnvelope(event, iso, ids, i === 0 ? fingerprint : undefined);
    messages.push({ key: streamId, value, time });
    envelopes.push(stored);
  }
  return { messages, envelopes, recordedAt };
}

/** The recorded events of an append whose first event landed at `firstOffset`; `currentData` as a read applies it. */
export function appendedEvents<E extends Event>(
  streamId: string,
  encoded: EncodedAppend,
  firstOffset: number,
  currentData: (envelope: StoredEnvelope) => unknown,
): RecordedEvent<E>[] {
  return encoded.envelopes.map(({ type, schemaVersion, data, meta }, i) => {
    const envelope: StoredEnvelope = { type, schemaVersion, data, meta, streamId, position: firstOffset + i };
    return toRecorded<E>(envelope, currentData(envelope), new Date(encoded.recordedAt));
  });
}
