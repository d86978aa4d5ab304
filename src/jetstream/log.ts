/**
 * A BlockingLog over a JetStream stream: offset = stream sequence - 1, one
 * subject per key (<prefix>.<base64url key>, '~' for the empty key), the
 * message time in a header. See docs/cluster.md "Moving to a cluster" for what
 * differs from the local log and why.
 *
 * This class is the lifecycle and the public face; the work is done by its
 * parts, each given the shared LogState: Writes (log-writes.ts), Reads
 * (log-reads.ts) and Retention (log-retention.ts).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { BlockingLog, ConsumeResult, DeleteResult, Message, PublishMessage, Stats } from '../storage/index.js';
import { checkBackupArg, checkGcArg, checkSizeArg } from '../storage/backend-kit.js';
import { type StreamInfoJson, TIME_HEADER } from './api.js';
import { Reads } from './log-reads.js';
import { Retention, type StreamLimits } from './log-retention.js';
import { type JetStreamLogConfig, LogState } from './log-state.js';
import { type ExpectingResult, Writes } from './log-writes.js';
import { storedSize } from './messages.js';
import { mirror } from './mirror.js';
import { ReaderPool } from './reader.js';
import { declareSkipsOffsets, type SkipsOffsets } from './skips-offsets.js';
import type { Subjects } from './subjects.js';
import { TailWatcher } from './tail.js';

export type { JetStreamLogConfig } from './log-state.js';
export type { ExpectingResult } from './log-writes.js';
export type { StreamLimits } from './log-retention.js';

export class JetStreamLog implements BlockingLog, SkipsOffsets {
  readonly stream: string;
  readonly subjects: Subjects;
  readonly #s: LogState;
  readonly #pool: ReaderPool;
  readonly #tail: TailWatcher;
  readonly #writes: Writes;
  readonly #reads: Reads;
  readonly #retention: Retention;

  constructor(config: JetStreamLogConfig) {
    const s = new LogState(config);
    this.#s = s;
    this.stream = config.stream;
    this.subjects = config.subjects;
    this.#writes = new Writes(s);
    this.#pool = new ReaderPool(config.api, config.stream);
    this.#reads = new Reads(s, this.#pool);
    this.#retention = new Retention(s, this.#reads);
    this.#tail = new TailWatcher(config.api, config.stream, config.subjects.all, {
      knownLast: () => s.knownLast,
      refreshLast: () => s.refreshLast(),
      seen: (seq) => s.saw(seq),
      closed: () => s.closed,
    });
    s.notify.observe(this.#tail);
    declareSkipsOffsets(this);
  }

  /** The NATS connection (shared with the caller when one was passed in). */
  get connection(): NatsConnection {
    return this.#s.api.nc;
  }

  get replicas(): number {
    return this.#s.config.replicas;
  }

  // --- writing and retention ---------------------------------------------------------

  publish(messages: PublishMessage[]): Promise<number> {
    return this.#writes.publish(messages);
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
  publishExpecting(
    key: Uint8Array | string,
    expectedLastOffset: number | null,
    messages: PublishMessage[],
  ): Promise<ExpectingResult> {
    return this.#writes.publishExpecting(key, expectedLastOffset, messages);
  }

  delete(offsets: Iterable<number>): Promise<DeleteResult> {
    return this.#retention.delete(offsets);
  }

  /**
   * Makes `nextOffset` the log's next offset without storing messages, as if
   * the ones in between had been published and deleted (the mirror keeps
   * offsets aligned with it). An empty stream moves its first sequence with
   * one purge; otherwise placeholders are published on a reserved subject
   * and purged together. No-op when the log is already there.
   */
  skipTo(nextOffset: number, timeMicros = 0): Promise<void> {
    return this.#writes.skipTo(nextOffset, timeMicros);
  }

  /** Removes every message before `offset` with one purge (OffsetNewest: all of them). Returns how many went. */
  trimBefore(offset: number): Promise<number> {
    return this.#retention.trimBefore(offset);
  }

  /** Keeps only the newest `count` messages (a purge with keep). Returns how many went. */
  trimToCount(count: number): Promise<number> {
    return this.#retention.trimToCount(count);
  }

  /**
   * Compaction of updates with one purge per key: without `before`, keeps
   * only the newest message of every key; with it, does what
   * compactUpdates(log, before) does (among the messages up to the first one
   * after `before`, only each key's newest stays), but removes each key's
   * older messages with a purge instead of deleting them one by one.
   * Returns how many messages went.
   */
  compactUpdates(before?: Date): Promise<number> {
    return this.#retention.compactUpdates(before);
  }

  /** Sets the stream's retention limits (JetStream trims by them itself, as messages arrive). */
  setLimits(limits: StreamLimits): Promise<void> {
    return this.#retention.setLimits(limits);
  }

  // --- reading -------------------------------------------------------------------------

  consume(offset: number, maxCount: number): Promise<ConsumeResult> {
    return this.#reads.consume(offset, maxCount);
  }

  consumeByKey(key: Uint8Array | string, offset: number, maxCount: number): Promise<ConsumeResult> {
    return this.#reads.consumeByKey(key, offset, maxCount);
  }

  get(offset: number): Promise<Message> {
    return this.#reads.get(offset);
  }

  getByKey(key: Uint8Array | string): Promise<Message> {
    return this.#reads.getByKey(key);
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
  getByTime(start: Date): Promise<Message> {
    return this.#reads.getByTime(start);
  }

  async offsetByTime(start: Date): Promise<{ offset: number; time: Date }> {
    const m = await this.getByTime(start);
    return { offset: m.offset, time: m.time };
  }

  consumeBlocking(offset: number, maxCount: number, signal?: AbortSignal): Promise<ConsumeResult> {
    return this.#reads.consumeBlocking(offset, maxCount, signal);
  }

  consumeByKeyBlocking(
    key: Uint8Array | string,
    offset: number,
    maxCount: number,
    signal?: AbortSignal,
  ): Promise<ConsumeResult> {
    return this.#reads.consumeByKeyBlocking(key, offset, maxCount, signal);
  }

  // --- information -------------------------------------------------------------------------

  nextOffset(): Promise<number> {
    return this.#s.nextOffset();
  }

  /** What a message takes in the stream (exact for messages read from this log, estimated for others). */
  size(m: Message): number {
    const { key, value } = checkSizeArg(m);
    const known = this.#s.sizeOf(m);
    if (known !== undefined) return known;
    const subject = Buffer.byteLength(this.subjects.forKey('m.key', key));
    const header = `NATS/1.0\r\n${TIME_HEADER}: ${m.timeMicros}\r\nNats-Msg-Id: ${'x'.repeat(27)}\r\nNats-Expected-Last-Msg-Id: ${'x'.repeat(27)}\r\n\r\n`;
    return storedSize(this.#s.config.storage, subject, header.length, value?.length ?? 0);
  }

  async stat(): Promise<Stats> {
    this.#s.ensureOpen();
    return this.#s.run(async () => {
      const { state } = await this.#s.info();
      return { segments: 1, messages: state.messages, size: state.bytes };
    });
  }

  /** The stream's configuration and state as the server reports them. */
  async info(): Promise<StreamInfoJson> {
    this.#s.ensureOpen();
    return this.#s.run(() => this.#s.info());
  }

  // --- lifecycle -------------------------------------------------------------------------

  /** A copy into a local log directory (created if missing; an older copy there is brought up to date). */
  async backup(dir: string): Promise<void> {
    checkBackupArg(dir);
    this.#s.ensureOpen();
    const { open } = await import('../storage/index.js');
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
    checkGcArg(unusedForMs);
    this.#s.ensureOpen();
    await this.#s.run(() => this.#pool.gc(unusedForMs));
  }

  close(): Promise<void> {
    return this.#s.close(() => this.#closeNow());
  }

  async #closeNow(): Promise<void> {
    this.#s.notify.close();
    this.#tail.stop();
    // Publishes already sent finish (or time out) before the connection goes.
    await this.#writes.close();
    await Promise.race([this.#pool.close(), new Promise((r) => setTimeout(r, 1000).unref())]);
    if (this.#s.config.ownsConnection) await this.#s.api.nc.close().catch(() => undefined);
  }
}
