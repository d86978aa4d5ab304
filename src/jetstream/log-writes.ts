/**
 * A JetStreamLog's writes: publish, publishExpecting (optimistic concurrency
 * for one key) and skipTo, run one at a time so that the index-time chain and
 * the single-writer fence follow the order the stream stores them in.
 */
import type { PublishMessage } from '../storage/index.js';
import {
  invalidArgument,
  prepareMessages,
  keyId,
  checkKey,
  checkNonNegative,
  describeValue,
} from '../storage/backend-kit.js';
import type { LogState } from './log-state.js';
import { AckInbox, type OutMessage, Publisher } from './publisher.js';

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

export class Writes {
  readonly #s: LogState;
  readonly #inbox: AckInbox | null;
  readonly #publisher: Publisher | null;
  /** The stream's last sequence after this log's newest write (at first: when it was opened); see singleWriter. */
  #fence: number;
  /** The index time of the newest message, for the next publish's chain; undefined until read. */
  #lastIndexMicros: number | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(state: LogState) {
    const c = state.config;
    this.#s = state;
    this.#fence = c.lastSeq;
    this.#inbox = c.readonly ? null : new AckInbox(c.api.nc, c.api.timeoutMs);
    this.#publisher = this.#inbox
      ? new Publisher(this.#inbox, { window: c.publishWindow, retryForMs: c.retryForMs })
      : null;
  }

  /** Waits for the publishes already sent to finish (or time out), then stops taking acknowledgements. */
  async close(): Promise<void> {
    await this.#queue;
    this.#inbox?.close();
  }

  #writable(): Publisher {
    this.#s.ensureWritable();
    return this.#publisher!;
  }

  /** Runs publishes (and the other writes that depend on their order) one at a time. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#queue.then(fn, fn);
    this.#queue = p.catch(() => undefined);
    return p;
  }

  #prepare(messages: unknown, onlyKey?: Buffer | null): OutMessage[] {
    const publisher = this.#publisher!;
    const maxPayload = this.#s.api.nc.info?.max_payload ?? 1024 * 1024;
    return prepareMessages(messages).map((p, i) => {
      const given = (messages as PublishMessage[])[i]!.key;
      if (onlyKey !== undefined && given !== undefined && keyId(p.key) !== keyId(onlyKey)) {
        throw invalidArgument(`messages[${i}].key must be absent or the key the append expects`);
      }
      const key = onlyKey !== undefined ? onlyKey : p.key;
      const subject = this.#s.subjects.forKey(`messages[${i}].key`, key);
      const size = (p.value?.length ?? 0) + 256;
      if (size > maxPayload) {
        throw invalidArgument(
          `messages[${i}]: the value is ${p.value?.length ?? 0} bytes; this server takes messages of at most ${maxPayload} bytes with headers (max_payload); split the value`,
        );
      }
      return {
        subject,
        data: p.value ?? new Uint8Array(0),
        timeMicros: p.timeMicros,
        indexMicros: p.timeMicros,
        msgId: publisher.nextMsgId(),
      };
    });
  }

  /**
   * Gives each message its index time: the running maximum of the message
   * times, starting at 0 as the local time index does (klevdb's index keeps
   * no time before the epoch, so a pre-epoch message is found from it).
   */
  async #chainIndexTimes(out: OutMessage[]): Promise<void> {
    if (!this.#s.config.timeIndex) return;
    if (this.#lastIndexMicros === undefined) {
      const last = await this.#s.lastMatching(this.#s.subjects.all);
      this.#lastIndexMicros = last ? this.#s.decode(last).indexMicros : 0;
    }
    let max = this.#lastIndexMicros;
    for (const m of out) {
      if (m.timeMicros > max) max = m.timeMicros;
      m.indexMicros = max;
    }
  }

  #stored(out: OutMessage[], seqs: number[]): void {
    if (seqs.length === 0) return;
    if (this.#s.config.timeIndex && out.length > 0) this.#lastIndexMicros = out[seqs.length - 1]!.indexMicros;
    this.#fence = seqs[seqs.length - 1]!;
    this.#s.saw(this.#fence);
  }

  async publish(messages: PublishMessage[]): Promise<number> {
    const publisher = this.#writable();
    const out = this.#prepare(messages);
    if (out.length === 0) return this.#s.nextOffset();
    return this.#s.run(() =>
      this.#serial(async () => {
        this.#s.ensureOpen();
        await this.#chainIndexTimes(out);
        try {
          const seqs = await publisher.publish(out, this.#s.config.singleWriter ? this.#fence : undefined);
          this.#stored(out, seqs);
          return seqs[seqs.length - 1]!;
        } catch (err) {
          this.#lastIndexMicros = undefined;
          throw err;
        }
      }),
    );
  }

  /** See JetStreamLog.publishExpecting. */
  async publishExpecting(
    key: Uint8Array | string,
    expectedLastOffset: number | null,
    messages: PublishMessage[],
  ): Promise<ExpectingResult> {
    const publisher = this.#writable();
    const k = checkKey('key', key);
    if (
      expectedLastOffset !== null &&
      (typeof expectedLastOffset !== 'number' || !Number.isSafeInteger(expectedLastOffset) || expectedLastOffset < 0)
    ) {
      throw invalidArgument(
        `expectedLastOffset must be an offset (an integer >= 0) or null for "the key has no message yet", got ${describeValue(expectedLastOffset)}`,
      );
    }
    const out = this.#prepare(messages, k);
    const subject = this.#s.subjects.forKey('key', k);
    return this.#s.run(() =>
      this.#serial(async (): Promise<ExpectingResult> => {
        this.#s.ensureOpen();
        const actual = async (): Promise<number | null> => {
          const last = await this.#s.lastMatching(subject);
          return last ? last.seq - 1 : null;
        };
        if (out.length === 0) {
          const now = await actual();
          return now === expectedLastOffset
            ? { ok: true, firstOffset: await this.#s.refreshLast(), nextOffset: this.#s.knownLast }
            : { ok: false, stored: 0, actualLastOffset: now };
        }
        await this.#chainIndexTimes(out);
        let r = await publisher.publishExpecting(out, {
          subjectLast: expectedLastOffset === null ? 0 : expectedLastOffset + 1,
        });
        if (r.conflict && r.seqs.length === 0) {
          // nats-server 2.9 refuses every subject-sequence check once the subject's newest
          // message was deleted. When the key really is where the caller expects it, the
          // same promise is made by expecting the whole stream not to have moved since.
          const streamLast = await this.#s.refreshLast();
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

  /** See JetStreamLog.skipTo. */
  async skipTo(nextOffset: number, timeMicros = 0): Promise<void> {
    const publisher = this.#writable();
    checkNonNegative('nextOffset', nextOffset);
    const s = this.#s;
    await s.run(() =>
      this.#serial(async () => {
        const { state } = await s.info();
        const missing = nextOffset - s.knownLast;
        if (missing > 0 && state.messages === 0) {
          await s.api.purge(s.stream, { seq: nextOffset + 1 });
        } else if (missing > 0) {
          const index = this.#lastIndexMicros ?? timeMicros;
          const out: OutMessage[] = Array.from({ length: missing }, () => ({
            subject: s.subjects.gap,
            data: new Uint8Array(0),
            timeMicros,
            indexMicros: Math.max(index, timeMicros),
            msgId: publisher.nextMsgId(),
          }));
          await publisher.publish(out);
        }
        if (state.num_subjects === undefined || state.num_subjects > 0)
          await s.api.purge(s.stream, { filter: s.subjects.gap });
        this.#fence = Math.max(this.#fence, nextOffset);
        s.saw(nextOffset);
      }),
    );
  }
}
