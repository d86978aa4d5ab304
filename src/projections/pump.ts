/**
 * The fold of a source into one generation: reads batches through the
 * streams layer's pump (caught-up signal, backpressure: nothing is read
 * while a batch is being applied or committed), applies each event to its
 * key's state, and commits the changed states together with the checkpoint.
 * Behind the head it gathers several batches per commit (fewer, larger
 * publishes and syncs) and keeps reading while a commit is written and
 * synced (at most one in flight: the next waits for it); caught up, it
 * commits every batch at once and waits for it. Each batch is a
 * `klevdb.projection.batch` span (see telemetry/).
 */
import type { Subscription } from 'rxjs';
import { InvalidEventError } from '../eventstore/index.js';
import { resolveStreamOptions } from '../streams/options.js';
import { logStream, type LogBatch } from '../streams/source.js';
import {
  ATTR,
  consumer,
  CorrelationIds,
  recordDeadLetter,
  traceBatch,
  NO_TRACE,
  type Consumer,
  type Trace,
} from '../telemetry/index.js';
import type { ResolvedDefinition } from './definition.js';
import type { DeadLetters } from './dead-letters.js';
import { ProjectionFailedError } from './errors.js';
import { NOT_CACHED, type Generation, type PendingState } from './generation.js';
import type { Checkpoint } from './records.js';
import { typeOf, type SourceRecord } from './source.js';

export interface PumpOptions {
  /** Most events per source read. */
  batchSize: number;
  /** Behind the head: commit once this many events were read since the last commit, */
  maxEvents: number;
  /** or this many keys changed, */
  maxKeys: number;
  /** or this many ms after the first of those events. */
  maxDelayMs: number;
  onError: 'stop' | 'skip';
}

export interface PumpListener<S> {
  committed(changes: ReadonlyMap<string, PendingState<S>>, checkpoint: Checkpoint, events: number): void;
  caughtUp(): void;
  failed(error: unknown): void;
}

export class Pump<S, E> {
  private pending = new Map<string, PendingState<S>>();
  /**
   * The changes of the commit being written, until it lands: newer than the
   * cache, so a key they hold is folded on from them, never from the cache.
   */
  private flushing: ReadonlyMap<string, PendingState<S>> | undefined;
  /** The commit being written (behind the head, not waited for); undefined when none is. */
  private committing: Promise<void> | undefined;
  /** Why that commit failed: the next batch fails with it. */
  private commitError: Error | undefined;
  private uncommitted = 0;
  private firstUncommittedAt = 0;
  private next: number;
  private last: number;
  private subscription: Subscription | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly consumer: Consumer;
  /** The correlation ids of the batch being applied, while its span is recorded. */
  private correlations: CorrelationIds | undefined;
  /** The batch's decoded events, at their records' indexes (emptied after each run). */
  private readonly decoded: unknown[] = [];
  /** Why the record a decode run stopped at could not be decoded. */
  private decodeError: unknown;

  constructor(
    private readonly def: ResolvedDefinition<S, E>,
    readonly generation: Generation<S>,
    private readonly deadLetters: DeadLetters,
    private readonly options: PumpOptions,
    private readonly listener: PumpListener<S>,
  ) {
    this.next = generation.checkpoint?.next ?? -1;
    this.last = generation.checkpoint?.last ?? -1;
    this.consumer = consumer('projection', def.name);
  }

  /** Starts reading at `from` (a source offset, or OffsetOldest). */
  start(from: number): void {
    const opts = resolveStreamOptions<LogBatch<SourceRecord>>({
      offset: from,
      batchSize: this.options.batchSize,
      handle: (batch) => (this.inFlight = this.onBatch(batch)),
    });
    this.subscription = logStream(this.def.source, opts, (batch) => [batch]).subscribe({
      error: (err: unknown) => {
        if (!this.stopping) this.listener.failed(err);
      },
    });
  }

  /** Stops reading; resolves once a commit under way has landed. What was not committed is read again next time. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.subscription?.unsubscribe();
    await this.inFlight.catch(() => undefined);
    await this.committing;
  }

  private onBatch(batch: LogBatch<SourceRecord>): Promise<void> {
    const first = batch.messages[0];
    if (first === undefined) return this.applyBatch(batch, NO_TRACE);
    const info = { size: batch.messages.length, offset: first.offset, nextOffset: batch.nextOffset };
    return traceBatch(this.consumer, info, async (trace) => {
      this.correlations = trace.recording ? new CorrelationIds() : undefined;
      try {
        await this.applyBatch(batch, trace);
      } finally {
        this.correlations?.setOn(trace);
        this.correlations = undefined;
      }
    });
  }

  private async applyBatch(batch: LogBatch<SourceRecord>, trace: Trace): Promise<void> {
    this.throwIfCommitFailed();
    const items = batch.messages;
    try {
      if (!(await this.applyAll(items))) return;
    } finally {
      // The batch's events do not outlive it.
      this.decoded.fill(undefined, 0, items.length);
    }
    this.next = batch.nextOffset;
    const { maxEvents, maxKeys, maxDelayMs } = this.options;
    const due =
      batch.caughtUp ||
      this.uncommitted >= maxEvents ||
      this.pending.size >= maxKeys ||
      Date.now() - this.firstUncommittedAt >= maxDelayMs;
    trace.set({ [ATTR.batchCommitted]: due });
    // Behind the head the next batch is read while this commit is written; caught up, whenRunning and waitFor need it landed.
    if (due) await this.commit(batch.caughtUp);
    if (batch.caughtUp && !this.stopping) this.listener.caughtUp();
  }

  /**
   * Applies a batch's records in order; false when stopped part way. A run
   * of records is decoded first and then folded: the parse and the key
   * lookups each keep their own data in the CPU caches (per event, the
   * lookups among many keys cost twice as much between parses).
   */
  private async applyAll(items: readonly SourceRecord[]): Promise<boolean> {
    const events = this.decoded;
    for (let i = 0; i < items.length;) {
      const end = this.decodeRun(items, i);
      for (; i < end; i++) {
        const item = items[i]!;
        if (this.stopping) return false;
        if (this.uncommitted++ === 0) this.firstUncommittedAt = Date.now();
        const slow = this.fold(item, events[i] as E);
        if (slow !== undefined) await slow;
        this.last = item.offset;
      }
      if (i === items.length) break;
      // The record at i could not be decoded: a poison event.
      const item = items[i]!;
      if (this.stopping) return false;
      if (this.uncommitted++ === 0) this.firstUncommittedAt = Date.now();
      const error = this.decodeError;
      this.decodeError = undefined;
      await this.poison(item, error instanceof InvalidEventError ? error.eventType : undefined, error);
      this.last = item.offset;
      i++;
    }
    return !this.stopping;
  }

  /**
   * Decodes records from `from` into `decoded` (same indexes) until one
   * fails (its error kept in decodeError) or the batch ends; returns the
   * index it stopped at.
   */
  private decodeRun(items: readonly SourceRecord[], from: number): number {
    const source = this.def.source;
    const events = this.decoded;
    let i = from;
    try {
      for (; i < items.length; i++) events[i] = source.decode(items[i]!);
    } catch (err) {
      this.decodeError = err;
    }
    return i;
  }

  /**
   * Applies one decoded event. Synchronous unless the key's state must be
   * read from the log or the event is a poison one: an await per event
   * would cost more than the fold itself.
   */
  private fold(item: SourceRecord, event: E): Promise<void> | undefined {
    const def = this.def;
    if (!def.handles(event)) return undefined;
    this.correlations?.add(event);
    let key: unknown;
    try {
      key = def.key(event);
    } catch (err) {
      return this.poison(item, typeOf(event), err);
    }
    if (key === null || key === undefined) return undefined;
    if (typeof key !== 'string' || key.length === 0 || key.charCodeAt(0) === 0) {
      const got = typeof key === 'string' ? JSON.stringify(key) : typeof key;
      // Like anything the projection's own code throws, this is the cause of a ProjectionFailedError (or a dead letter's reason).
      return this.poison(
        item,
        typeOf(event),
        new TypeError(`key() must return a non-empty string not starting with NUL, or null; got ${got}`),
      );
    }
    const pending = this.pending.get(key);
    if (pending !== undefined) return this.applyTo(item, event, key, pending.state, pending);
    const flushing = this.flushing?.get(key);
    if (flushing !== undefined) return this.applyTo(item, event, key, flushing.state, undefined);
    const cached = this.generation.peek(key);
    if (cached !== NOT_CACHED) return this.applyTo(item, event, key, cached, undefined);
    return this.generation.get(key).then((stored) => this.applyTo(item, event, key, stored, undefined));
  }

  private applyTo(
    item: SourceRecord,
    event: E,
    key: string,
    current: S | null | undefined,
    pending: PendingState<S> | undefined,
  ): Promise<void> | undefined {
    let next: S | null;
    try {
      next = this.def.apply(current === null || current === undefined ? this.def.initialState(key) : current, event);
      if (next === undefined)
        throw new TypeError('apply returned undefined; return the new state, or null to delete the key');
    } catch (err) {
      return this.poison(item, typeOf(event), err);
    }
    if (pending !== undefined) {
      pending.state = next;
      pending.offset = item.offset;
    } else {
      this.pending.set(key, { state: next, offset: item.offset });
    }
    return undefined;
  }

  /** An event that cannot be applied: recorded and passed over, or the end of the run, right before it. */
  private async poison(item: SourceRecord, eventType: string | undefined, error: unknown): Promise<void> {
    if (this.options.onError === 'skip') {
      if (await this.deadLetters.record(item.offset, eventType, error)) recordDeadLetter(this.consumer);
      return;
    }
    this.next = item.offset;
    await this.commit(true);
    throw new ProjectionFailedError(this.def.name, item.offset, eventType, error);
  }

  /**
   * Commits what was applied since the last commit, after the commit in
   * flight (if any) has landed. `wait`: resolves once this one has landed
   * too; else it is written while the caller reads on, and a failure fails
   * the next batch (stop() waits for it).
   */
  private async commit(wait: boolean): Promise<void> {
    if (this.committing !== undefined) await this.committing;
    this.throwIfCommitFailed();
    const events = this.uncommitted;
    this.uncommitted = 0;
    if (this.pending.size === 0 && this.next === this.generation.checkpoint?.next) return;
    const changes = this.pending;
    this.pending = new Map();
    const written = this.generation.commit(changes, this.next, this.last);
    if (wait) {
      // Nothing is read meanwhile; whenRunning and waitFor resume as soon as it lands.
      this.landed(changes, await written, events);
      return;
    }
    this.flushing = changes;
    this.committing = written
      .then(
        (checkpoint) => this.landed(changes, checkpoint, events),
        (err: unknown) => {
          // The fold reads on from `flushing` until the next batch fails with this: nothing reads the cache for those keys.
          this.commitError = err instanceof Error ? err : new Error(String(err));
        },
      )
      .finally(() => (this.committing = undefined));
  }

  private landed(changes: Map<string, PendingState<S>>, checkpoint: Checkpoint, events: number): void {
    this.flushing = undefined;
    this.listener.committed(changes, checkpoint, events);
  }

  private throwIfCommitFailed(): void {
    if (this.commitError !== undefined) throw this.commitError;
  }
}
