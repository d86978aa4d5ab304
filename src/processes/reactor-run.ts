/**
 * One run of a reactor, from start() to stop() or failure: reads the source
 * through the streams layer's pump, hands each handled event to the key
 * scheduler, retries a failing handler with exponential backoff, and tells
 * the reactor how far the checkpoint may move (and which events it gave up
 * on, to be recorded as dead letters before the checkpoint passes them).
 * Reading waits while too many events are held behind the checkpoint, so a
 * slow key holds up at most `window` events, never unbounded memory.
 * Each event handed to the handler is a `klevdb.reactor.event` span, from
 * its first try to its end (handled, dead letter, failed, stopped).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Subscription } from 'rxjs';
import { InvalidEventError } from '../eventstore/index.js';
import { typeOf, type SourceRecord } from '../projections/backend-kit.js';
import { describeValue, invalidArgument } from '../storage/backend-kit.js';
import { resolveStreamOptions } from '../streams/options.js';
import { logStream, type LogBatch } from '../streams/source.js';
import {
  ATTR,
  consumer,
  eventAttributes,
  recordHandled,
  startTrace,
  type Consumer,
  type Trace,
} from '../telemetry/index.js';
import { ProcessFailedError } from './errors.js';
import { HandlerContext, keyOf, type ContextItem } from './reactor-context.js';
import { endItemTrace, retryAttributes } from './reactor-trace.js';
import { InOrderCheckpoint, KeyScheduler } from './key-scheduler.js';
import type { ResolvedReactor } from './reactor-options.js';

interface Item<E> extends ContextItem<E> {
  readonly offset: number;
  readonly event: E;
  done: boolean;
  /** Given up on, to be recorded as a dead letter. */
  dead: DeadItem | undefined;
  /** Given up on with onFailure 'stop', or its handler broke the contract: the run failed on it. */
  failed: boolean;
  /** Tries so far, and the last one's failure. */
  attempts: number;
  error: unknown;
}

/** Every field set from the start: one shape, no property added per event. */
const newItem = <E>(offset: number, key: string | undefined, event: E): Item<E> => ({
  offset,
  key,
  event,
  done: false,
  dead: undefined,
  failed: false,
  attempts: 0,
  error: undefined,
});

export interface DeadItem {
  offset: number;
  eventType: string | undefined;
  error: unknown;
}

export interface RunListener {
  /**
   * Everything before `next` is done; `dead` (in offset order) must be
   * recorded before a checkpoint passes them. `idle`: nothing handed out is
   * left, so this is a good moment to commit.
   */
  advanced(next: number, dead: DeadItem[], idle: boolean): void;
  /** The run stopped on its own: an event given up on with onFailure 'stop', a broken handler, a failed read. */
  failed(error: unknown): void;
}

/** How long stop() waits for handlers under way. */
const STOP_GRACE_MS = 10_000;

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') &&
  v !== null &&
  typeof (v as { then?: unknown }).then === 'function';

export class ReactorRun<E> {
  private readonly controller = new AbortController();
  private readonly scheduler: KeyScheduler<Item<E>>;
  private readonly order: InOrderCheckpoint<Item<E>>;
  /** Most events held behind the checkpoint before reading waits. */
  private readonly window: number;
  private subscription: Subscription | undefined;
  private inBatch: Promise<void> = Promise.resolve();
  private room: (() => void) | undefined;
  private halted = false;
  /** A batch is being dispatched: not idle, whatever is done. */
  private reading = false;
  /** Stopped: what an abandoned handler does after is not reported. */
  private detached = false;
  /** concurrency 1: every event in source order, whatever its key (one lane for all). */
  private readonly sequential: boolean;
  /** Events done but not yet counted in the events-handled metric: counted per batch, not per event. */
  private uncounted = 0;
  private next: number;
  /** Dead items passed by the checkpoint, not yet reported. */
  private dead: DeadItem[] = [];
  private readonly collectDead = (item: Item<E>): void => {
    if (item.dead) this.dead.push(item.dead);
  };
  /** Events handled (or given up on) in this run. */
  handled = 0;
  /** Events waiting for their next try. */
  retrying = 0;
  private readonly consumer: Consumer;

  constructor(
    private readonly def: ResolvedReactor<E>,
    private readonly from: number,
    private readonly listener: RunListener,
  ) {
    this.scheduler = new KeyScheduler<Item<E>>(
      def.concurrency,
      def.concurrency === 1 ? () => undefined : (item) => item.key,
      () => void this.work(),
    );
    this.order = new InOrderCheckpoint(from);
    this.next = from;
    this.window = Math.max(def.batchSize, 2 * def.concurrency);
    this.sequential = def.concurrency === 1;
    this.consumer = consumer('reactor', def.name);
  }

  /** Handlers running now. */
  get active(): number {
    return this.scheduler.active;
  }

  start(): void {
    const opts = resolveStreamOptions<LogBatch<SourceRecord>>({
      offset: this.from,
      batchSize: this.def.batchSize,
      handle: (batch) => (this.inBatch = this.onBatch(batch)),
    });
    this.subscription = logStream(this.def.source, opts, (batch) => [batch]).subscribe({
      error: (err: unknown) => this.fail(err),
    });
  }

  /** No new event starts; resolves once the handlers under way are done. */
  pause(): Promise<void> {
    return this.scheduler.pause();
  }

  resume(): void {
    this.scheduler.resume();
  }

  /**
   * Stops reading and retrying, aborts the handlers' signal and waits for the
   * handlers under way, at most STOP_GRACE_MS: a handler that ignores its
   * signal longer is abandoned (its event is not done, so it runs again on
   * the next start) instead of hanging stop() and close().
   */
  async stop(): Promise<void> {
    this.halted = true;
    this.controller.abort();
    this.subscription?.unsubscribe();
    this.room?.();
    await this.inBatch.catch(() => undefined);
    this.resume();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)));
    await Promise.race([this.scheduler.whenIdle(), grace]);
    clearTimeout(timer);
    this.detached = true;
    this.countHandled();
  }

  private async onBatch(batch: LogBatch<SourceRecord>): Promise<void> {
    this.reading = true;
    try {
      await this.dispatchBatch(batch);
    } finally {
      this.reading = false;
    }
    if (this.halted) return;
    this.order.readTo(batch.nextOffset);
    this.advance();
    this.countHandled();
  }

  private async dispatchBatch(batch: LogBatch<SourceRecord>): Promise<void> {
    for (const record of batch.messages) {
      if (this.halted) return;
      const item = this.dispatch(record);
      if (item !== undefined) this.scheduler.push(item);
      if (this.order.size >= this.window) {
        await new Promise<void>((resolve) => (this.room = resolve));
        this.room = undefined;
      }
    }
  }

  private dispatch(record: SourceRecord): Item<E> | undefined {
    const def = this.def;
    let event: E;
    try {
      event = def.source.decode(record);
    } catch (err) {
      this.poison(record.offset, undefined, err instanceof InvalidEventError ? err.eventType : undefined, err);
      return undefined;
    }
    if (!def.handles(event)) return undefined;
    // One slot and the default key: nothing is scheduled by key, so it is made only if the handler reads it.
    if (this.sequential && !def.customKey) return this.track(newItem(record.offset, undefined, event));
    let key: unknown;
    try {
      key = def.key(event);
      if (typeof key !== 'string')
        throw new TypeError(`key() must return a string (events of one key run in order), got ${describeValue(key)}`);
    } catch (err) {
      this.poison(record.offset, event, typeOf(event), err);
      return undefined;
    }
    return this.track(newItem(record.offset, key, event));
  }

  private track(item: Item<E>): Item<E> {
    this.order.add(item);
    return item;
  }

  /** An event that cannot be handled at all (unreadable, no key): no retry helps. */
  private poison(offset: number, event: E | undefined, eventType: string | undefined, error: unknown): void {
    const item = newItem(offset, '', event as E);
    this.order.add(item);
    this.giveUp(item, eventType, 1, error);
  }

  /**
   * Calls the handler for try `attempt`: its promise, or undefined when it
   * returned none (the run fails: a broken contract, not retried). Throws
   * what the handler throws synchronously.
   */
  private call(item: Item<E>, attempt: number): PromiseLike<unknown> | undefined {
    const { def } = this;
    item.attempts = attempt;
    const result = def.handle(item.event, new HandlerContext(def, item, attempt, this.controller.signal));
    if (isThenable(result)) return result;
    const err = invalidArgument(
      `definition.handle must return a promise (be an async function): an event counts as handled when it resolves; it returned ${describeValue(result)}`,
    );
    item.failed = true;
    item.error = err;
    this.fail(new ProcessFailedError(def.name, item.offset, typeOf(item.event), attempt, err));
    return undefined;
  }

  private succeeded(item: Item<E>): void {
    item.done = true;
    this.handled++;
    if (++this.uncounted >= this.def.batchSize) this.countHandled();
    this.advance();
  }

  private countHandled(): void {
    recordHandled(this.consumer, this.uncounted);
    this.uncounted = 0;
  }

  /**
   * A worker: handles the items the scheduler hands it, one after another,
   * until it has none ready. Untraced, the handler's promise is awaited right
   * here: no promise of our own per event (a no-op handler's cost is mostly ours).
   */
  private async work(): Promise<void> {
    for (let item = this.scheduler.take(); item !== undefined; item = this.scheduler.take()) {
      try {
        // Stopped: events not started yet stay not done, for the next start.
        if (this.halted) continue;
        const trace = startTrace('klevdb.reactor.event', this.consumer.attributes);
        if (trace.recording) await this.runTraced(item, trace);
        else {
          try {
            const result = this.call(item, 1);
            if (result !== undefined) {
              await result;
              this.succeeded(item);
            }
          } catch (err) {
            await this.retry(item, 1, err, trace);
          }
        }
      } finally {
        this.scheduler.finished(item);
      }
    }
  }

  /** Handles one item in its span, with retries; never rejects. */
  private async runTraced(item: Item<E>, trace: Trace): Promise<void> {
    trace.set({ ...eventAttributes(item.event, item.offset), [ATTR.eventKey]: keyOf(this.def, item) });
    try {
      const result = trace.run(() => this.call(item, 1));
      if (result === undefined) return;
      await result;
      this.succeeded(item);
    } catch (err) {
      await this.retry(item, 1, err, trace);
    } finally {
      endItemTrace(trace, item);
    }
  }

  /** After try `attempt` failed with `error`: the next tries, with backoff, then giveUp; never rejects. */
  private async retry(item: Item<E>, attempt: number, error: unknown, trace: Trace): Promise<void> {
    const { retry } = this.def;
    for (;;) {
      item.error = error;
      // A handler giving up because the reactor stops is not a failure: the event runs again next start.
      if (this.halted) return;
      if (attempt >= retry.maxAttempts) return this.giveUp(item, typeOf(item.event), attempt, error);
      const delay = Math.min(retry.maxDelayMs, retry.initialDelayMs * retry.factor ** (attempt - 1));
      if (trace.recording) trace.event('klevdb.reactor.retry', retryAttributes(attempt + 1, delay, error));
      this.retrying++;
      try {
        await sleep(delay, undefined, { signal: this.controller.signal });
      } catch {
        return;
      } finally {
        this.retrying--;
      }
      attempt++;
      try {
        const result = trace.run(() => this.call(item, attempt));
        if (result === undefined) return;
        await result;
        return this.succeeded(item);
      } catch (err) {
        error = err;
      }
    }
  }

  private giveUp(item: Item<E>, eventType: string | undefined, attempts: number, error: unknown): void {
    if (this.def.onFailure === 'stop') {
      item.failed = true;
      return this.fail(new ProcessFailedError(this.def.name, item.offset, eventType, attempts, error));
    }
    item.dead = { offset: item.offset, eventType, error };
    item.done = true;
    this.handled++;
    this.uncounted++;
    this.advance();
  }

  private fail(error: unknown): void {
    if (this.halted) return;
    this.halted = true;
    this.listener.failed(error);
  }

  /** Called for every event done: allocates nothing unless an event was given up on. */
  private advance(): void {
    if (this.detached) return;
    const next = this.order.advance(this.collectDead);
    if (this.room !== undefined && this.order.size < this.window / 2) this.room();
    const dead = this.dead;
    const idle = this.order.size === 0 && !this.reading;
    if (idle) this.countHandled();
    // Idle is news even without a move: the end of a batch whose events all moved the checkpoint already.
    if (next === this.next && dead.length === 0 && !idle) return;
    this.next = next;
    if (dead.length > 0) this.dead = [];
    this.listener.advanced(next, dead, idle);
  }
}
