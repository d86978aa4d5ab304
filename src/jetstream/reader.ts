/**
 * Range reads through pull consumers: an ephemeral, unacknowledged, in-memory
 * consumer from a start sequence (optionally filtered to one key's subject),
 * pulled with no_wait so a read returns what is stored now and never waits.
 * A reader remembers where it stands, so the next consume that starts there
 * (the usual "consume from the nextOffset you were given") pulls from the
 * same consumer instead of creating one.
 */
import { createInbox } from './nats.js';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { type Api, fromDelivered, nanosOf, type RawStored } from './api.js';
import { ApiError } from './errors.js';

/** Consumers nobody pulls from for this long are removed by the server. */
const INACTIVE_MS = 60_000;
/** A reader idle for longer is not trusted to still exist and is replaced. */
const REUSE_WITHIN_MS = 20_000;

export class Reader {
  /** The stream sequence the next delivered message will have at least. */
  position: number;
  lastUsed = Date.now();
  broken = false;
  #sub: Subscription | null = null;
  readonly #inbox = createInbox();
  #collect: ((m: Msg) => void) | null = null;
  #cancel: ((err: Error) => void) | null = null;

  private constructor(
    private readonly api: Api,
    readonly stream: string,
    readonly filter: string,
    readonly name: string,
    startSeq: number,
  ) {
    this.position = startSeq;
  }

  static async create(api: Api, stream: string, filter: string, startSeq: number): Promise<Reader> {
    const info = await api.consumerCreate(stream, {
      ack_policy: 'none',
      deliver_policy: 'by_start_sequence',
      opt_start_seq: Math.max(1, startSeq),
      filter_subject: filter,
      inactive_threshold: nanosOf(INACTIVE_MS),
      mem_storage: true,
      num_replicas: 1,
      replay_policy: 'instant',
    });
    return new Reader(api, stream, filter, info.name, Math.max(1, startSeq));
  }

  /** A reader over a consumer made elsewhere. */
  static adopt(api: Api, stream: string, filter: string, name: string): Reader {
    return new Reader(api, stream, filter, name, 0);
  }

  get reusable(): boolean {
    return !this.broken && Date.now() - this.lastUsed < REUSE_WITHIN_MS;
  }

  #subscription(nc: NatsConnection): void {
    if (this.#sub) return;
    this.#sub = nc.subscribe(this.#inbox, { callback: (_err, m) => m && this.#collect?.(m) });
  }

  /**
   * Up to `batch` messages from the reader's position. With `waitMs`, waits
   * up to that long for at least one (then returns at once); without, returns
   * what is stored now. Rejects, and marks the reader broken, when the server
   * does not answer or the consumer is gone.
   */
  pull(batch: number, timeoutMs: number, waitMs?: number): Promise<RawStored[]> {
    this.#subscription(this.api.nc);
    this.lastUsed = Date.now();
    const out: RawStored[] = [];
    const request = waitMs === undefined ? { batch, no_wait: true } : { batch: 1, expires: nanosOf(waitMs) };
    const want = waitMs === undefined ? batch : 1;
    return new Promise<RawStored[]>((resolve, reject) => {
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        this.#collect = null;
        this.#cancel = null;
        this.lastUsed = Date.now();
        if (err) {
          this.broken = true;
          reject(err);
        } else resolve(out);
      };
      const timer = setTimeout(
        () =>
          finish(new ApiError(408, 0, `consumer ${this.name} did not answer within ${timeoutMs + (waitMs ?? 0)} ms`)),
        timeoutMs + (waitMs ?? 0),
      );
      this.#cancel = finish;
      this.#collect = (m) => {
        const status = m.headers?.code ?? 0;
        if (status === 0 || m.reply) {
          const raw = fromDelivered(m);
          // A replica that resets while catching up may hand out again what this reader
          // already returned: only ever move forward.
          if (raw.seq < this.position) return;
          out.push(raw);
          this.position = raw.seq + 1;
          if (out.length >= want) finish();
          return;
        }
        if (status === 100) return; // heartbeat
        if (status === 404 || status === 408) return finish();
        finish(new ApiError(status, 0, `consumer ${this.name}: ${m.headers?.description ?? 'error'}`));
      };
      try {
        this.api.nc.publish(
          `${this.api.prefix}.CONSUMER.MSG.NEXT.${this.stream}.${this.name}`,
          JSON.stringify(request),
          { reply: this.#inbox },
        );
      } catch (err) {
        finish(err as Error);
      }
    });
  }

  /** Unsubscribes and deletes the consumer (best effort: the server drops it when inactive anyway). */
  async destroy(): Promise<void> {
    this.broken = true;
    this.#cancel?.(new ApiError(499, 0, `consumer ${this.name} was stopped`));
    try {
      this.#sub?.unsubscribe();
    } catch {
      // connection gone
    }
    this.#sub = null;
    await this.api.consumerDelete(this.stream, this.name).catch(() => undefined);
  }
}

/** Idle readers by filter, to be taken again by a read that starts where one stands. */
export class ReaderPool {
  readonly #idle = new Map<string, Reader[]>();
  readonly #busy = new Set<Reader>();
  #size = 0;

  constructor(
    private readonly api: Api,
    private readonly stream: string,
    private readonly max = 16,
  ) {}

  async acquire(filter: string, startSeq: number): Promise<Reader> {
    const list = this.#idle.get(filter);
    if (list) {
      const i = list.findIndex((r) => r.position === startSeq && r.reusable);
      if (i >= 0) {
        const [r] = list.splice(i, 1);
        this.#size--;
        this.#busy.add(r);
        return r;
      }
    }
    const r = await Reader.create(this.api, this.stream, filter, startSeq);
    this.#busy.add(r);
    return r;
  }

  release(r: Reader): void {
    this.#busy.delete(r);
    if (r.broken) {
      void r.destroy();
      return;
    }
    const list = this.#idle.get(r.filter) ?? [];
    list.push(r);
    this.#idle.set(r.filter, list);
    this.#size++;
    while (this.#size > this.max) this.#evictOldest();
  }

  #evictOldest(): void {
    let oldest: Reader | undefined;
    for (const list of this.#idle.values())
      for (const r of list) if (!oldest || r.lastUsed < oldest.lastUsed) oldest = r;
    if (!oldest) return;
    const list = this.#idle.get(oldest.filter)!;
    list.splice(list.indexOf(oldest), 1);
    if (list.length === 0) this.#idle.delete(oldest.filter);
    this.#size--;
    void oldest.destroy();
  }

  /** Destroys idle readers unused for at least `ms`. */
  async gc(ms: number): Promise<void> {
    const now = Date.now();
    const gone: Reader[] = [];
    for (const [filter, list] of this.#idle) {
      const keep = list.filter((r) => now - r.lastUsed < ms);
      gone.push(...list.filter((r) => now - r.lastUsed >= ms));
      if (keep.length) this.#idle.set(filter, keep);
      else this.#idle.delete(filter);
    }
    this.#size -= gone.length;
    await Promise.all(gone.map((r) => r.destroy()));
  }

  async close(): Promise<void> {
    const all = [...this.#busy, ...[...this.#idle.values()].flat()];
    this.#idle.clear();
    this.#busy.clear();
    this.#size = 0;
    await Promise.all(all.map((r) => r.destroy()));
  }
}
