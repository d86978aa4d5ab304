// Message generators, comparable views of messages and log-reading helpers.
import { expect } from 'chai';
import { OffsetOldest } from '../../src/index.js';
import type { Log, Message, PublishMessage } from '../../src/index.js';

/** A message as plain comparable data: bytes in hex, null for empty/absent. */
export interface MessageView {
  offset: number;
  timeMicros: number;
  key: string | null;
  value: string | null;
}

const hexOrNull = (b: Buffer | null): string | null => (b === null ? null : b.toString('hex'));

/**
 * The comparable view of a message read from the log. Also asserts the
 * invariants every Message must hold: Buffers or null (never empty), and
 * `time` the millisecond view (floor) of `timeMicros`.
 */
export function view(m: Message): MessageView {
  expect(Number.isSafeInteger(m.offset), `offset ${m.offset}`).to.equal(true);
  expect(Number.isSafeInteger(m.timeMicros), `timeMicros ${m.timeMicros}`).to.equal(true);
  expect(m.time, 'time').to.be.instanceOf(Date);
  expect(m.time.getTime(), `time of offset ${m.offset}`).to.equal(Math.floor(m.timeMicros / 1000));
  for (const part of ['key', 'value'] as const) {
    const b = m[part];
    if (b !== null) {
      expect(Buffer.isBuffer(b), `${part} of offset ${m.offset} is a Buffer`).to.equal(true);
      expect(b.length, `${part} of offset ${m.offset}: empty reads back as null`).to.be.greaterThan(0);
    }
  }
  return { offset: m.offset, timeMicros: m.timeMicros, key: hexOrNull(m.key), value: hexOrNull(m.value) };
}

export const views = (ms: Message[]): MessageView[] => ms.map(view);

function bytesOf(b: Uint8Array | string | null | undefined): Buffer | null {
  if (b === null || b === undefined) return null;
  const buf = typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b);
  return buf.length === 0 ? null : buf;
}

/** What reading back `pm` stored at `offset` must give (pm must carry timeMicros or time). */
export function expectedView(pm: PublishMessage, offset: number): MessageView {
  const timeMicros = pm.timeMicros ?? (pm.time as Date).getTime() * 1000;
  return { offset, timeMicros, key: hexOrNull(bytesOf(pm.key)), value: hexOrNull(bytesOf(pm.value)) };
}

export const expectedViews = (pms: PublishMessage[], firstOffset = 0): MessageView[] =>
  pms.map((pm, i) => expectedView(pm, firstOffset + i));

/** Bytes of key+value (UTF-8 for strings). */
export function bodySize(pm: PublishMessage): number {
  return (bytesOf(pm.key)?.length ?? 0) + (bytesOf(pm.value)?.length ?? 0);
}

export const V2_RECORD_OVERHEAD = 36;
export const V1_RECORD_OVERHEAD = 28;
export const V2_HEADER = 8;

/** Index item size for the index options (offset, position [, time] [, key hash]). */
export function indexItemSize(opts: { keyIndex?: boolean; timeIndex?: boolean }): number {
  return 16 + (opts.timeIndex ? 8 : 0) + (opts.keyIndex ? 8 : 0);
}

export const GEN_BASE_MICROS = Date.UTC(2023, 0, 1) * 1000;

/** klevdb's message.Gen: second-spaced times, "%10d" keys, 128-space values. */
export function gen(count: number, from = 0): PublishMessage[] {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j;
    return {
      timeMicros: GEN_BASE_MICROS + i * 1_000_000,
      key: String(i).padStart(10, ' '),
      value: ' '.repeat(128),
    };
  });
}

/** V2 record size of a gen() message. */
export const GEN_V2_SIZE = V2_RECORD_OVERHEAD + 10 + 128;
export const GEN_V1_SIZE = V1_RECORD_OVERHEAD + 10 + 128;

/**
 * A deterministic message for offset i, with varied sizes (including empty
 * keys and values), for checking what another process wrote.
 */
export function deterministic(i: number): PublishMessage {
  const valueLen = (i * 37) % 300;
  const value = Buffer.alloc(valueLen);
  for (let j = 0; j < valueLen; j++) value[j] = (i * 31 + j * 7) & 0xff;
  return {
    key: i % 11 === 0 ? null : `key-${i % 13}-${i}`,
    value: valueLen === 0 ? null : value,
    timeMicros: GEN_BASE_MICROS + i * 1_003 + (i % 5),
  };
}

/** Publishes msgs one batch of `batch` at a time, checking each returned next offset. */
export async function publishBatched(log: Log, msgs: PublishMessage[], batch = 1): Promise<void> {
  for (let begin = 0; begin < msgs.length; begin += batch) {
    const part = msgs.slice(begin, begin + batch);
    const start = await log.nextOffset();
    const next = await log.publish(part);
    expect(next, `next offset after publishing [${begin}, ${begin + part.length})`).to.equal(start + part.length);
  }
}

/** Consumes the whole log from OffsetOldest, one consume call after another. */
export async function consumeAll(log: Log, maxCount = 32): Promise<Message[]> {
  const all: Message[] = [];
  let offset = OffsetOldest;
  for (let calls = 0; ; calls++) {
    expect(calls, 'consumeAll made no progress').to.be.lessThan(1_000_000);
    const { nextOffset, messages } = await log.consume(offset, maxCount);
    all.push(...messages);
    if (nextOffset === offset) return all;
    offset = nextOffset;
  }
}
