/** Turns publish() and delete() arguments into what the writer takes, rejecting bad input before anything is written. */
import { invalidArgument } from './errors.js';
import type { PreparedMessage } from './segment/segment-writer.js';
import type { PublishMessage } from './types.js';
import { checkBodySize, checkDate, checkOffset, checkTimeMicros, describeValue, toBytes } from './validate.js';

/** Microseconds since the epoch, from the high-resolution clock. */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export function prepareMessages(messages: unknown): PreparedMessage[] {
  if (!Array.isArray(messages)) throw invalidArgument(`messages must be an array of messages, got ${describeValue(messages)}`);
  let now = -1;
  const out: PreparedMessage[] = new Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as PublishMessage;
    const name = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw invalidArgument(`${name} must be a message object, got ${describeValue(m)}`);
    const key = toBytes(`${name}.key`, m.key);
    const value = toBytes(`${name}.value`, m.value);
    checkBodySize(name, key, value);
    let timeMicros: number;
    if (m.timeMicros !== undefined) timeMicros = checkTimeMicros(`${name}.timeMicros`, m.timeMicros);
    else if (m.time !== undefined) timeMicros = checkTimeMicros(`${name}.time`, checkDate(`${name}.time`, m.time).getTime() * 1000);
    else {
      if (now < 0) now = nowMicros();
      timeMicros = now;
    }
    out[i] = { key, value, timeMicros };
  }
  return out;
}

export function collectOffsets(offsets: unknown): Set<number> {
  if (offsets === null || typeof offsets !== 'object' || typeof (offsets as Iterable<number>)[Symbol.iterator] !== 'function') {
    throw invalidArgument(`offsets must be an iterable of offsets (a Set or an array), got ${describeValue(offsets)}`);
  }
  const out = new Set<number>();
  for (const o of offsets as Iterable<unknown>) out.add(checkOffset('offsets[]', o));
  return out;
}
