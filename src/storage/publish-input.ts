/** Turns publish() and delete() arguments into what the writer takes, rejecting bad input before anything is written. */
import { invalidArgument } from './errors.js';
import { MAX_BODY_SIZE } from './format/message-format.js';
import type { PreparedMessage } from './segment/segment-writer.js';
import { RemainingOffsets } from './remaining-offsets.js';
import type { PublishMessage } from './types.js';
import { checkBodySize, checkDate, checkOffset, checkTimeMicros, describeValue, toBytes } from './validate.js';

/** Microseconds since the epoch, from the high-resolution clock. */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export function prepareMessages(messages: unknown): PreparedMessage[] {
  if (!Array.isArray(messages))
    throw invalidArgument(`messages must be an array of messages, got ${describeValue(messages)}`);
  let now = -1;
  const out = new Array<PreparedMessage>(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as PublishMessage;
    // Argument names are built only on the error path: this loop runs once per message published.
    if (typeof m !== 'object' || m === null || Array.isArray(m))
      throw invalidArgument(`messages[${i}] must be a message object, got ${describeValue(m)}`);
    if (isPrepared(m)) {
      // Already what the writer takes (the writer checks that the lengths it measured are what it wrote).
      out[i] = m;
      continue;
    }
    const key = plainBytes(m.key) ?? toBytes(`messages[${i}].key`, m.key);
    const value = plainBytes(m.value) ?? toBytes(`messages[${i}].value`, m.value);
    if ((key?.length ?? 0) + (value?.length ?? 0) > MAX_BODY_SIZE) checkBodySize(`messages[${i}]`, key, value);
    let timeMicros: number;
    if (m.timeMicros !== undefined) {
      timeMicros = Number.isSafeInteger(m.timeMicros)
        ? m.timeMicros
        : checkTimeMicros(`messages[${i}].timeMicros`, m.timeMicros);
    } else if (m.time !== undefined) {
      timeMicros = checkTimeMicros(`messages[${i}].time`, checkDate(`messages[${i}].time`, m.time).getTime() * 1000);
    } else {
      if (now < 0) now = nowMicros();
      timeMicros = now;
    }
    out[i] = { key, value, timeMicros };
  }
  return out;
}

/**
 * A message of non-empty Buffers and a microsecond time (the common shape,
 * which the writer can take as it is: no object per message).
 */
function isPrepared(m: PublishMessage): m is PreparedMessage {
  const { key, value, timeMicros } = m;
  return (
    Buffer.isBuffer(key) &&
    key.length > 0 &&
    Buffer.isBuffer(value) &&
    value.length > 0 &&
    key.length + value.length <= MAX_BODY_SIZE &&
    Number.isSafeInteger(timeMicros)
  );
}

/** The common shapes of a key or value without building an argument name; undefined for the rest. */
function plainBytes(v: unknown): Buffer | null | undefined {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.length === 0 ? null : v;
  if (typeof v === 'string') return v.length === 0 ? null : Buffer.from(v, 'utf8');
  return undefined;
}

export function collectOffsets(offsets: unknown): Set<number> {
  if (
    offsets === null ||
    typeof offsets !== 'object' ||
    typeof (offsets as Iterable<number>)[Symbol.iterator] !== 'function'
  ) {
    throw invalidArgument(`offsets must be an iterable of offsets (a Set or an array), got ${describeValue(offsets)}`);
  }
  // A multi delete's own set holds safe integers and only shrinks: its lowest element says it all.
  if (offsets instanceof RemainingOffsets) {
    const lowest = offsets.lowest();
    if (lowest < -2) checkOffset('offsets[]', lowest);
    return offsets;
  }
  if (offsets instanceof Set) {
    // Retention helpers pass the same large Set round after round: check it in place, don't copy it.
    for (const o of offsets as Set<unknown>) {
      if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < -2) checkOffset('offsets[]', o);
    }
    return offsets as Set<number>;
  }
  const out = new Set<number>();
  for (const o of offsets as Iterable<unknown>) out.add(checkOffset('offsets[]', o));
  return out;
}
