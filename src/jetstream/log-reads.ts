/**
 * A JetStreamLog's reads: ranges through pull consumers (from the pool),
 * single messages by offset, key or time with direct gets, and the blocking
 * consumes that wait on the stream's known end first.
 */
import { OffsetNewest, OffsetOldest, type ConsumeResult, type Message } from '../storage/index.js';
import {
  checkBlockingArgs,
  checkBlockingByKeyArgs,
  checkConsumeArgs,
  checkConsumeByKeyArgs,
  checkGetArgs,
  checkKeyArg,
  checkStartArg,
  invalidOffset,
  noIndex,
  notFound,
} from '../storage/backend-kit.js';
import type { RawStored, StreamInfoJson } from './api.js';
import { ApiError } from './errors.js';
import type { LogState } from './log-state.js';
import type { Decoded } from './messages.js';
import { Reader, type ReaderPool } from './reader.js';

/** Decoded messages of a range and the offset to read on from. */
export interface ReadRange {
  nextOffset: number;
  decoded: Decoded[];
}

export class Reads {
  readonly #s: LogState;
  readonly #pool: ReaderPool;

  constructor(state: LogState, pool: ReaderPool) {
    this.#s = state;
    this.#pool = pool;
  }

  /**
   * Messages on `filter` from `offset` on, at most maxCount. For a key, a
   * first "next by subject" request finds where its next message is (or
   * that there is none) before any consumer is made.
   */
  async readRange(filter: string, offset: number, maxCount: number, byKey: boolean): Promise<ReadRange> {
    const s = this.#s;
    if (offset === OffsetNewest) return { nextOffset: await s.refreshLast(), decoded: [] };
    let last = s.knownLast;
    if (offset > last) {
      last = await s.refreshLast();
      if (offset > last) {
        if (byKey) return { nextOffset: last, decoded: [] };
        throw invalidOffset(`invalid offset: ${offset} is after the end of the log (next offset ${last})`);
      }
    }
    let start = offset === OffsetOldest ? 1 : offset + 1;
    if (start > last) {
      last = await s.refreshLast();
      if (start > last) return { nextOffset: last, decoded: [] };
    }
    const decoded: Decoded[] = [];
    if (byKey) {
      const first = await s.get({ seq: start, next_by_subj: filter });
      if (!first) return { nextOffset: Math.max(last, s.knownLast), decoded };
      decoded.push(s.decode(first));
      if (maxCount === 1) return { nextOffset: first.seq, decoded };
      start = first.seq + 1;
    }
    const want = maxCount - decoded.length;
    const raws = await this.#pull(filter, start, want, last);
    for (const raw of raws) decoded.push(s.decode(raw));
    const nextOffset = decoded.length > 0 ? decoded[decoded.length - 1]!.message.offset + 1 : Math.max(last, offset);
    return { nextOffset, decoded };
  }

  /**
   * Pulls up to `want` messages from `start`. A consumer may not yet have
   * taken in what the stream acknowledged (and on a cluster reads a replica
   * that may be behind); when it stops short of `last` (known from the
   * leader), the leader is asked for the next message, so a read never
   * reports the end of the log before it.
   */
  async #pull(filter: string, start: number, want: number, last: number): Promise<RawStored[]> {
    const out: RawStored[] = [];
    const giveUp = Date.now() + this.#s.config.retryForMs;
    for (let attempt = 0; ; attempt++) {
      const reader = await this.#pool.acquire(filter, start);
      try {
        for (;;) {
          const got = await reader.pull(want - out.length, this.#s.api.timeoutMs);
          out.push(...got);
          if (out.length >= want) return out;
          const seen = out.length > 0 ? out[out.length - 1]!.seq : start - 1;
          if (seen >= last) return out;
          // Short of what the stream holds: deleted messages, or a consumer that has not
          // taken in the newest ones yet (the server tells it a moment after acknowledging
          // them; on a cluster it may read a replica that is behind). The leader knows: what
          // it has is taken from it and the consumer moved past it.
          const missing = await this.#s.get({ seq: seen + 1, next_by_subj: filter }, true);
          if (!missing || missing.seq > last) return out;
          out.push(missing);
          reader.position = missing.seq + 1;
        }
      } catch (err) {
        if (this.#s.closed || !(err instanceof ApiError) || (attempt >= 1 && Date.now() > giveUp)) throw err;
        // The consumer is gone (server restart, leader change): start a new one where this one stood.
        start = out.length > 0 ? out[out.length - 1]!.seq + 1 : start;
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
      } finally {
        this.#pool.release(reader);
      }
    }
  }

  async consume(offset: number, maxCount: number): Promise<ConsumeResult> {
    checkConsumeArgs(offset, maxCount);
    this.#s.ensureOpen();
    return this.#s.run(async () => {
      const r = await this.readRange(this.#s.subjects.all, offset, maxCount, false);
      return { nextOffset: r.nextOffset, messages: r.decoded.map((d) => d.message) };
    });
  }

  async consumeByKey(key: Uint8Array | string, offset: number, maxCount: number): Promise<ConsumeResult> {
    const k = checkConsumeByKeyArgs(key, offset, maxCount);
    this.#s.ensureOpen();
    this.#requireKeys();
    const subject = this.#s.subjects.forKey('key', k);
    return this.#s.run(async () => {
      const r = await this.readRange(subject, offset, maxCount, true);
      return { nextOffset: r.nextOffset, messages: r.decoded.map((d) => d.message) };
    });
  }

  async consumeBlocking(offset: number, maxCount: number, signal?: AbortSignal): Promise<ConsumeResult> {
    checkBlockingArgs('consumeBlocking', offset, maxCount, signal);
    this.#s.ensureOpen();
    await this.#s.notify.wait(offset, signal);
    return this.consume(offset, maxCount);
  }

  async consumeByKeyBlocking(
    key: Uint8Array | string,
    offset: number,
    maxCount: number,
    signal?: AbortSignal,
  ): Promise<ConsumeResult> {
    checkBlockingByKeyArgs(key, offset, maxCount, signal);
    this.#s.ensureOpen();
    await this.#s.notify.wait(offset, signal);
    return this.consumeByKey(key, offset, maxCount);
  }

  async get(offset: number): Promise<Message> {
    checkGetArgs(offset);
    const s = this.#s;
    s.ensureOpen();
    return s.run(async () => {
      if (offset === OffsetOldest || offset === OffsetNewest) {
        const raw =
          offset === OffsetOldest
            ? await s.get({ seq: 1, next_by_subj: s.subjects.all })
            : await s.lastMatching(s.subjects.all);
        if (!raw) throw invalidOffset('invalid offset: the log is empty');
        return s.decode(raw).message;
      }
      if (offset < 0) throw invalidOffset(`invalid offset: ${offset} is before the start of the log`);
      const raw = await s.get({ seq: offset + 1 });
      if (s.ours(raw)) return s.decode(raw).message;
      const last = await s.refreshLast();
      if (offset >= last)
        throw invalidOffset(`invalid offset: ${offset} is after the end of the log (next offset ${last})`);
      throw notFound(`not found: offset ${offset} was deleted`);
    });
  }

  async getByKey(key: Uint8Array | string): Promise<Message> {
    const k = checkKeyArg(key);
    this.#s.ensureOpen();
    this.#requireKeys();
    const subject = this.#s.subjects.forKey('key', k);
    return this.#s.run(async () => {
      const raw = await this.#s.lastMatching(subject);
      if (!raw) throw notFound(`not found: no message with key ${describeKey(k)}`);
      return this.#s.decode(raw).message;
    });
  }

  /** See JetStreamLog.getByTime. */
  async getByTime(start: Date): Promise<Message> {
    checkStartArg(start);
    this.#s.ensureOpen();
    if (!this.#s.config.timeIndex) throw noIndex('time');
    return this.#s.run(async () => {
      const info = await this.#s.info();
      if (info.state.messages === 0) throw invalidOffset('invalid offset: the log is empty');
      const found =
        this.#s.config.timeLookup === 'server' ? await this.#byServerTime(start) : await this.#byIndexTime(start, info);
      if (!found) throw notFound(`not found: no message at or after ${start.toISOString()}`);
      return found.message;
    });
  }

  async #byIndexTime(start: Date, info: StreamInfoJson): Promise<Decoded | null> {
    const s = this.#s;
    const ts = start.getTime() * 1000;
    let lo = info.state.first_seq;
    let hi = Math.max(info.state.last_seq, s.knownLast);
    let answer: Decoded | null = null;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const raw = await s.get({ seq: mid, next_by_subj: s.subjects.all });
      if (!s.ours(raw) || raw.seq > hi) {
        hi = mid - 1;
        continue;
      }
      const d = s.decode(raw);
      if (d.indexMicros >= ts) {
        answer = d;
        hi = mid - 1;
      } else lo = raw.seq + 1;
    }
    return answer;
  }

  async #byServerTime(start: Date): Promise<Decoded | null> {
    const { api, stream, subjects } = this.#s;
    const info = await api.consumerCreate(stream, {
      ack_policy: 'none',
      deliver_policy: 'by_start_time',
      opt_start_time: start.toISOString(),
      filter_subject: subjects.all,
      inactive_threshold: 10_000_000_000,
      mem_storage: true,
      num_replicas: 1,
    });
    const reader = Reader.adopt(api, stream, subjects.all, info.name);
    try {
      const [raw] = await reader.pull(1, api.timeoutMs);
      return raw ? this.#s.decode(raw) : null;
    } finally {
      await reader.destroy();
    }
  }

  #requireKeys(): void {
    if (!this.#s.config.keyIndex) throw noIndex('key');
  }
}

function describeKey(k: Buffer | null): string {
  if (!k) return '(empty)';
  const text = k.toString('utf8');
  return /^[\x20-\x7e]*$/.test(text) && text.length <= 64
    ? JSON.stringify(text)
    : `0x${k.subarray(0, 32).toString('hex')}${k.length > 32 ? '…' : ''}`;
}
