/**
 * Publishing to a stream: many messages in flight on one reply inbox (the
 * client's per-request machinery is several times slower), each with a
 * Nats-Msg-Id so a resend after a lost acknowledgement is dropped by the
 * server's duplicate window instead of stored twice, and each expecting the
 * previous one of its batch to be the stream's last message
 * (Nats-Expected-Last-Msg-Id), so a batch is stored in order even when a
 * message in the middle has to be sent again.
 */
import { createInbox, headers, nuid } from './nats.js';
import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { INDEX_TIME_HEADER, TIME_HEADER } from './api.js';
import { LogError } from '../storage/index.js';
import { ApiError, ErrCode, JetStreamError, isConnectionClosed, isRetryable } from './errors.js';

export interface OutMessage {
  subject: string;
  data: Uint8Array;
  timeMicros: number;
  /** Written only when it differs from timeMicros. */
  indexMicros: number;
  msgId: string;
}

export type Ack = { ok: true; seq: number; duplicate: boolean } | { ok: false; error: unknown };

interface Waiting {
  resolve: (ack: Ack) => void;
  deadline: number;
}

/** Publishes with replies to one wildcard inbox; acknowledgements time out by a sweep, not a timer each. */
export class AckInbox {
  readonly #prefix = createInbox();
  #next = 0;
  readonly #waiting = new Map<string, Waiting>();
  readonly #sub: Subscription;
  #sweep: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.#sub = nc.subscribe(`${this.#prefix}.*`, { callback: (_err, m) => this.#onReply(m) });
  }

  send(subject: string, data: Uint8Array, hdrs: MsgHdrs): Promise<Ack> {
    const token = (this.#next++).toString(36);
    return new Promise<Ack>((resolve) => {
      this.#waiting.set(token, { resolve, deadline: Date.now() + this.timeoutMs });
      this.#arm();
      try {
        this.nc.publish(subject, data, { headers: hdrs, reply: `${this.#prefix}.${token}` });
      } catch (error) {
        this.#waiting.delete(token);
        resolve({ ok: false, error });
      }
    });
  }

  #onReply(m: Msg | null): void {
    if (!m) return;
    const token = m.subject.slice(this.#prefix.length + 1);
    const w = this.#waiting.get(token);
    if (!w) return;
    this.#waiting.delete(token);
    w.resolve(parseAck(m));
  }

  #arm(): void {
    if (this.#sweep) return;
    this.#sweep = setInterval(() => {
      const now = Date.now();
      for (const [token, w] of this.#waiting) {
        if (w.deadline <= now) {
          this.#waiting.delete(token);
          w.resolve({ ok: false, error: new ApiError(408, 0, `no acknowledgement within ${this.timeoutMs} ms`) });
        }
      }
      if (this.#waiting.size === 0) {
        clearInterval(this.#sweep);
        this.#sweep = undefined;
      }
    }, 50);
    this.#sweep.unref?.();
  }

  close(): void {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
    // Internal: toPublicError turns this into LogError ERR_CLOSED before a caller sees it.
    for (const w of this.#waiting.values()) w.resolve({ ok: false, error: new Error('connection closed') });
    this.#waiting.clear();
    try {
      this.#sub.unsubscribe();
    } catch {
      // the connection is already gone
    }
  }
}

const decoder = new TextDecoder();
const PLAIN_ACK = /^\{"stream":"[^"]*",(?:"domain":"[^"]*",)?"seq":(\d+)(,"duplicate":true)?\}$/;

function parseAck(m: Msg): Ack {
  const status = m.headers?.code ?? 0;
  if (status >= 400 || (status > 0 && m.data.length === 0)) {
    return { ok: false, error: new ApiError(status, 0, m.headers?.description || `status ${status}`) };
  }
  try {
    const text = decoder.decode(m.data);
    const plain = PLAIN_ACK.exec(text);
    if (plain) return { ok: true, seq: Number(plain[1]), duplicate: plain[2] !== undefined };
    const j = JSON.parse(text) as {
      seq?: number;
      duplicate?: boolean;
      error?: { code: number; err_code?: number; description?: string };
    };
    if (j.error)
      return { ok: false, error: new ApiError(j.error.code, j.error.err_code ?? 0, j.error.description ?? 'error') };
    if (typeof j.seq !== 'number')
      return { ok: false, error: new ApiError(500, 0, 'acknowledgement without a sequence') };
    return { ok: true, seq: j.seq, duplicate: j.duplicate === true };
  } catch (error) {
    return { ok: false, error };
  }
}

export interface PublisherOptions {
  /** Messages in flight at once. */
  window: number;
  /** How long to keep resending a message the server did not acknowledge (same Nats-Msg-Id). */
  retryForMs: number;
}

/** The outcome of publishExpecting: how many went in, and the conflict that stopped the rest. */
export interface ExpectingOutcome {
  seqs: number[];
  conflict?: ApiError;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const backoff = (attempt: number): number => Math.min(1000, 25 * 2 ** attempt);

export class Publisher {
  /** Id of the newest message this publisher stored: the next batch expects it to be the stream's last. */
  lastMsgId: string | null = null;
  readonly #writer = nuid.next();
  #counter = 0;

  constructor(
    readonly inbox: AckInbox,
    private readonly opts: PublisherOptions,
  ) {}

  /** A stream-wide unique Nats-Msg-Id for the next message. */
  nextMsgId(): string {
    return `${this.#writer}.${(this.#counter++).toString(36)}`;
  }

  /**
   * The client encodes headers when publish is called, so one header object
   * is filled again for every message instead of making one each.
   */
  readonly #h = headers();
  #expectKeys: string[] = [];

  #headers(m: OutMessage, expect: Record<string, string>): MsgHdrs {
    const h = this.#h;
    for (const k of this.#expectKeys) h.delete(k);
    h.set(TIME_HEADER, String(m.timeMicros));
    if (m.indexMicros !== m.timeMicros) h.set(INDEX_TIME_HEADER, String(m.indexMicros));
    else h.delete(INDEX_TIME_HEADER);
    h.set('Nats-Msg-Id', m.msgId);
    this.#expectKeys = Object.keys(expect);
    for (const k of this.#expectKeys) h.set(k, expect[k]!);
    return h;
  }

  #send(m: OutMessage, expect: Record<string, string>): Promise<Ack> {
    return this.inbox.send(m.subject, m.data, this.#headers(m, expect));
  }

  /**
   * Stores the messages in order; returns their sequences. Messages are sent
   * `window` at a time; the first one that fails is sent again (with every
   * one after it) while the failure is retryable and retryForMs has not run
   * out. When another writer got in between, the chain starts again at the
   * failed message, so the batch stays in order but is no longer contiguous.
   * With `fence` (a stream sequence), the first message expects the stream
   * to end there and no other writer may come in between: a conflict is
   * ERR_LOCKED instead of a new chain.
   */
  async publish(items: OutMessage[], fence?: number): Promise<number[]> {
    const n = items.length;
    const seqs = new Array<number>(n);
    const acks = new Array<Promise<Ack>>(n);
    let rebaseAt = -1;
    const expectFor = (j: number): Record<string, string> => {
      if (j === 0 && fence !== undefined) return { 'Nats-Expected-Last-Sequence': String(fence) };
      const prev = j === rebaseAt ? null : j === 0 ? this.lastMsgId : items[j - 1]!.msgId;
      return prev === null ? {} : { 'Nats-Expected-Last-Msg-Id': prev };
    };
    let done = 0;
    let sent = 0;
    let attempt = 0;
    const deadline = Date.now() + this.opts.retryForMs;
    while (done < n) {
      // Refill in chunks: the client writes what is queued in one go, so half a window
      // at a time makes a few large socket writes instead of one per acknowledgement.
      if (sent - done <= this.opts.window / 2) {
        while (sent < n && sent - done < this.opts.window) {
          acks[sent] = this.#send(items[sent]!, expectFor(sent));
          sent++;
        }
      }
      const ack = await acks[done]!;
      if (ack.ok) {
        seqs[done++] = ack.seq;
        attempt = 0;
        continue;
      }
      // Everything sent after the failed message is sent again (duplicates are acknowledged with their sequence).
      await Promise.all(acks.slice(done, sent));
      sent = done;
      const err = ack.error;
      if (
        fence !== undefined &&
        err instanceof ApiError &&
        (err.errCode === ErrCode.WrongLastMsgId || err.errCode === ErrCode.WrongLastSequence)
      ) {
        throw new LogError(
          'ERR_LOCKED',
          `publish: another writer wrote to the stream since this log's last write (${err.description}); ${done} of ${n} messages are stored, the rest are not`,
        );
      }
      if (err instanceof ApiError && err.errCode === ErrCode.WrongLastMsgId && rebaseAt !== done) {
        rebaseAt = done;
        continue;
      }
      if (isRetryable(err) && !isConnectionClosed(err) && Date.now() < deadline) {
        await sleep(backoff(attempt++));
        continue;
      }
      throw publishFailure(err, done, n);
    }
    if (n > 0) this.lastMsgId = items[n - 1]!.msgId;
    return seqs;
  }

  /**
   * Stores the messages one after another, the first expecting its subject's
   * last sequence to be `expect` (or, with `streamLast`, the stream's last
   * sequence), each next one expecting the one before. Stops at the first
   * conflict and says how many went in.
   */
  async publishExpecting(
    items: OutMessage[],
    expect: { subjectLast: number } | { streamLast: number },
  ): Promise<ExpectingOutcome> {
    const seqs: number[] = [];
    const deadline = Date.now() + this.opts.retryForMs;
    for (let i = 0; i < items.length; i++) {
      const header: Record<string, string> =
        i > 0
          ? { 'Nats-Expected-Last-Subject-Sequence': String(seqs[i - 1]) }
          : 'subjectLast' in expect
            ? { 'Nats-Expected-Last-Subject-Sequence': String(expect.subjectLast) }
            : { 'Nats-Expected-Last-Sequence': String(expect.streamLast) };
      for (let attempt = 0; ; attempt++) {
        const ack = await this.#send(items[i]!, header);
        if (ack.ok) {
          seqs.push(ack.seq);
          this.lastMsgId = items[i]!.msgId;
          break;
        }
        const err = ack.error;
        if (err instanceof ApiError && err.errCode === ErrCode.WrongLastSequence) return { seqs, conflict: err };
        if (isRetryable(err) && !isConnectionClosed(err) && Date.now() < deadline) {
          await sleep(backoff(attempt));
          continue;
        }
        throw publishFailure(err, i, items.length);
      }
    }
    return { seqs };
  }
}

function publishFailure(err: unknown, stored: number, total: number): Error {
  if (isConnectionClosed(err)) return err as Error;
  const why =
    err instanceof ApiError
      ? `${err.description} (JetStream ${err.status}/${err.errCode})`
      : String((err as Error)?.message ?? err);
  return new JetStreamError(
    `publish: ${stored} of ${total} messages are stored; the next one failed: ${why}. The rest may or may not be stored.`,
    { cause: err },
    stored,
  );
}
