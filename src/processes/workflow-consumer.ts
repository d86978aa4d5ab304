/**
 * Feeds a workflow from its event store with a durable checkpoint: a
 * durable subscription (klevdb/streams) named `workflow-<name>` over the
 * store's log, whose position is committed only once every event of a
 * batch was handled, the outputs of its inputs carried out. After a crash
 * the batch is read again: inputs already recorded are found so, and the
 * workflow's own records tell which outputs to carry out again. A run that
 * fails (the store, a command handler that threw) is reported and, unless
 * options.restart is false, started again after a pause that grows with
 * the failures in a row.
 */
import type { Event, EventStore, RecordedEvent } from '../eventstore/index.js';
import type { BlockingLog } from '../storage/index.js';
import { openSubscription, type DurableSubscription } from '../streams/durable.js';
import { workflowSubscriptionName, type CheckpointPlace, type OpenCheckpoints } from './workflow-checkpoints.js';
import type { RestartOptions } from './workflow-options.js';

export class WorkflowConsumer {
  private subscription: DurableSubscription | undefined;
  private place: CheckpointPlace | undefined;
  private running: Promise<void> | undefined;
  private lastCommitted = -1;
  /** start() was called and stop() was not since: a failed run is restarted. */
  private wanted = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;
  /** Failures since the last batch handled: the next pause grows with them. */
  private failuresInRow = 0;
  /** Why the consumer stopped on its own, if it did (cleared when it starts again). */
  error: Error | undefined;
  /** Runs started again after a failure. */
  restarts = 0;

  constructor(
    private readonly log: BlockingLog,
    private readonly store: EventStore<Event>,
    private readonly options: {
      name: string;
      checkpoints: OpenCheckpoints;
      batchSize: number;
      restart: Required<RestartOptions> | false;
    },
    private readonly handle: (event: RecordedEvent) => Promise<void>,
    private readonly onFailed: (error: Error) => void,
  ) {}

  get active(): boolean {
    return this.running !== undefined;
  }

  /** A failed run waits to be started again, or is being started. */
  get restartPending(): boolean {
    return this.restartTimer !== undefined || this.restarting !== undefined;
  }

  /** The next offset a restart reads (-1 before the first start). */
  get committed(): number {
    return this.subscription?.committed ?? this.lastCommitted;
  }

  async start(): Promise<void> {
    this.wanted = true;
    await this.restarting;
    await this.openRun();
  }

  async stop(): Promise<void> {
    this.wanted = false;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.restarting;
    await this.closeRun();
  }

  private async openRun(): Promise<void> {
    if (this.running) return;
    this.error = undefined;
    const place = await this.options.checkpoints();
    let subscription: DurableSubscription;
    try {
      subscription = await openSubscription(this.log, {
        name: workflowSubscriptionName(this.options.name),
        offsets: place.offsets,
        batchSize: this.options.batchSize,
        start: 'oldest',
      });
    } catch (err) {
      await place.release();
      throw err;
    }
    this.place = place;
    this.subscription = subscription;
    this.running = subscription
      .run((batch) => this.handleBatch(batch.messages[0]?.offset, batch.messages.length, batch.nextOffset))
      .catch((err: unknown) => {
        // stop() ends the run with ERR_ABORTED or quietly; anything else is a failure.
        if (this.subscription === subscription && !isStop(err)) this.failed(err);
      });
  }

  private async closeRun(): Promise<void> {
    const subscription = this.subscription;
    const running = this.running;
    if (!subscription || !running) return;
    this.subscription = undefined;
    subscription.stop();
    await running;
    this.running = undefined;
    this.lastCommitted = subscription.committed;
    try {
      await subscription.close();
    } finally {
      await this.place?.release();
      this.place = undefined;
    }
  }

  private failed(err: unknown): void {
    this.error = err instanceof Error ? err : new Error(String(err));
    this.onFailed(this.error);
    const policy = this.options.restart;
    if (!policy || !this.wanted) return;
    const pause = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** this.failuresInRow);
    this.failuresInRow++;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restarting = this.restart().finally(() => (this.restarting = undefined));
    }, pause);
  }

  /** Closes the failed run and opens a new one from the committed position (stop() meanwhile wins). */
  private async restart(): Promise<void> {
    try {
      await this.closeRun();
      if (!this.wanted) return;
      await this.openRun();
      this.restarts++;
    } catch (err) {
      this.failed(err);
    }
  }

  private async handleBatch(first: number | undefined, count: number, nextOffset: number): Promise<void> {
    if (first === undefined) return;
    // The subscription reads raw messages; the store decodes them (upcasts, validates) as events.
    const { events } = await this.store.readAll({ fromPosition: first, maxCount: count });
    const settled = await Promise.allSettled(
      events.filter((e) => e.meta.position < nextOffset).map((e) => this.handle(e)),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    this.failuresInRow = 0;
  }
}

const isStop = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 'ERR_ABORTED';
