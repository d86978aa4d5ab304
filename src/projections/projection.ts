/**
 * A running projection: its lifecycle (restoring, running, stopped,
 * failed), the queries over its state, the stream of its changes, its
 * status, and the blue/green rebuild.
 */
import { Subject, filter, type Observable } from 'rxjs';
import { OffsetOldest } from '../storage/index.js';
import { corrupted, invalidArgument } from '../storage/backend-kit.js';
import { consumer, watchLag } from '../telemetry/index.js';
import { compactStateLog } from './compactor.js';
import type { ResolvedDefinition } from './definition.js';
import type { DeadLetter } from './dead-letters.js';
import type { GenerationStore } from './generations.js';
import type { PendingState } from './generation.js';
import type { Lifecycle } from './lifecycle.js';
import { checkKey, resolveQueryOptions, type QueryOptions, type ResolvedOptions } from './options.js';
import type { Checkpoint } from './records.js';
import { Readiness } from './readiness.js';
import { Rebuild } from './rebuild.js';
import { discard, feed, openSlot, starve, type Slot } from './slot.js';
import { lagEvents, RateMeter, type ProjectionState, type ProjectionStatus } from './status.js';

/** A committed change of one key, or the news that a rebuild replaced every state. */
export type StateChange<S> =
  | { kind: 'set'; key: string; state: S; offset: number }
  | { kind: 'delete'; key: string; offset: number }
  | { kind: 'rebuilt'; generation: number };

export class Projection<S, E = unknown> {
  private store: GenerationStore | undefined;
  private slot: Slot<S, E> | undefined;
  private rebuilding: Rebuild<S, E> | undefined;
  private rebuildCall: Promise<void> | undefined;
  private opening: Promise<void> | undefined;
  private readonly readiness: Readiness<S>;
  private readonly lifecycle: Lifecycle;
  private readonly changes$ = new Subject<StateChange<S>>();
  private readonly meter = new RateMeter();
  /** Stops reporting the lag gauge (telemetry), while started. */
  private unwatchLag: (() => void) | undefined;
  /** Why the stored state was dropped when the projection opened, if it was. */
  resetReason: string | undefined;

  constructor(
    private readonly def: ResolvedDefinition<S, E>,
    private readonly options: ResolvedOptions,
    private readonly makeStore: () => Promise<GenerationStore>,
  ) {
    this.readiness = new Readiness(
      def.name,
      () => this.slot?.gen,
      () => this.rebuilding?.slot.logs.id,
    );
    this.lifecycle = this.readiness.lifecycle;
  }

  get name(): string {
    return this.def.name;
  }

  get state(): ProjectionState {
    return this.lifecycle.state;
  }

  /** Opens the stored state (recovering it after a crash) without starting; start() does it too. */
  open(): Promise<void> {
    if (this.lifecycle.closed) return Promise.reject(this.lifecycle.notReady());
    this.opening ??= this.openNow().catch((err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }

  /**
   * Catches up from the checkpoint to the source's end as it is now (state
   * `restoring`), then follows the source live (`running`).
   */
  async start(): Promise<void> {
    await this.open();
    if (this.slot!.pump || this.lifecycle.state === 'restoring') return;
    this.lifecycle.set('restoring');
    let end: number;
    try {
      end = await this.def.source.head();
      const gen = this.slot!.gen;
      // Written at once: a restart must resume here, not at whatever the end is by then.
      if (!gen.checkpoint && this.options.startAt === 'end') await gen.commit(new Map(), end, -1);
    } catch (err) {
      this.lifecycle.set('failed', err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    // Stopped or closed meanwhile: that call has the last word. (A rebuild
    // meanwhile replaced the generation without a pump: the new one is fed.)
    if (this.state !== 'restoring') return;
    const slot = this.slot!;
    slot.role = this.liveRole(slot);
    feed(slot, this.def, this.options, slot.gen.checkpoint?.next ?? OffsetOldest);
    this.unwatchLag ??= watchLag(consumer('projection', this.name), async () =>
      lagEvents(await this.def.source.head(), this.slot?.gen.checkpoint?.next ?? -1),
    );
    this.lifecycle.restoreTo(end, Math.max(0, this.readiness.committedNext()));
  }

  /** Resolves once caught up (running); rejects if the projection stops or fails first. */
  whenRunning(options?: Pick<QueryOptions, 'timeoutMs' | 'signal'>): Promise<void> {
    return this.readiness.whenRunning(options);
  }

  /**
   * Read your writes: resolves once the projection has applied and committed
   * its source through `position` (the `meta.position` of the last event you
   * appended, or the offset you published), also while it catches up; then
   * `get(key, { upTo: position })` answers at once. Rejects with
   * ProjectionNotReadyError (naming the state it is in) if it stops, fails or
   * closes first, or is stopped or failed short of `position`, or after
   * `timeoutMs`, or when `signal` fires.
   */
  waitFor(position: number, options?: Pick<QueryOptions, 'timeoutMs' | 'signal'>): Promise<void> {
    return this.readiness.waitFor(position, options);
  }

  /** Stops following the source; a rebuild under way is abandoned. Queries fail until the next start, but for an upTo already committed. */
  async stop(): Promise<void> {
    this.unwatchLag?.();
    this.unwatchLag = undefined;
    await this.rebuilding?.abandon();
    if (this.slot) await starve(this.slot);
    if (this.lifecycle.state !== 'failed') this.lifecycle.set('stopped');
  }

  async close(): Promise<void> {
    if (this.lifecycle.closed) return;
    await this.opening?.catch(() => undefined);
    await this.stop();
    this.lifecycle.close();
    this.changes$.complete();
    if (this.slot) {
      await this.slot.gen.drain();
      await this.store!.release(this.slot.logs);
    }
    await this.store?.close();
  }

  /** The state of `key`, or undefined when it has none; when a query answers, and when it fails, is QueryOptions'. */
  async get(key: string, options?: QueryOptions): Promise<S | undefined> {
    checkKey('get: key', key);
    const gen = await this.readiness.answering(
      resolveQueryOptions(options, this.options.whileRestoring, 'get: options'),
    );
    return gen.get(key);
  }

  /** The states of `keys` (undefined for keys with none), read as get does. */
  async getMany(keys: readonly string[], options?: QueryOptions): Promise<Map<string, S | undefined>> {
    if (!Array.isArray(keys)) throw invalidArgument('getMany: keys must be an array of non-empty strings');
    keys.forEach((key, i) => checkKey(`getMany: keys[${i}]`, key));
    const gen = await this.readiness.answering(
      resolveQueryOptions(options, this.options.whileRestoring, 'getMany: options'),
    );
    const states = await Promise.all(keys.map((key: string) => gen.get(key)));
    return new Map(keys.map((key, i) => [key, states[i]]));
  }

  /** Committed changes from now on: of every key, or of one (plus 'rebuilt', after which its state should be read again). */
  changes(key?: string): Observable<StateChange<S>> {
    if (key === undefined) return this.changes$.asObservable();
    checkKey('changes: key', key);
    return this.changes$.pipe(filter((c) => c.kind === 'rebuilt' || c.key === key));
  }

  async status(): Promise<ProjectionStatus> {
    await this.open();
    const slot = this.slot!;
    const head = await this.def.source.head();
    const checkpoint = slot.gen.checkpoint?.next ?? -1;
    const lag = lagEvents(head, checkpoint);
    let lagSeconds = 0;
    if (lag > 0) {
      const oldest = await this.def.source.timeAt(Math.max(checkpoint, 0));
      if (oldest !== undefined && Number.isFinite(oldest)) lagSeconds = Math.max(0, (Date.now() - oldest) / 1000);
    }
    const status: ProjectionStatus = {
      name: this.name,
      state: this.lifecycle.state,
      generation: slot.logs.id,
      checkpoint,
      sourceHead: head,
      lagEvents: lag,
      lagSeconds,
      eventsPerSecond: this.meter.perSecond(),
      cache: { entries: slot.gen.cache.size, bytes: slot.gen.cache.calculatedSize },
      deadLetters: slot.deadLetters.count,
    };
    if (this.lifecycle.error) status.error = this.lifecycle.error;
    const rebuilding = this.rebuilding?.slot.gen.checkpoint;
    if (this.rebuilding) {
      const next = rebuilding?.next ?? -1;
      status.rebuilding = {
        generation: this.rebuilding.slot.logs.id,
        checkpoint: next,
        lagEvents: lagEvents(head, next),
      };
    }
    return status;
  }

  /**
   * Replays the source from its oldest event into a new generation while
   * queries keep answering from the current one, then switches to it once it
   * has caught up and deletes the old one. Resolves after the switch.
   */
  rebuild(): Promise<void> {
    // One at a time: a second call while one is under way waits for that one.
    this.rebuildCall ??= this.rebuildNow().finally(() => (this.rebuildCall = undefined));
    return this.rebuildCall;
  }

  private async rebuildNow(): Promise<void> {
    await this.open();
    const slot = this.slot!;
    const fresh = await this.freshSlot();
    if (!slot.pump) {
      // Not running: nobody reads the old state, so drop it now; the next start replays.
      await this.promote(fresh);
      return;
    }
    const rebuild = new Rebuild(fresh, {
      name: this.name,
      promote: (s) => this.promote(s),
      discard: (s) => discard(this.store!, s),
      done: () => (this.rebuilding = undefined),
    });
    this.rebuilding = rebuild;
    feed(fresh, this.def, this.options, OffsetOldest);
    return rebuild.done;
  }

  /** Runs a compaction of the state log now (also when no schedule is set). */
  async compact(): Promise<void> {
    await this.open();
    const slot = this.slot!;
    // Through the schedule's compactor when there is one: two compactions at once would race for the same offsets.
    await (slot.compactor
      ? slot.compactor.run()
      : compactStateLog(slot.logs.state, { everyMs: 1, ageMs: 0, backoffMs: 0 }));
  }

  /** Every committed state and the checkpoint they reflect, read from the state log; in any lifecycle state. */
  async snapshot(): Promise<{ checkpoint: Checkpoint | undefined; states: Map<string, S> }> {
    await this.open();
    const slot = this.slot!;
    // Compaction pauses meanwhile: deleting an old value and then its tombstone
    // while the scan is between the two would bring the deleted key back.
    const compactor = slot.compactor;
    await compactor?.stop();
    try {
      return await slot.gen.snapshot();
    } finally {
      if (compactor && slot.compactor === compactor) compactor.start();
    }
  }

  /** The events passed over under onError: 'skip'. */
  async deadLetters(): Promise<DeadLetter[]> {
    await this.open();
    return this.slot!.deadLetters.list();
  }

  private async openNow(): Promise<void> {
    this.store ??= await this.makeStore();
    const current = this.store.current;
    if (current !== undefined) {
      const opened = await openSlot(this.store, current, this.def, this.options);
      if (typeof opened !== 'string') {
        this.slot = opened;
        return;
      }
      this.resetReason = opened;
    }
    const fresh = await this.freshSlot();
    await this.store.switchTo(fresh.logs.id);
    if (current !== undefined) await this.store.remove(current);
    this.slot = fresh;
  }

  private async freshSlot(): Promise<Slot<S, E>> {
    const opened = await openSlot(this.store!, this.store!.fresh(), this.def, this.options);
    if (typeof opened === 'string')
      throw corrupted(`a new generation of projection "${this.def.name}" cannot be opened: ${opened}`);
    return opened;
  }

  /**
   * Makes `next` the generation in use: pointer first, then the swap, then
   * the old one goes. A pointer that cannot be switched fails the projection
   * (the old generation no longer follows the source) and drops `next`.
   */
  private async promote(next: Slot<S, E>): Promise<void> {
    const old = this.slot!;
    await starve(old);
    try {
      await this.store!.switchTo(next.logs.id);
    } catch (err) {
      this.lifecycle.set('failed', err instanceof Error ? err : new Error(String(err)));
      await discard(this.store!, next).catch(() => undefined);
      throw err;
    }
    this.slot = next;
    next.role = this.liveRole(next);
    // Caught up (that is when a rebuild switches), and fed: a catch-up under way is over, a failed generation replaced.
    if (next.pump && this.lifecycle.state !== 'running') this.lifecycle.set('running');
    this.readiness.committed(this.readiness.committedNext());
    this.changes$.next({ kind: 'rebuilt', generation: next.logs.id });
    await old.gen.drain();
    await this.store!.release(old.logs);
    await this.store!.remove(old.logs.id);
  }

  private liveRole(slot: Slot<S, E>) {
    return {
      committed: (changes: ReadonlyMap<string, PendingState<S>>, checkpoint: Checkpoint, events: number) => {
        this.meter.record(events);
        this.readiness.committed(checkpoint.next);
        if (!this.changes$.observed) return;
        for (const [key, { state, offset }] of changes) {
          this.changes$.next(state === null ? { kind: 'delete', key, offset } : { kind: 'set', key, state, offset });
        }
      },
      caughtUp: () => this.lifecycle.caughtUp(),
      failed: (error: unknown) => {
        void starve(slot);
        this.lifecycle.set('failed', error instanceof Error ? error : new Error(String(error)));
      },
    };
  }
}
