/**
 * What the parts of a JetStreamLog (writes, reads, retention) share: the
 * stream's newest known sequence and the waiters on it, whether the log is
 * open, and the one-message lookups every part makes. Each part gets this
 * object, never the log itself.
 */
import type { Message } from '../storage/index.js';
import { OffsetNotify, closedLog, readonlyLog } from '../storage/backend-kit.js';
import type { Api, MsgQuery, RawStored, StreamInfoJson } from './api.js';
import { toPublicError } from './errors.js';
import { decode, type Decoded, type StorageKind } from './messages.js';
import type { Subjects } from './subjects.js';

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

export class LogState {
  readonly config: JetStreamLogConfig;
  readonly api: Api;
  readonly stream: string;
  readonly subjects: Subjects;
  /** Wakes blocking consumes as the known last sequence moves. */
  readonly notify: OffsetNotify;
  readonly #sizes = new WeakMap<Message, number>();
  #knownLast: number;
  #closing: Promise<void> | null = null;

  constructor(config: JetStreamLogConfig) {
    this.config = config;
    this.api = config.api;
    this.stream = config.stream;
    this.subjects = config.subjects;
    this.#knownLast = config.lastSeq;
    this.notify = new OffsetNotify(config.lastSeq);
  }

  // --- open or closed -----------------------------------------------------------

  get closed(): boolean {
    return this.#closing !== null;
  }

  /** Starts closing with `closeNow` the first time; every call returns the same promise. */
  close(closeNow: () => Promise<void>): Promise<void> {
    this.#closing ??= closeNow();
    return this.#closing;
  }

  what(): string {
    return `JetStream log ${this.stream}`;
  }

  ensureOpen(): void {
    if (this.#closing) throw closedLog(this.what());
  }

  ensureWritable(): void {
    this.ensureOpen();
    if (this.config.readonly) throw readonlyLog(this.what());
  }

  /** Runs a request, turning what fails into the public errors. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toPublicError(err, this.#closing !== null, this.what());
    }
  }

  // --- the stream's end ----------------------------------------------------------

  /** The newest sequence known so far. */
  get knownLast(): number {
    return this.#knownLast;
  }

  /** A message with this sequence exists (or existed). */
  saw(seq: number): void {
    if (seq > this.#knownLast) this.#knownLast = seq;
    this.notify.set(this.#knownLast);
  }

  async info(subjectsFilter?: string): Promise<StreamInfoJson> {
    const info = await this.api.streamInfo(this.stream, subjectsFilter);
    this.saw(info.state.last_seq);
    return info;
  }

  /**
   * The stream's last sequence, never less than one seen before: a replica
   * that restarted may answer for a moment with what it had then.
   */
  async refreshLast(): Promise<number> {
    await this.info();
    return this.#knownLast;
  }

  nextOffset(): Promise<number> {
    this.ensureOpen();
    return this.run(() => this.refreshLast());
  }

  // --- single messages --------------------------------------------------------------

  decode(raw: RawStored): Decoded {
    const d = decode(raw, this.subjects, this.config.storage);
    this.#sizes.set(d.message, d.size);
    if (raw.seq > this.#knownLast) this.saw(raw.seq);
    return d;
  }

  /** The stored size of a message this log decoded, or undefined for any other. */
  sizeOf(m: Message): number | undefined {
    return this.#sizes.get(m);
  }

  /** The message is one of the log's (not another prefix's, not a placeholder). */
  ours(raw: RawStored | null): raw is RawStored {
    return raw !== null && raw.subject.startsWith(`${this.subjects.prefix}.`) && raw.subject !== this.subjects.gap;
  }

  get(query: MsgQuery, consistent = this.config.consistentReads): Promise<RawStored | null> {
    return this.api.getMsg(this.stream, query, !consistent);
  }

  /**
   * The newest message on `filter`. nats-server 2.9 (file storage) loses the
   * answer to "last by subject" once the subject's newest message was
   * deleted; then the newest one is found by a binary search with "next by
   * subject" (one request when the subject has no message at all).
   */
  async lastMatching(filter: string): Promise<RawStored | null> {
    const direct = await this.get({ last_by_subj: filter });
    if (direct) return direct;
    let best = await this.get({ seq: 1, next_by_subj: filter });
    if (!best) return null;
    let lo = best.seq + 1;
    let hi = Math.max(this.#knownLast, await this.refreshLast());
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const r = await this.get({ seq: mid, next_by_subj: filter });
      if (r && r.seq <= hi) {
        best = r;
        lo = r.seq + 1;
      } else hi = mid - 1;
    }
    return best;
  }
}
