/**
 * Parallel by key, checkpoint in order. The KeyScheduler runs one item per
 * key (lane) at a time, in the order the items came, and up to `concurrency` keys
 * at once; the InOrderCheckpoint tells how far every item is done, so the
 * checkpoint never passes an item still running, retrying or queued behind
 * a slow key, even when later items of other keys are done.
 */

/** A first-in first-out queue without Array.shift's copying. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Drop the consumed prefix once it is most of the array.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

export class KeyScheduler<T> {
  /** Items not started yet, per lane that has any or is running. */
  private readonly waiting = new Map<string | undefined, Fifo<T>>();
  /** Lanes with waiting items and none running, in the order they became ready. */
  private readonly ready = new Fifo<string | undefined>();
  private running = 0;
  private paused = false;
  private idle: Array<() => void> = [];

  /**
   * Items run by worker loops (an async loop awaiting each handler costs less
   * per item than a promise of its own per item): `startWorker` starts one,
   * which must call take() at once (synchronously), then finished(item) after
   * each item and take() again until it answers undefined.
   */
  constructor(
    private readonly concurrency: number,
    /** Items of one lane run one at a time, in the order they came; undefined is a lane too. */
    private readonly laneOf: (item: T) => string | undefined,
    private readonly startWorker: () => void,
  ) {}

  /** Handlers running now. */
  get active(): number {
    return this.running;
  }

  push(item: T): void {
    const lane = this.laneOf(item);
    const queue = this.waiting.get(lane);
    if (queue !== undefined) {
      queue.push(item);
      return;
    }
    const fresh = new Fifo<T>();
    fresh.push(item);
    this.waiting.set(lane, fresh);
    this.ready.push(lane);
    this.spawn();
  }

  /** The next item to run (it counts as running until finished), or undefined: the worker ends. */
  take(): T | undefined {
    if (this.paused || this.ready.size === 0) return undefined;
    const lane = this.ready.shift();
    this.running++;
    return this.waiting.get(lane)!.shift();
  }

  /** No new item starts; the running ones finish. Resolves once none runs. */
  pause(): Promise<void> {
    this.paused = true;
    return this.whenIdle();
  }

  resume(): void {
    this.paused = false;
    this.spawn();
  }

  /** Resolves once no handler runs (new ones may start after, unless paused). */
  whenIdle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** A worker per ready lane, up to `concurrency` (each takes one at once, so `running` counts it). */
  private spawn(): void {
    while (!this.paused && this.running < this.concurrency && this.ready.size > 0) this.startWorker();
  }

  /** `item`, from take(), is done: the next of its lane may start. */
  finished(item: T): void {
    const lane = this.laneOf(item);
    this.running--;
    const queue = this.waiting.get(lane)!;
    if (queue.size === 0) this.waiting.delete(lane);
    else this.ready.push(lane);
    if (this.running === 0 && this.idle.length > 0) {
      const idle = this.idle;
      this.idle = [];
      for (const resolve of idle) resolve();
    }
  }
}

export interface Tracked {
  readonly offset: number;
  done: boolean;
}

/**
 * The items handed out, in source order, until every one before them is
 * done too. `next` is the offset to resume at: the first item not done, or
 * (all done) the end of what was read.
 */
export class InOrderCheckpoint<T extends Tracked> {
  private readonly items = new Fifo<T>();

  constructor(
    /** Everything before it was read and handed out or passed over. */
    private end: number,
  ) {}

  /** Items handed out and not yet behind the checkpoint. */
  get size(): number {
    return this.items.size;
  }

  add(item: T): void {
    this.items.push(item);
  }

  /** Everything before `offset` was handed out or passed over. */
  readTo(offset: number): void {
    if (offset > this.end) this.end = offset;
  }

  /** Drops the done items at the front, passing each to `passed`; returns the offset to resume at. */
  advance(passed?: (item: T) => void): number {
    for (let first = this.items.peek(); first !== undefined && first.done; first = this.items.peek()) {
      this.items.shift();
      // Items are handed out in source order: everything before a done item at the front is behind us.
      if (first.offset + 1 > this.end) this.end = first.offset + 1;
      passed?.(first);
    }
    return this.items.peek()?.offset ?? this.end;
  }
}
