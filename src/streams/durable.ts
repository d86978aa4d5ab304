/**
 * Durable subscriptions: a named consumer of a BlockingLog that resumes
 * where it left off. Its committed position (the next offset to read) lives
 * in an offsets log; one consumer per name holds a lock file.
 *
 * The guarantee (at-least-once): a position P is committed only after every
 * message below P was handled, that is its batch handler's promise resolved
 * (run, or stream's `handle`) and, for stream(), subscriber.next returned
 * for its batch. After a crash the subscription resumes at its last commit,
 * so it sees again at most what was handled since then, never a gap.
 */
import { Observable, type Subscription } from 'rxjs';
import { LogError, type BlockingLog, type Message } from '../storage/index.js';
import { consumer, traceBatch, watchLag, type Consumer } from '../telemetry/index.js';
import { CommitChain } from './durable-commits.js';
import {
  checkConsumeOptions,
  invalidOption,
  resolveSubscriptionOptions,
  type BatchHandler,
  type ConsumeOptions,
  type ResolvedSubscriptionOptions,
  type StreamConsumeOptions,
  type SubscriptionOptions,
} from './durable-options.js';
import { resumeOffset, startOffset } from './durable-start.js';
import { fromLogBatches } from './from-log.js';
import { OffsetsLog } from './offsets-log.js';
import { validateLogArgument } from './options.js';
import type { LogBatch } from './source.js';
import { SubscriptionLock } from './subscription-lock.js';

/**
 * Opens the subscription `options.name` on `source`: takes its lock (or
 * waits for it), loads its committed position and decides where it starts.
 * Consume it with run() or stream(), one at a time; close() it when done.
 */
export async function openSubscription(
  source: BlockingLog,
  options: SubscriptionOptions,
): Promise<DurableSubscription> {
  validateLogArgument('source', source, ['consume', 'consumeBlocking', 'nextOffset']);
  const opts = resolveSubscriptionOptions(options);
  const lock =
    opts.lockDir === undefined ? undefined : await SubscriptionLock.acquire(opts.lockDir, opts.name, opts.wait);
  let offsets: OffsetsLog | undefined;
  try {
    offsets =
      typeof opts.offsets === 'string'
        ? await OffsetsLog.openDir(opts.offsets, opts.name)
        : OffsetsLog.of(opts.offsets);
    const committed = opts.reset ? undefined : await offsets.load(opts.name);
    const position =
      committed === undefined ? await startOffset(source, opts) : await resumeOffset(source, opts, committed);
    // The start applies once: commit it, so a crash before the first batch
    // (say with 'newest') does not move it on to a later "newest".
    if (committed !== position && (committed === undefined || opts.reset))
      await offsets.commit(Buffer.from(opts.name), position);
    return new DurableSubscription(
      source,
      opts,
      offsets,
      lock,
      committed === undefined || opts.reset ? position : committed,
      position,
    );
  } catch (err) {
    try {
      await offsets?.close();
    } finally {
      lock?.release();
    }
    throw err;
  }
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') &&
  v !== null &&
  typeof (v as { then?: unknown }).then === 'function';

export class DurableSubscription {
  readonly name: string;
  private readonly commits: CommitChain;
  /** Everything below it was handled. */
  private handled: number;
  /** The nextOffset of the newest batch handed to a handler or subscriber. */
  private delivered: number;
  /** The auto commit started after a stream's batch; the next batch waits for it (and fails with it). */
  private pendingAuto: Promise<void> = Promise.resolve();
  private inflight: Promise<void> | undefined;
  private active: { stop(): void } | undefined;
  private ending: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private readonly consumer: Consumer;
  private readonly unwatchLag: () => void;

  /** @internal use openSubscription */
  constructor(
    private readonly source: BlockingLog,
    private readonly opts: ResolvedSubscriptionOptions,
    private readonly offsets: OffsetsLog,
    private readonly lock: SubscriptionLock | undefined,
    committed: number,
    position: number,
  ) {
    this.name = opts.name;
    this.commits = new CommitChain(offsets, opts.name, committed);
    this.handled = position;
    this.delivered = position;
    this.consumer = consumer('subscription', opts.name);
    this.unwatchLag = watchLag(this.consumer, () => this.lag());
  }

  /** The committed position: the next offset to read after a restart. */
  get committed(): number {
    return this.commits.committed;
  }

  /** Where the next run or stream starts: everything below it was handled (committed or not). */
  get position(): number {
    return this.handled;
  }

  /** Offsets between the committed position and the source's end. */
  async lag(): Promise<number> {
    return Math.max(0, (await this.source.nextOffset()) - this.commits.committed);
  }

  /**
   * Calls `handler` with each batch, one at a time, until stop() / close(),
   * or (live: false) until caught up. Resolves then; rejects with the first
   * failure (the handler's, a read's, a commit's), nothing of the failed
   * batch committed. A later run starts again at the first unhandled batch.
   */
  run(handler: BatchHandler, options?: ConsumeOptions): Promise<void> {
    if (typeof handler !== 'function')
      throw invalidOption('handler', 'must be an async function (batch, signal) => Promise<void>');
    const opts = checkConsumeOptions(options, false);
    return new Promise((resolve, reject) => {
      this.batches(opts, handler, true).subscribe({ error: reject, complete: resolve });
    });
  }

  /**
   * The subscription as a cold observable of batches (the empty batch with
   * caughtUp: true included, as fromLogBatches). A batch counts as handled
   * once `handle` resolved and subscriber.next returned for it. Completes on
   * stop() / close(), or (live: false) once caught up.
   */
  stream(options?: StreamConsumeOptions): Observable<LogBatch<Message>> {
    const opts = checkConsumeOptions(options, true);
    return this.batches(opts, opts.handle, false);
  }

  /**
   * Commits `nextOffset` (default: the position, everything handled so far).
   * With commit: 'manual' this is the only way a position is committed; it
   * may be called inside a handler for part of its batch, up to that
   * batch's nextOffset.
   */
  async commit(nextOffset?: number): Promise<void> {
    if (this.closing) throw this.closedError();
    const next = nextOffset ?? this.handled;
    if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 0 || next > this.delivered) {
      throw invalidOption(
        'nextOffset',
        `of commit must be an offset from 0 to ${this.delivered} (the end of the newest batch delivered), got ${String(next)}`,
      );
    }
    await this.commits.commit(next);
  }

  /** Ends the run or stream under way (it resolves / completes); the batch being handled finishes first. */
  stop(): void {
    this.active?.stop();
  }

  /** Stops, waits for the batch being handled, commits (auto), closes the offsets log it opened, releases the lock. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stop();
      await this.ending;
      try {
        await this.inflight?.catch(() => undefined);
        if (this.opts.autoCommit) await this.flushAuto();
        await this.commits.settled();
      } finally {
        this.unwatchLag();
        try {
          await this.offsets.close();
        } finally {
          this.lock?.release();
        }
      }
    })();
    return this.closing;
  }

  private closedError(): LogError {
    return new LogError(
      'ERR_CLOSED',
      `klevdb/streams: subscription "${this.name}" is closed; open it again with openSubscription`,
    );
  }

  private flushAuto(): Promise<void> {
    return this.handled > this.commits.committed ? this.commits.commit(this.handled) : this.commits.settled();
  }

  private async handleBatch(
    batch: LogBatch<Message>,
    signal: AbortSignal,
    handler: BatchHandler | undefined,
    isRun: boolean,
  ): Promise<void> {
    const first = batch.messages[0];
    if (first === undefined) return;
    // Only a stream leaves an auto commit pending (a run awaits its own below).
    if (!isRun) await this.pendingAuto;
    this.delivered = batch.nextOffset;
    const info = { size: batch.messages.length, offset: first.offset, nextOffset: batch.nextOffset };
    // The span `klevdb.subscription.batch`: the handler, and (run) the auto commit.
    await traceBatch(this.consumer, info, async () => {
      if (handler) {
        const result: unknown = handler(batch, signal);
        if (!isThenable(result)) {
          throw invalidOption(
            isRun ? 'handler' : 'handle',
            `must return a promise (be an async function): a batch counts as handled when it resolves; it returned ${typeof result}`,
          );
        }
        await result;
      }
      if (isRun) {
        this.handled = batch.nextOffset;
        if (this.opts.autoCommit) await this.flushAuto();
      }
    });
  }

  /** The one consumption loop behind run() and stream(). */
  private batches(
    opts: ConsumeOptions,
    handler: BatchHandler | undefined,
    isRun: boolean,
  ): Observable<LogBatch<Message>> {
    return new Observable<LogBatch<Message>>((subscriber) => {
      if (this.closing) return subscriber.error(this.closedError());
      if (this.active) {
        return subscriber.error(
          new LogError(
            'ERR_LOCKED',
            `klevdb/streams: subscription "${this.name}" is already being consumed (a run or stream is under way); stop() it first`,
          ),
        );
      }
      let ended = false;
      let inner: Subscription | undefined;
      const end = (failure?: { err: unknown }): void => {
        if (ended) return;
        ended = true;
        inner?.unsubscribe();
        this.active = undefined;
        const settled = (async () => {
          await this.inflight?.catch(() => undefined);
          if (this.opts.autoCommit) await this.flushAuto();
        })();
        this.ending = settled.catch(() => undefined);
        settled.then(
          () => (failure ? subscriber.error(failure.err) : subscriber.complete()),
          (err: unknown) => subscriber.error(failure ? failure.err : err),
        );
      };
      // A commit failure of an earlier stream is that stream's news, not this one's.
      this.pendingAuto = Promise.resolve();
      this.active = { stop: () => end() };
      inner = fromLogBatches(this.source, {
        offset: this.handled,
        batchSize: this.opts.batchSize,
        live: opts.live ?? true,
        signal: opts.signal,
        handle: (batch, signal) => (this.inflight = this.handleBatch(batch, signal, handler, isRun)),
      }).subscribe({
        next: (batch) => {
          subscriber.next(batch);
          if (isRun || batch.messages.length === 0) return;
          this.handled = Math.max(this.handled, batch.nextOffset);
          if (this.opts.autoCommit) {
            this.pendingAuto = this.flushAuto();
            this.pendingAuto.catch(() => undefined);
          }
        },
        error: (err: unknown) => end({ err }),
        complete: () => end(),
      });
      if (ended) inner.unsubscribe();
      return () => end();
    });
  }
}
