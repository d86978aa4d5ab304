/**
 * Waking blocked readers: a port of klevdb's pkg/notify.Offset, plus a
 * directory watch for logs written by another process.
 *
 * Waiting is a promise settled by `set` (a publish), `close` or the caller's
 * AbortSignal; nothing polls and no timer is armed, so a process whose only
 * pending work is a wait on a closed or idle log can exit.
 */
import { watch, type FSWatcher } from 'node:fs';
import { LogError } from './errors.js';

interface Waiter {
  readonly offset: number;
  readonly resolve: () => void;
  readonly reject: (err: LogError) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** Told when the first waiter arrives and when the last one leaves. */
export interface WaitActivity {
  busy(): void;
  idle(): void;
}

export const closedWhileWaiting = (): LogError =>
  new LogError('ERR_CLOSED', 'the log was closed while waiting for new messages');

const aborted = (signal: AbortSignal): LogError =>
  new LogError('ERR_ABORTED', 'the wait for new messages was aborted', { cause: signal.reason });

export class OffsetNotify {
  #nextOffset: number;
  #closed = false;
  readonly #waiters = new Set<Waiter>();
  #activity: WaitActivity | undefined;

  constructor(nextOffset: number) {
    this.#nextOffset = nextOffset;
  }

  /** How many waits are pending (each holds one abort listener, if it had a signal). */
  get waiting(): number {
    return this.#waiters.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** At most one; replaces the previous. */
  observe(activity: WaitActivity | undefined): void {
    this.#activity = activity;
  }

  /**
   * Resolves once the next offset is past `offset`. As in Go, the check is
   * `nextOffset > offset`, so OffsetNewest (-1) and OffsetOldest (-2) never
   * wait: a consume from them returns at once. Unlike Go, an already aborted
   * signal rejects even when data is there, as AbortSignal users expect.
   */
  wait(offset: number, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(closedWhileWaiting());
    if (signal?.aborted) return Promise.reject(aborted(signal));
    if (this.#nextOffset > offset) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        offset,
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#remove(waiter);
          reject(aborted(signal!));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.add(waiter);
      if (this.#waiters.size === 1) this.#activity?.busy();
    });
  }

  /** A publish made `nextOffset` the next offset: wake everyone it satisfies. */
  set(nextOffset: number): void {
    if (this.#closed || nextOffset <= this.#nextOffset) return;
    this.#nextOffset = nextOffset;
    for (const waiter of this.#waiters) {
      if (nextOffset > waiter.offset) {
        this.#remove(waiter);
        waiter.resolve();
      }
    }
  }

  /** Rejects every pending wait with ERR_CLOSED; false when already closed. */
  close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    for (const waiter of this.#waiters) {
      this.#remove(waiter);
      waiter.reject(closedWhileWaiting());
    }
    return true;
  }

  #remove(waiter: Waiter): void {
    if (!this.#waiters.delete(waiter)) return;
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    if (this.#waiters.size === 0) this.#activity?.idle();
  }
}

/**
 * A readonly log that follows a writer in another process never sees that
 * writer's publishes, so its waiters are woken by an fs.watch on the log
 * directory instead: any change there makes it re-read the next offset. The
 * watch exists only while someone waits (it keeps the process alive exactly
 * as long as a wait is pending, like a socket read) and is closed with the
 * last waiter, so a closed log leaves no handle behind.
 */
export class DirectoryFollower implements WaitActivity {
  #watcher: FSWatcher | undefined;
  #reading = false;
  #again = false;

  constructor(
    private readonly notify: OffsetNotify,
    private readonly dir: string,
    private readonly readNextOffset: () => Promise<number>,
  ) {
    notify.observe(this);
  }

  busy(): void {
    if (this.#watcher) return;
    try {
      this.#watcher = watch(this.dir, { persistent: true }, () => this.#refresh());
    } catch {
      // Without a watch only in-process publishes wake waiters; aborting still works.
      return;
    }
    this.#watcher.on('error', () => this.idle());
    // The writer may have appended between the caller's last look and the
    // watch starting; that change would produce no event.
    this.#refresh();
  }

  idle(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #refresh(): void {
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    this.readNextOffset()
      .then(
        (next) => this.notify.set(next),
        () => undefined, // a closing log: close() settles the waiters
      )
      .finally(() => {
        this.#reading = false;
        const again = this.#again && this.#watcher !== undefined;
        this.#again = false;
        if (again) this.#refresh();
      });
  }
}
