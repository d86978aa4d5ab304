/**
 * Parallel by key, checkpoint in order. The KeyScheduler runs one item per
 * key at a time, in the order the items came, and up to `concurrency` keys
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

export interface Keyed {
  /** Items of one key run one at a time (a run with one slot may leave it undefined: one key). */
  readonly key: string | undefined;
}

export class KeyScheduler<T extends Keyed> {
  /** Items not started yet, per key that has any or is running. */
  private readonly waiting = new Map<string | undefined, Fifo<T>>();
  /** Keys with waiting items and none running, in the order they became ready. */
  private readonly ready = new Fifo<string | undefined>();
  private running = 0;
  private paused = false;
  private idle: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    /** Starts handling one item, and calls finished(item) once done (a callback, not a promise: no allocation per item). */
    private readonly run: (item: T) => void,
  ) {}

  /** Handlers running now. */
  get active(): number {
    return this.running;
  }

  push(item: T): void {
    const queue = this.waiting.get(item.key);
    if (queue !== undefined) {
      queue.push(item);
      return;
    }
    const fresh = new Fifo<T>();
    fresh.push(item);
    this.waiting.set(item.key, fresh);
    this.ready.push(item.key);
    this.drain();
  }

  /** No new item starts; the running ones finish. Resolves once none runs. */
  pause(): Promise<void> {
    this.paused = true;
    return this.whenIdle();
  }

  resume(): void {
    this.paused = false;
    this.drain();
  }

  /** Resolves once no handler runs (new ones may start after, unless paused). */
  whenIdle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private drain(): void {
    while (!this.paused && this.running < this.concurrency && this.ready.size > 0) {
      const key = this.ready.shift()!;
      const item = this.waiting.get(key)!.shift()!;
      this.running++;
      this.run(item);
    }
  }

  /** `item`, started by run, is done: the next of its key may start. */
  finished(item: T): void {
    const key = item.key;
    this.running--;
    const queue = this.waiting.get(key)!;
    if (queue.size === 0) this.waiting.delete(key);
    else this.ready.push(key);
    this.drain();
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
