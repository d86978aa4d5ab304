/**
 * Reactors: side effects from events, run by the projection runner
 * (runner.addProcess). A reactor reads its source from its checkpoint,
 * handles each event it handles with retries, events of one key in order and
 * different keys concurrently, and moves its checkpoint past an event only
 * once every event before it is done (handled, or given up on and recorded
 * as a dead letter). At-least-once: after a crash it resumes at the
 * checkpoint, so it handles again at most what was in flight, never skips.
 */
import type { Event, EventStore, RecordedEvent } from '../eventstore/index.js';
import {
  type DeadLetter,
  PositionWaiters,
  type ProcessContext,
  type ProcessStatus,
  type RunnerProcess,
  type ProjectionSource,
  lagEvents,
  type WaitLimits,
} from '../projections/backend-kit.js';
import { invalidArgument } from '../storage/backend-kit.js';
import { LogError, OffsetOldest, type BlockingLog, type Log, type Message } from '../storage/index.js';
import { consumer, recordDeadLetter, watchLag, type Consumer } from '../telemetry/index.js';
import { ProcessNotReadyError } from './errors.js';
import { resolveReactor, type ReactorDefinition, type ResolvedReactor } from './reactor-options.js';
import { ReactorRun, type DeadItem } from './reactor-run.js';
import { ReactorStore } from './reactor-store.js';

/** The longest a handled event waits for its checkpoint while the run is busy. */
const COMMIT_DELAY_MS = 50;

export type ReactorRunState = 'stopped' | 'running' | 'paused' | 'failed';

export interface ReactorStatus extends ProcessStatus {
  kind: 'reactor';
  state: ReactorRunState;
  /** Age of the oldest event not yet behind the checkpoint, in seconds (0 when caught up). */
  lagSeconds: number;
  /** Handlers running now. */
  handling: number;
  /** Events waiting for their next try. */
  retrying: number;
  /** Events handled (or given up on) since the last start. */
  handled: number;
}

/**
 * A reactor over `definition.source`; add it to a ProjectionRunner
 * (runner.addProcess) to run it. Bad options throw ERR_INVALID_ARGUMENT
 * naming the option.
 */
export function reactor<X extends Event>(
  definition: ReactorDefinition<RecordedEvent<X>> & { readonly source: EventStore<X> },
): Reactor<RecordedEvent<X>>;
export function reactor<E>(definition: ReactorDefinition<E> & { readonly source: ProjectionSource<E> }): Reactor<E>;
export function reactor(
  definition: ReactorDefinition<Message> & { readonly source: Log | BlockingLog },
): Reactor<Message>;
export function reactor<E>(definition: ReactorDefinition<E>): Reactor<E>;
export function reactor<E>(definition: ReactorDefinition<E>): Reactor<E> {
  return new Reactor(resolveReactor(definition));
}

export class Reactor<E = unknown> implements RunnerProcess {
  private context: ProcessContext | undefined;
  private stored: ReactorStore | undefined;
  private opening: Promise<ReactorStore> | undefined;
  private run: ReactorRun<E> | undefined;
  private phase: ReactorRunState = 'stopped';
  private error: Error | undefined;
  private closed: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  /** Where the checkpoint may move, and the dead letters to record before it does. */
  private target = -1;
  private dead: DeadItem[] = [];
  private committing: Promise<void> = Promise.resolve();
  private looping = false;
  /** The target of the newest flush: the next one is due batchSize events after it. */
  private flushedTo = -1;
  /** A flush came while a commit was under way. */
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters: PositionWaiters;
  private readonly consumer: Consumer;
  /** Stops reporting the lag gauge (telemetry), while running. */
  private unwatchLag: (() => void) | undefined;

  /** @internal use reactor() */
  constructor(private readonly def: ResolvedReactor<E>) {
    this.consumer = consumer('reactor', def.name);
    this.waiters = new PositionWaiters(
      () => this.stored?.checkpoint ?? -1,
      (detail, cause) => new ProcessNotReadyError(this.name, this.phase, detail, { cause: cause ?? this.error }),
    );
  }

  get name(): string {
    return this.def.name;
  }

  /** 'stopped', 'running', 'paused' or 'failed'. */
  get state(): ReactorRunState {
    return this.phase;
  }

  /** The runner calls it (addProcess): where the checkpoint and dead letters live. */
  attach(context: ProcessContext): void {
    if (this.context !== undefined)
      throw invalidArgument(`reactor "${this.name}" is already on a runner; a reactor runs on one runner`);
    this.context = context;
  }

  /**
   * Opens the checkpoint (taking the reactor's lock: ERR_LOCKED while another
   * runner has it) and starts handling events from it; a stopped or failed
   * reactor starts again at its checkpoint, so it tries the failed event again.
   */
  async start(): Promise<void> {
    if (this.closed) throw new LogError('ERR_CLOSED', `reactor "${this.name}" is closed; make a new one to run it`);
    await this.stopping;
    const state = await this.open();
    if (this.run) return;
    const head = await this.def.source.head();
    let from = state.checkpoint;
    if (from === undefined && this.def.startAt === 'end') {
      // The start applies once: committed, so a restart does not move on to a later end.
      await state.commit(head);
      from = head;
    }
    if (from !== undefined && from > head) {
      throw new LogError(
        'ERR_INVALID_OFFSET',
        `reactor "${this.name}": its checkpoint ${from} is past the end of its source (next offset ${head}): ` +
          "the source is not the one it read (recreated?); remove the reactor's state to start over",
      );
    }
    if (this.run) return;
    this.error = undefined;
    this.phase = 'running';
    this.target = from ?? -1;
    this.flushedTo = this.target;
    this.run = new ReactorRun(this.def, from ?? OffsetOldest, {
      advanced: (next, dead, idle) => this.advanced(next, dead, idle),
      failed: (err) => this.failed(err),
    });
    this.run.start();
    this.unwatchLag ??= watchLag(this.consumer, async () =>
      lagEvents(await this.def.source.head(), this.stored?.checkpoint ?? -1),
    );
  }

  /** No new event starts; resolves once the handlers under way have finished. resume() goes on. */
  async pause(): Promise<void> {
    if (!this.run || this.phase === 'failed') return;
    this.phase = 'paused';
    await this.run.pause();
  }

  resume(): void {
    if (!this.run || this.phase !== 'paused') return;
    this.phase = 'running';
    this.run.resume();
  }

  /**
   * Stops reading, aborts the handlers' signal, waits for the handlers under
   * way and commits how far it got. start() resumes there.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow().finally(() => (this.stopping = undefined));
    return this.stopping;
  }

  /** Stops, and gives the reactor's state (its lock) back. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.stop();
      await this.opening?.then((s) => s.close()).catch(() => undefined);
      this.stored = undefined;
    })();
    return this.closed;
  }

  /**
   * Resolves once the checkpoint has passed source offset `position` (every
   * event through it is handled or a dead letter), at once if it has. A
   * stopped, failed or closed reactor short of it, a timeout or an abort
   * reject with ProcessNotReadyError.
   */
  waitFor(position: number, limits: WaitLimits = {}): Promise<void> {
    if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0)
      throw invalidArgument(`waitFor: position must be an integer >= 0, got ${String(position)}`);
    const halted = this.phase === 'stopped' || this.phase === 'failed';
    return this.waiters.wait(position, limits, halted);
  }

  /** The events given up on (onFailure: 'dead-letter'), oldest first. */
  async deadLetters(): Promise<DeadLetter[]> {
    return (await this.open()).deadLetters.list();
  }

  async status(): Promise<ReactorStatus> {
    const head = await this.def.source.head();
    const checkpoint = this.stored?.checkpoint ?? -1;
    const lag = lagEvents(head, checkpoint);
    const oldest = lag === 0 ? undefined : await this.def.source.timeAt(Math.max(0, checkpoint));
    const status: ReactorStatus = {
      name: this.name,
      kind: 'reactor',
      state: this.phase,
      checkpoint,
      sourceHead: head,
      lagEvents: lag,
      lagSeconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
      handling: this.run?.active ?? 0,
      retrying: this.run?.retrying ?? 0,
      handled: this.run?.handled ?? 0,
      deadLetters: this.stored?.deadLetters.count ?? 0,
    };
    if (this.error) status.error = this.error;
    return status;
  }

  private open(): Promise<ReactorStore> {
    if (!this.context) {
      return Promise.reject(
        invalidArgument(`reactor "${this.name}" is on no runner: add it with runner.addProcess(reactor) first`),
      );
    }
    const { store } = this.context;
    this.opening ??= ReactorStore.open(store, this.name, this.def.sync).then(
      (state) => (this.stored = state),
      (err: unknown) => {
        this.opening = undefined;
        throw err;
      },
    );
    return this.opening;
  }

  private async stopNow(): Promise<void> {
    this.unwatchLag?.();
    this.unwatchLag = undefined;
    const run = this.run;
    if (!run) return;
    await run.stop();
    this.run = undefined;
    this.flush();
    await this.committing;
    if (this.phase !== 'failed') this.phase = 'stopped';
    this.waiters.failAll();
  }

  private failed(err: unknown): void {
    this.error = err instanceof Error ? err : new Error(String(err));
    this.phase = 'failed';
    void this.stop();
  }

  /**
   * Commits at once when the run is idle, an event was given up on, or
   * batchSize events are uncommitted; else within COMMIT_DELAY_MS. A commit
   * per event would cost more than a no-op handler.
   */
  private advanced(next: number, dead: DeadItem[], idle: boolean): void {
    this.target = next;
    for (const d of dead) this.dead.push(d);
    if (idle || dead.length > 0 || next - this.flushedTo >= this.def.batchSize) this.flush();
    // Not unref'd: a commit due keeps the process alive for its few ms (a waitFor may depend on it).
    else this.timer ??= setTimeout(() => this.flush(), COMMIT_DELAY_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushedTo = this.target;
    if (this.looping) {
      this.again = true;
      return;
    }
    this.looping = true;
    this.committing = this.commitLoop();
  }

  /** One commit at a time; flushes asked for meanwhile are folded into one more. */
  private async commitLoop(): Promise<void> {
    const state = this.stored!;
    try {
      do {
        this.again = false;
        const dead = this.dead;
        this.dead = [];
        const next = this.target;
        for (const d of dead)
          if (await state.deadLetters.record(d.offset, d.eventType, d.error)) recordDeadLetter(this.consumer);
        if (next > (state.checkpoint ?? -1)) await state.commit(next);
        this.waiters.committed(next);
      } while (this.again);
    } catch (err) {
      this.failed(err);
    } finally {
      // Here, not in a .finally(): an advance in between must start a new loop, not be missed.
      this.looping = false;
    }
  }
}
