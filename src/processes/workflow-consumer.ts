/**
 * Feeds a workflow from its event store with a durable checkpoint: a
 * durable subscription (klevdb/streams) named `workflow-<name>` over the
 * store's log, whose position is committed only once every event of a
 * batch was handled, the outputs of its inputs carried out. After a crash
 * the batch is read again: inputs already recorded are found so, and the
 * workflow's own records tell which outputs to carry out again.
 */
import type { RecordedEvent } from '../eventstore/envelope.js';
import type { EventStore } from '../eventstore/event-store.js';
import type { Event } from '../eventstore/event-type.js';
import type { BlockingLog } from '../storage/index.js';
import { openSubscription, type DurableSubscription } from '../streams/durable.js';
import { workflowSubscriptionName, type CheckpointPlace, type OpenCheckpoints } from './workflow-checkpoints.js';

export class WorkflowConsumer {
  private subscription: DurableSubscription | undefined;
  private place: CheckpointPlace | undefined;
  private running: Promise<void> | undefined;
  private lastCommitted = -1;
  /** Why the consumer stopped on its own, if it did. */
  error: Error | undefined;

  constructor(
    private readonly log: BlockingLog,
    private readonly store: EventStore<Event>,
    private readonly options: { name: string; checkpoints: OpenCheckpoints; batchSize: number },
    private readonly handle: (event: RecordedEvent) => Promise<void>,
    private readonly onFailed: (error: Error) => void,
  ) {}

  get active(): boolean {
    return this.running !== undefined;
  }

  /** The next offset a restart reads (-1 before the first start). */
  get committed(): number {
    return this.subscription?.committed ?? this.lastCommitted;
  }

  async start(): Promise<void> {
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
        if (this.subscription === subscription && !isStop(err)) {
          this.error = err instanceof Error ? err : new Error(String(err));
          this.onFailed(this.error);
        }
      });
  }

  async stop(): Promise<void> {
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

  private async handleBatch(first: number | undefined, count: number, nextOffset: number): Promise<void> {
    if (first === undefined) return;
    // The subscription reads raw messages; the store decodes them (upcasts, validates) as events.
    const { events } = await this.store.readAll({ fromPosition: first, maxCount: count });
    const settled = await Promise.allSettled(
      events.filter((e) => e.meta.position < nextOffset).map((e) => this.handle(e)),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

const isStop = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 'ERR_ABORTED';
