/**
 * A BlockingLog over a JetStream stream: offset = stream sequence - 1, one
 * subject per key (<prefix>.<base64url key>, '~' for the empty key), the
 * message time in a header. See README "Moving to a cluster" for what
 * differs from the local log and why.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { checkBlockingArgs } from '../storage/blocking.js';
import { LogError, invalidArgument, invalidOffset, notFound } from '../storage/errors.js';
import { OffsetNotify } from '../storage/notify.js';
import { collectOffsets, prepareMessages } from '../storage/publish-input.js';
import { keyId } from '../storage/retention-support.js';
import type { BlockingLog, ConsumeResult, DeleteResult, Message, PublishMessage, Stats } from '../storage/types.js';
import { OffsetNewest, OffsetOldest } from '../storage/types.js';
import { checkCount, checkDate, checkInteger, checkKey, checkNonNegative, checkOffset, checkString, describeValue, toBytes } from '../storage/validate.js';
import { type Api, type MsgQuery, type RawStored, type StreamInfoJson, TIME_HEADER } from './api.js';
import { ApiError, closedError, toPublicError } from './errors.js';
import { decode, type Decoded, type StorageKind, storedSize } from './messages.js';
import { mirror } from './mirror.js';
import { AckInbox, type OutMessage, Publisher } from './publisher.js';
import { Reader, ReaderPool } from './reader.js';
import { declareSkipsOffsets, type SkipsOffsets } from './skips-offsets.js';
import type { Subjects } from './subjects.js';
import { TailWatcher } from './tail.js';

export interface JetStreamLogConfig {
  api: Api;
  ownsConnection: boolean;
  stream: string;
  subjects: Subjects;
  storage: StorageKind;
  replicas: number;
  readonly: boolean;
  keyIndex: boolean;
  timeIndex: boolean;
  timeLookup: 'message' | 'server';
  consistentReads: boolean;
  /** Publishes expect the stream to end where this log's own last write (or the open) left it. */
  singleWriter: boolean;
  publishWindow: number;
  retryForMs: number;
  lastSeq: number;
}

/** What publishExpecting did: all stored, or stopped by another writer. */
export type ExpectingResult =
  | { ok: true; firstOffset: number; nextOffset: number }
  | {
      ok: false;
      /** How many of the messages were stored before the conflict (0 unless another writer got in mid-batch). */
      stored: number;
      /** The offset of the key's newest message now, or null when the key has none. */
      actualLastOffset: number | null;
    };

export interface StreamLimits {
  maxAgeMs?: number;
  maxMessages?: number;
  maxBytes?: number;
  maxMessagesPerKey?: number;
}

const READ_BATCH = 1000;
const DELETE_CONCURRENCY = 64;

/** Keeps at most `limit` calls of fn running at once. */
async function eachLimited<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

export class JetStreamLog implements BlockingLog, SkipsOffsets {
  readonly stream: string;
  readonly subjects: Subjects;
  readonly #c: JetStreamLogConfig;
  readonly #api: Api;
  readonly #inbox: AckInbox | null;
  readonly #publisher: Publisher | null;
  readonly #pool: ReaderPool;
  readonly #notify: OffsetNotify;
  readonly #tail: TailWatcher;
  readonly #sizes = new WeakMap<Message, number>();
  #knownLast: number;
  /** The stream's last sequence after this log's newest write (at first: when it was opened); see singleWriter. */
  #fence: number;
  /** The index time of the newest message, for the next publish's chain; undefined until read. */
  #lastIndexMicros: number | undefined;
  #writes: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | null = null;

  constructor(config: JetStreamLogConfig) {
    this.#c = config;
    this.#api = config.api;
    this.stream = config.stream;
    this.subjects = config.subjects;
    this.#knownLast = config.lastSeq;
    this.#fence = config.lastSeq;
    this.#inbox = config.readonly ? null : new AckInbox(config.api.nc, config.api.timeoutMs);
    this.#publisher = this.#inbox ? new Publisher(this.#inbox, { window: config.publishWindow, retryForMs: config.retryForMs }) : null;
    this.#pool = new ReaderPool(config.api, config.stream);
    this.#notify = new OffsetNotify(config.lastSeq);
    this.#tail = new TailWatcher(config.api, config.stream, config.subjects.all, {
      knownLast: () => this.#knownLast,
      refreshLast: () => this.#refreshLast(),
      seen: (seq) => this.#saw(seq),
      closed: () => this.#closing !== null,
    });
    this.#notify.observe(this.#tail);
    declareSkipsOffsets(this);
  }

  /** The NATS connection (shared with the caller when one was passed in). */
  get connection(): NatsConnection {
    return this.#api.nc;
  }

  get replicas(): number {
    return this.#c.replicas;
  }

  // --- plumbing ----------------------------------------------------------------

  #what(): string {
    return `JetStream log ${this.stream}`;
  }

  #ensureOpen(): void {
    if (this.#closing) throw closedError(this.#what());
  }

  #ensureWritable(): Publisher {
    this.#ensureOpen();
    if (!this.#publisher) throw new LogError('ERR_READONLY', `${this.#what()} is open readonly; open it without readonly to publish or delete`);
    return this.#publisher;
  }

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toPublicError(err, this.#closing !== null, this.#what());
    }
  }

  /** Runs publishes (and the other writes that depend on their order) one at a time. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#writes.then(fn, fn);
    this.#writes = p.catch(() => undefined);
    return p;
  }

  #saw(seq: number): void {
    if (seq > this.#knownLast) this.#knownLast = seq;
    this.#notify.set(this.#knownLast);
  }

  async #info(subjectsFilter?: string): Promise<StreamInfoJson> {
    const info = await this.#api.streamInfo(this.stream, subjectsFilter);
    this.#saw(info.state.last_seq);
    return info;
  }

  /**
   * The stream's last sequence, never less than one seen before: a replica
   * that restarted may answer for a moment with what it had then.
   */
  async #refreshLast(): Promise<number> {
    await this.#info();
    return this.#knownLast;
  }

  #decode(raw: RawStored): Decoded {
    const d = decode(raw, this.subjects, this.#c.storage);
    this.#sizes.set(d.message, d.size);
    if (raw.seq > this.#knownLast) this.#saw(raw.seq);
    return d;
  }

  #ours(raw: RawStored | null): raw is RawStored {
    return raw !== null && raw.subject.startsWith(`${this.subjects.prefix}.`) && raw.subject !== this.subjects.gap;
  }

  #get(query: MsgQuery, consistent = this.#c.consistentReads): Promise<RawStored | null> {
    return this.#api.getMsg(this.stream, query, !consistent);
  }

  /**
   * The newest message on `filter`. nats-server 2.9 (file storage) loses the
   * answer to "last by subject" once the subject's newest message was
   * deleted; then the newest one is found by a binary search with "next by
   * subject" (one request when the subject has no message at all).
   */
  async #lastMatching(filter: string): Promise<RawStored | null> {
    const direct = await this.#get({ last_by_subj: filter });
    if (direct) return direct;
    let best = await this.#get({ seq: 1, next_by_subj: filter });
    if (!best) return null;
    let lo = best.seq + 1;
    let hi = Math.max(this.#knownLast, await this.#refreshLast());
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const r = await this.#get({ seq: mid, next_by_subj: filter });
      if (r && r.seq <= hi) {
        best = r;
        lo = r.seq + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  // --- writing ---------------------------------------------------------------------

  #prepare(messages: unknown, onlyKey?: Buffer | null): OutMessage[] {
    const publisher = this.#publisher!;
    const maxPayload = this.#api.nc.info?.max_payload ?? 1024 * 1024;
    return prepareMessages(messages).map((p, i) => {
      const given = (messages as PublishMessage[])[i]!.key;
      if (onlyKey !== undefined && given !== undefined && keyId(p.key) !== keyId(onlyKey)) {
        throw invalidArgument(`messages[${i}].key must be absent or the key the append expects`);
      }
      const key = onlyKey !== undefined ? onlyKey : p.key;
      const subject = this.subjects.forKey(`messages[${i}].key`, key);
      const size = (p.value?.length ?? 0) + 256;
      if (size > maxPayload) {
        throw invalidArgument(
          `messages[${i}]: the value is ${p.value?.length ?? 0} bytes; this server takes messages of at most ${maxPayload} bytes with headers (max_payload); split the value`,
        );
      }
      return { subject, data: p.value ?? new Uint8Array(0), timeMicros: p.timeMicros, indexMicros: p.timeMicros, msgId: publisher.nextMsgId() };
    });
  }

  /**
   * Gives each message its index time: the running maximum of the message
   * times, starting at 0 as the local time index does (klevdb's index keeps
   * no time before the epoch, so a pre-epoch message is found from it).
   */
  async #chainIndexTimes(out: OutMessage[]): Promise<void> {
    if (!this.#c.timeIndex) return;
    if (this.#lastIndexMicros === undefined) {
      const last = await this.#lastMatching(this.subjects.all);
      this.#lastIndexMicros = last ? this.#decode(last).indexMicros : 0;
    }
    let max = this.#lastIndexMicros;
    for (const m of out) {
      if (m.timeMicros > max) max = m.timeMicros;
      m.indexMicros = max;
    }
  }

  #stored(out: OutMessage[], seqs: number[]): void {
    if (seqs.length === 0) return;
    if (this.#c.timeIndex && out.length > 0) this.#lastIndexMicros = out[seqs.length - 1]!.indexMicros;
    this.#fence = seqs[seqs.length - 1]!;
    this.#saw(this.#fence);
  }

  async publish(messages: PublishMessage[]): Promise<number> {
    const publisher = this.#ensureWritable();
    const out = this.#prepare(messages);
    if (out.length === 0) return this.nextOffset();
    return this.#run(() =>
      this.#serial(async () => {
        this.#ensureOpen();
        await this.#chainIndexTimes(out);
        try {
          const seqs = await publisher.publish(out, this.#c.singleWriter ? this.#fence : undefined);
          this.#stored(out, seqs);
          return seqs[seqs.length - 1]!;
        } catch (err) {
          this.#lastIndexMicros = undefined;
          throw err;
        }
      }),
    );
  }

  /**
   * Optimistic concurrency for one key (an event stream): appends `messages`
   * under `key` only if the key's newest message is still at
   * `expectedLastOffset` (null: the key has no message yet). The server
   * checks it (Nats-Expected-Last-Subject-Sequence), so two processes on two
   * machines cannot both append after the same version: one gets
   * `{ ok: false }` with the offset that is there now, and appends nothing.
   * The messages after the first are each checked against the one before, so
   * a batch is never interleaved with another writer's messages for the key;
   * servers before 2.12 have no atomic batch, so a batch can be cut short
   * (`stored` > 0) only by a writer that read the key in the middle of it.
   */
  async publishExpecting(
    key: Uint8Array | string,
    expectedLastOffset: number | null,
    messages: PublishMessage[],
  ): Promise<ExpectingResult> {
    const publisher = this.#ensureWritable();
    const k = checkKey('key', key);
    if (expectedLastOffset !== null && (typeof expectedLastOffset !== 'number' || !Number.isSafeInteger(expectedLastOffset) || expectedLastOffset < 0)) {
      throw invalidArgument(`expectedLastOffset must be an offset (an integer >= 0) or null for "the key has no message yet", got ${describeValue(expectedLastOffset)}`);
    }
    const out = this.#prepare(messages, k);
    const subject = this.subjects.forKey('key', k);
    return this.#run(() =>
      this.#serial(async (): Promise<ExpectingResult> => {
        this.#ensureOpen();
        const actual = async (): Promise<number | null> => {
          const last = await this.#lastMatching(subject);
          return last ? last.seq - 1 : null;
        };
        if (out.length === 0) {
          const now = await actual();
          return now === expectedLastOffset ? { ok: true, firstOffset: await this.#refreshLast(), nextOffset: this.#knownLast } : { ok: false, stored: 0, actualLastOffset: now };
        }
        await this.#chainIndexTimes(out);
        let r = await publisher.publishExpecting(out, { subjectLast: expectedLastOffset === null ? 0 : expectedLastOffset + 1 });
        if (r.conflict && r.seqs.length === 0) {
          // nats-server 2.9 refuses every subject-sequence check once the subject's newest
          // message was deleted. When the key really is where the caller expects it, the
          // same promise is made by expecting the whole stream not to have moved since.
          const streamLast = await this.#refreshLast();
          const now = await actual();
          if (now !== expectedLastOffset) return { ok: false, stored: 0, actualLastOffset: now };
          r = await publisher.publishExpecting(out, { streamLast });
        }
        this.#stored(out, r.seqs);
        if (r.conflict) {
          this.#lastIndexMicros = undefined;
          return { ok: false, stored: r.seqs.length, actualLastOffset: await actual() };
        }
        return { ok: true, firstOffset: r.seqs[0]! - 1, nextOffset: r.seqs[r.seqs.length - 1]! };
      }),
    );
  }

  async delete(offsets: Iterable<number>): Promise<DeleteResult> {
    this.#ensureWritable();
    const set = collectOffsets(offsets);
    if (set.size === 0) return { deleted: [], deletedSize: 0 };
    const sorted = [...set].sort((a, b) => a - b);
    if (sorted[0]! < 0) throw invalidOffset('invalid offset: delete relative offsets (OffsetOldest / OffsetNewest) is not possible');
    return this.#run(async () => {
      const info = await this.#info();
      const firstSeq = info.state.first_seq;
      const lastSeq = this.#knownLast;
      // Offsets past the end name nothing, as in the local log.
      while (sorted.length > 0 && sorted[sorted.length - 1]! >= lastSeq) sorted.pop();
      if (sorted.length === 0) return { deleted: [], deletedSize: 0 };
      const lo = sorted[0]!;
      const hi = sorted[sorted.length - 1]!;
      const found: Decoded[] = [];
      let coversHead = false;
      if (hi - lo + 1 <= 4 * sorted.length) {
        // Mostly contiguous: read the range. If it holds nothing but what goes and starts
        // at the stream's first message, one purge removes it all.
        let all = true;
        let offset = lo;
        while (offset <= hi) {
          const batch = await this.#readRange(this.subjects.all, offset, Math.min(READ_BATCH, hi - offset + 1), false);
          for (const d of batch.decoded) {
            if (d.message.offset > hi) break;
            if (set.has(d.message.offset)) found.push(d);
            else all = false;
          }
          if (batch.decoded.length === 0 || batch.nextOffset <= offset) break;
          offset = batch.nextOffset;
        }
        coversHead = all && lo + 1 <= firstSeq && found.length > 0;
      } else {
        await eachLimited(sorted, DELETE_CONCURRENCY, async (o) => {
          const raw = await this.#get({ seq: o + 1 }, true);
          if (this.#ours(raw)) found.push(this.#decode(raw));
        });
        found.sort((a, b) => a.message.offset - b.message.offset);
      }
      let deleted = found;
      if (coversHead) {
        await this.#api.purge(this.stream, { seq: found[found.length - 1]!.message.offset + 2 });
      } else {
        const gone = new Set<Decoded>();
        await eachLimited(found, DELETE_CONCURRENCY, async (d) => {
          if (!(await this.#api.deleteMsg(this.stream, d.message.offset + 1))) gone.add(d);
        });
        deleted = found.filter((d) => !gone.has(d));
      }
      return { deleted: deleted.map((d) => d.message), deletedSize: deleted.reduce((n, d) => n + d.size, 0) };
    });
  }

  /**
   * Makes `nextOffset` the log's next offset without storing messages, as if
   * the ones in between had been published and deleted (the mirror keeps
   * offsets aligned with it). An empty stream moves its first sequence with
   * one purge; otherwise placeholders are published on a reserved subject
   * and purged together. No-op when the log is already there.
   */
  async skipTo(nextOffset: number, timeMicros = 0): Promise<void> {
    const publisher = this.#ensureWritable();
    checkNonNegative('nextOffset', nextOffset);
    await this.#run(() =>
      this.#serial(async () => {
        const { state } = await this.#info();
        const missing = nextOffset - this.#knownLast;
        if (missing > 0 && state.messages === 0) {
          await this.#api.purge(this.stream, { seq: nextOffset + 1 });
        } else if (missing > 0) {
          const index = this.#lastIndexMicros ?? timeMicros;
          const out: OutMessage[] = Array.from({ length: missing }, () => ({
            subject: this.subjects.gap,
            data: new Uint8Array(0),
            timeMicros,
            indexMicros: Math.max(index, timeMicros),
            msgId: publisher.nextMsgId(),
          }));
          await publisher.publish(out);
        }
        if (state.num_subjects === undefined || state.num_subjects > 0) await this.#api.purge(this.stream, { filter: this.subjects.gap });
        this.#fence = Math.max(this.#fence, nextOffset);
        this.#saw(nextOffset);
      }),
    );
  }

  /** Removes every message before `offset` with one purge (OffsetNewest: all of them). Returns how many went. */
  async trimBefore(offset: number): Promise<number> {
    this.#ensureWritable();
    checkOffset('offset', offset);
    if (offset === OffsetOldest) return 0;
    return this.#run(async () => {
      const seq = offset === OffsetNewest ? (await this.#refreshLast()) + 1 : offset + 1;
      return this.#api.purge(this.stream, { seq });
    });
  }

  /** Keeps only the newest `count` messages (a purge with keep). Returns how many went. */
  async trimToCount(count: number): Promise<number> {
    this.#ensureWritable();
    checkNonNegative('count', count);
    return this.#run(() => this.#api.purge(this.stream, { keep: count }));
  }

  /**
   * Compaction of updates with one purge per key: without `before`, keeps
   * only the newest message of every key; with it, does what
   * compactUpdates(log, before) does (among the messages up to the first one
   * after `before`, only each key's newest stays), but removes each key's
   * older messages with a purge instead of deleting them one by one.
   * Returns how many messages went.
   */
  async compactUpdates(before?: Date): Promise<number> {
    this.#ensureWritable();
    if (before !== undefined) checkDate('before', before);
    return this.#run(async () => {
      let purged = 0;
      if (before === undefined) {
        const info = await this.#info(this.subjects.all);
        const many = Object.entries(info.state.subjects ?? {}).filter(([s, n]) => n > 1 && s !== this.subjects.gap);
        await eachLimited(many, 16, async ([filter]) => {
          purged += await this.#api.purge(this.stream, { filter, keep: 1 });
        });
        return purged;
      }
      const limit = before.getTime() * 1000;
      const newest = new Map<string, { subject: string; offset: number; count: number }>();
      let offset: number = OffsetOldest;
      scan: for (;;) {
        const r = await this.#readRange(this.subjects.all, offset, READ_BATCH, false);
        for (const { message: m } of r.decoded) {
          if (m.timeMicros > limit) break scan;
          const subject = this.subjects.forKey('key', m.key);
          const e = newest.get(subject);
          if (e) {
            e.offset = m.offset;
            e.count++;
          } else newest.set(subject, { subject, offset: m.offset, count: 1 });
        }
        if (r.decoded.length === 0 || r.nextOffset <= offset) break;
        offset = r.nextOffset;
      }
      const many = [...newest.values()].filter((e) => e.count > 1);
      await eachLimited(many, 16, async (e) => {
        purged += await this.#api.purge(this.stream, { filter: e.subject, seq: e.offset + 1 });
      });
      return purged;
    });
  }

  /** Sets the stream's retention limits (JetStream trims by them itself, as messages arrive). */
  async setLimits(limits: StreamLimits): Promise<void> {
    this.#ensureWritable();
    const cfg = limitsConfig(limits);
    await this.#run(async () => {
      const info = await this.#info();
      await this.#api.streamUpdate({ ...info.config, ...cfg });
    });
  }

  // --- reading -------------------------------------------------------------------------

  /**
   * Messages on `filter` from `offset` on, at most maxCount. For a key, a
   * first "next by subject" request finds where its next message is (or
   * that there is none) before any consumer is made.
   */
  async #readRange(filter: string, offset: number, maxCount: number, byKey: boolean): Promise<{ nextOffset: number; decoded: Decoded[] }> {
    if (offset === OffsetNewest) return { nextOffset: await this.#refreshLast(), decoded: [] };
    let last = this.#knownLast;
    if (offset > last) {
      last = await this.#refreshLast();
      if (offset > last) {
        if (byKey) return { nextOffset: last, decoded: [] };
        throw invalidOffset(`invalid offset: ${offset} is after the end of the log (next offset ${last})`);
      }
    }
    let start = offset === OffsetOldest ? 1 : offset + 1;
    if (start > last) {
      last = await this.#refreshLast();
      if (start > last) return { nextOffset: last, decoded: [] };
    }
    const decoded: Decoded[] = [];
    if (byKey) {
      const first = await this.#get({ seq: start, next_by_subj: filter });
      if (!first) return { nextOffset: Math.max(last, this.#knownLast), decoded };
      decoded.push(this.#decode(first));
      if (maxCount === 1) return { nextOffset: first.seq, decoded };
      start = first.seq + 1;
    }
    const want = maxCount - decoded.length;
    const raws = await this.#pull(filter, start, want, last);
    for (const raw of raws) decoded.push(this.#decode(raw));
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
    const giveUp = Date.now() + this.#c.retryForMs;
    for (let attempt = 0; ; attempt++) {
      const reader = await this.#pool.acquire(filter, start);
      try {
        for (;;) {
          const got = await reader.pull(want - out.length, this.#api.timeoutMs);
          out.push(...got);
          if (out.length >= want) return out;
          const seen = out.length > 0 ? out[out.length - 1]!.seq : start - 1;
          if (seen >= last) return out;
          // Short of what the stream holds: deleted messages, or a consumer that has not
          // taken in the newest ones yet (the server tells it a moment after acknowledging
          // them; on a cluster it may read a replica that is behind). The leader knows: what
          // it has is taken from it and the consumer moved past it.
          const missing = await this.#get({ seq: seen + 1, next_by_subj: filter }, true);
          if (!missing || missing.seq > last) return out;
          out.push(missing);
          reader.position = missing.seq + 1;
        }
      } catch (err) {
        if (this.#closing || !(err instanceof ApiError) || (attempt >= 1 && Date.now() > giveUp)) throw err;
        // The consumer is gone (server restart, leader change): start a new one where this one stood.
        start = out.length > 0 ? out[out.length - 1]!.seq + 1 : start;
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
      } finally {
        this.#pool.release(reader);
      }
    }
  }

  async consume(offset: number, maxCount: number): Promise<ConsumeResult> {
    checkOffset('offset', offset);
    checkCount('maxCount', maxCount);
    this.#ensureOpen();
    return this.#run(async () => {
      const r = await this.#readRange(this.subjects.all, offset, maxCount, false);
      return { nextOffset: r.nextOffset, messages: r.decoded.map((d) => d.message) };
    });
  }

  async consumeByKey(key: Uint8Array | string, offset: number, maxCount: number): Promise<ConsumeResult> {
    const k = checkKey('key', key);
    checkOffset('offset', offset);
    checkCount('maxCount', maxCount);
    this.#ensureOpen();
    this.#requireKeys();
    const subject = this.subjects.forKey('key', k);
    return this.#run(async () => {
      const r = await this.#readRange(subject, offset, maxCount, true);
      return { nextOffset: r.nextOffset, messages: r.decoded.map((d) => d.message) };
    });
  }

  async get(offset: number): Promise<Message> {
    checkInteger('offset', offset);
    this.#ensureOpen();
    return this.#run(async () => {
      if (offset === OffsetOldest || offset === OffsetNewest) {
        const raw = offset === OffsetOldest ? await this.#get({ seq: 1, next_by_subj: this.subjects.all }) : await this.#lastMatching(this.subjects.all);
        if (!raw) throw invalidOffset('invalid offset: the log is empty');
        return this.#decode(raw).message;
      }
      if (offset < 0) throw invalidOffset(`invalid offset: ${offset} is before the start of the log`);
      const raw = await this.#get({ seq: offset + 1 });
      if (this.#ours(raw)) return this.#decode(raw).message;
      const last = await this.#refreshLast();
      if (offset >= last) throw invalidOffset(`invalid offset: ${offset} is after the end of the log (next offset ${last})`);
      throw notFound(`not found: offset ${offset} was deleted`);
    });
  }

  async getByKey(key: Uint8Array | string): Promise<Message> {
    const k = checkKey('key', key);
    this.#ensureOpen();
    this.#requireKeys();
    const subject = this.subjects.forKey('key', k);
    return this.#run(async () => {
      const raw = await this.#lastMatching(subject);
      if (!raw) throw notFound(`not found: no message with key ${describeKey(k)}`);
      return this.#decode(raw).message;
    });
  }

  async offsetByKey(key: Uint8Array | string): Promise<number> {
    return (await this.getByKey(key)).offset;
  }

  /**
   * The first message whose index time (the running maximum of message
   * times, as the local time index keeps it) is at or after `start`: a
   * binary search over sequences, one request per step. With timeLookup
   * 'server', the first message the server received at or after `start`.
   */
  async getByTime(start: Date): Promise<Message> {
    checkDate('start', start);
    this.#ensureOpen();
    if (!this.#c.timeIndex) throw new LogError('ERR_NO_INDEX', 'no index by time: open the log with timeIndex: true');
    return this.#run(async () => {
      const info = await this.#info();
      if (info.state.messages === 0) throw invalidOffset('invalid offset: the log is empty');
      const found = this.#c.timeLookup === 'server' ? await this.#byServerTime(start) : await this.#byIndexTime(start, info);
      if (!found) throw notFound(`not found: no message at or after ${start.toISOString()}`);
      return found.message;
    });
  }

  async #byIndexTime(start: Date, info: StreamInfoJson): Promise<Decoded | null> {
    const ts = start.getTime() * 1000;
    let lo = info.state.first_seq;
    let hi = Math.max(info.state.last_seq, this.#knownLast);
    let answer: Decoded | null = null;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const raw = await this.#get({ seq: mid, next_by_subj: this.subjects.all });
      if (!this.#ours(raw) || raw.seq > hi) {
        hi = mid - 1;
        continue;
      }
      const d = this.#decode(raw);
      if (d.indexMicros >= ts) {
        answer = d;
        hi = mid - 1;
      } else lo = raw.seq + 1;
    }
    return answer;
  }

  async #byServerTime(start: Date): Promise<Decoded | null> {
    const info = await this.#api.consumerCreate(this.stream, {
      ack_policy: 'none',
      deliver_policy: 'by_start_time',
      opt_start_time: start.toISOString(),
      filter_subject: this.subjects.all,
      inactive_threshold: 10_000_000_000,
      mem_storage: true,
      num_replicas: 1,
    });
    const reader = Reader.adopt(this.#api, this.stream, this.subjects.all, info.name);
    try {
      const [raw] = await reader.pull(1, this.#api.timeoutMs);
      return raw ? this.#decode(raw) : null;
    } finally {
      await reader.destroy();
    }
  }

  async offsetByTime(start: Date): Promise<{ offset: number; time: Date }> {
    const m = await this.getByTime(start);
    return { offset: m.offset, time: m.time };
  }

  #requireKeys(): void {
    if (!this.#c.keyIndex) throw new LogError('ERR_NO_INDEX', 'no index by key: open the log with keyIndex: true');
  }

  // --- blocking ---------------------------------------------------------------------------

  async consumeBlocking(offset: number, maxCount: number, signal?: AbortSignal): Promise<ConsumeResult> {
    checkBlockingArgs('consumeBlocking', offset, maxCount, signal);
    this.#ensureOpen();
    await this.#notify.wait(offset, signal);
    return this.consume(offset, maxCount);
  }

  async consumeByKeyBlocking(key: Uint8Array | string, offset: number, maxCount: number, signal?: AbortSignal): Promise<ConsumeResult> {
    if (typeof key !== 'string' && !(key instanceof Uint8Array)) {
      throw invalidArgument('consumeByKeyBlocking: key must be a Uint8Array or a string');
    }
    checkBlockingArgs('consumeByKeyBlocking', offset, maxCount, signal);
    this.#ensureOpen();
    await this.#notify.wait(offset, signal);
    return this.consumeByKey(key, offset, maxCount);
  }

  // --- information -------------------------------------------------------------------------

  async nextOffset(): Promise<number> {
    this.#ensureOpen();
    return this.#run(() => this.#refreshLast());
  }

  /** What a message takes in the stream (exact for messages read from this log, estimated for others). */
  size(m: Message): number {
    if (typeof m !== 'object' || m === null) throw invalidArgument(`m must be a Message, got ${describeValue(m)}`);
    const known = this.#sizes.get(m);
    if (known !== undefined) return known;
    const key = toBytes('m.key', m.key);
    const value = toBytes('m.value', m.value);
    const subject = Buffer.byteLength(this.subjects.forKey('m.key', key));
    const header = `NATS/1.0\r\n${TIME_HEADER}: ${m.timeMicros}\r\nNats-Msg-Id: ${'x'.repeat(27)}\r\nNats-Expected-Last-Msg-Id: ${'x'.repeat(27)}\r\n\r\n`;
    return storedSize(this.#c.storage, subject, header.length, value?.length ?? 0);
  }

  async stat(): Promise<Stats> {
    this.#ensureOpen();
    return this.#run(async () => {
      const { state } = await this.#info();
      return { segments: 1, messages: state.messages, size: state.bytes };
    });
  }

  /** The stream's configuration and state as the server reports them. */
  async info(): Promise<StreamInfoJson> {
    this.#ensureOpen();
    return this.#run(() => this.#info());
  }

  /** A copy into a local log directory (created if missing; an older copy there is brought up to date). */
  async backup(dir: string): Promise<void> {
    checkString('dir', dir);
    this.#ensureOpen();
    const { open } = await import('../storage/log.js');
    const local = await open(dir, { createDirs: true, keyIndex: true, timeIndex: true });
    try {
      await mirror(this, local);
    } finally {
      await local.close();
    }
  }

  /** Acknowledged messages are stored by the stream's quorum: nothing to wait for. Returns the next offset. */
  async sync(): Promise<number> {
    return this.nextOffset();
  }

  /** Removes the read consumers unused for `unusedForMs`. */
  async gc(unusedForMs: number): Promise<void> {
    checkNonNegative('unusedForMs', unusedForMs, false);
    this.#ensureOpen();
    await this.#run(() => this.#pool.gc(unusedForMs));
  }

  close(): Promise<void> {
    this.#closing ??= this.#closeNow();
    return this.#closing;
  }

  async #closeNow(): Promise<void> {
    this.#notify.close();
    this.#tail.stop();
    // Publishes already sent finish (or time out) before the connection goes.
    await this.#writes;
    this.#inbox?.close();
    await Promise.race([this.#pool.close(), new Promise((r) => setTimeout(r, 1000).unref())]);
    if (this.#c.ownsConnection) await this.#api.nc.close().catch(() => undefined);
  }
}

export function limitsConfig(limits: StreamLimits): Partial<StreamInfoJson['config']> {
  if (typeof limits !== 'object' || limits === null) throw invalidArgument(`limits must be an object, got ${describeValue(limits)}`);
  const out: Partial<StreamInfoJson['config']> = {};
  if (limits.maxAgeMs !== undefined) out.max_age = Math.round(checkNonNegative('limits.maxAgeMs', limits.maxAgeMs) * 1e6);
  if (limits.maxMessages !== undefined) out.max_msgs = checkNonNegative('limits.maxMessages', limits.maxMessages) || -1;
  if (limits.maxBytes !== undefined) out.max_bytes = checkNonNegative('limits.maxBytes', limits.maxBytes) || -1;
  if (limits.maxMessagesPerKey !== undefined) out.max_msgs_per_subject = checkNonNegative('limits.maxMessagesPerKey', limits.maxMessagesPerKey) || -1;
  return out;
}

function describeKey(k: Buffer | null): string {
  if (!k) return '(empty)';
  const text = k.toString('utf8');
  return /^[\x20-\x7e]*$/.test(text) && text.length <= 64 ? JSON.stringify(text) : `0x${k.subarray(0, 32).toString('hex')}${k.length > 32 ? '…' : ''}`;
}
