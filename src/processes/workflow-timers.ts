/**
 * Scheduled inputs. A schedule is recorded in the workflow's timers stream
 * before it is armed, and marked fired once its input is recorded in its
 * instance, so a timer pending at a crash fires after the restart (at once
 * when its time has passed), and one that fired just before a crash is
 * handed in again only to be found already recorded.
 */
import type { Event, EventStore } from '../eventstore/index.js';
import { appendRecord, timersStream, WorkflowTimerFired, WorkflowTimerScheduled } from './workflow-records.js';

export interface TimerData {
  workflow: string;
  timerId: string;
  workflowId: string;
  /** ISO-8601. */
  at: string;
  input: Event;
}

/** setTimeout's longest delay; a later timer is armed again when it wakes. */
const MAX_DELAY = 2 ** 31 - 1;

export class WorkflowTimers {
  private readonly armed = new Map<string, { timer: NodeJS.Timeout; data: TimerData }>();
  private readonly firing = new Set<Promise<void>>();
  private running = false;

  constructor(
    private readonly name: string,
    private readonly store: EventStore<Event>,
    /** Records the timer's input in its instance and carries out what it decides. */
    private readonly fire: (timer: TimerData) => Promise<unknown>,
    private readonly onError: (error: unknown, timer: TimerData) => void,
  ) {}

  /** Timers armed and not yet fired. */
  get pending(): number {
    return this.armed.size;
  }

  /** Records a schedule (once per timer id) and arms it when running. */
  async schedule(data: TimerData, ids: { correlationId: string; causationId: string }): Promise<void> {
    await appendRecord(() =>
      this.store.appendToStream(timersStream(this.name), WorkflowTimerScheduled(data), {
        commandId: `schedule:${data.timerId}`,
        ...ids,
      }),
    );
    if (this.running) this.arm(data);
  }

  /** Arms every timer recorded and not fired. */
  async start(): Promise<void> {
    this.running = true;
    const { events } = await this.store.readStream(timersStream(this.name));
    const pending = new Map<string, TimerData>();
    for (const event of events) {
      const data = event.data as TimerData;
      if (data.workflow !== this.name) continue;
      if (event.type === WorkflowTimerScheduled.type) pending.set(data.timerId, data);
      else if (event.type === WorkflowTimerFired.type) pending.delete(data.timerId);
    }
    if (this.running) for (const data of pending.values()) this.arm(data);
  }

  /** Disarms every timer and waits for those firing; start() arms the pending ones again. */
  async stop(): Promise<void> {
    this.running = false;
    for (const { timer } of this.armed.values()) clearTimeout(timer);
    this.armed.clear();
    await Promise.allSettled([...this.firing]);
  }

  private arm(data: TimerData): void {
    if (this.armed.has(data.timerId)) return;
    const delay = Math.max(0, Date.parse(data.at) - Date.now());
    const timer = setTimeout(
      () => {
        this.armed.delete(data.timerId);
        if (!this.running) return;
        if (delay > MAX_DELAY) return this.arm(data);
        const firing = this.fireOnce(data).finally(() => this.firing.delete(firing));
        this.firing.add(firing);
      },
      Math.min(delay, MAX_DELAY),
    );
    this.armed.set(data.timerId, { timer, data });
  }

  private async fireOnce(data: TimerData): Promise<void> {
    try {
      await this.fire(data);
      await this.store.appendToStream(
        timersStream(this.name),
        WorkflowTimerFired({ workflow: this.name, timerId: data.timerId }),
        {
          commandId: `fired:${data.timerId}`,
        },
      );
    } catch (err) {
      // Still recorded as pending: the next start fires it again.
      this.onError(err, data);
    }
  }
}
