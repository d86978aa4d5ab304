/**
 * Wakes blocking consumes on a JetStream log. While anyone waits, one pull
 * consumer starting after the newest known sequence long-polls the stream;
 * every message it is handed moves the log's known next offset, which wakes
 * the waiters it satisfies (the local log's OffsetNotify does the waking, so
 * abort and close behave exactly as there). Nobody waiting, nothing polls.
 */
import type { WaitActivity } from '../storage/backend-kit.js';
import type { Api } from './api.js';
import { Reader } from './reader.js';

const POLL_MS = 5_000;
const LINGER_MS = 1_000;

export interface TailTarget {
  /** The newest sequence known so far. */
  knownLast(): number;
  /** Asks the server for the stream's last sequence (and records it). */
  refreshLast(): Promise<number>;
  /** A message with this sequence exists (or existed). */
  seen(seq: number): void;
  closed(): boolean;
}

export class TailWatcher implements WaitActivity {
  #wanted = false;
  #running = false;
  #reader: Reader | null = null;
  #wake: (() => void) | null = null;

  constructor(
    private readonly api: Api,
    private readonly stream: string,
    private readonly filter: string,
    private readonly target: TailTarget,
  ) {}

  busy(): void {
    this.#wanted = true;
    if (this.#running) this.#wake?.();
    else void this.#loop();
  }

  /** After the last waiter left, stays ready for the next one this long (a live stream waits again at once). */
  #linger(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve(false);
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve(true);
      };
    });
  }

  idle(): void {
    this.#wanted = false;
  }

  /** Stops polling now (the log is closing). */
  stop(): void {
    this.#wanted = false;
    this.#wake?.();
    void this.#reader?.destroy();
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      await this.target.refreshLast().catch(() => undefined);
      while (!this.target.closed()) {
        if (!this.#wanted && !(await this.#linger(LINGER_MS))) break;
        if (this.target.closed()) break;
        try {
          const start = this.target.knownLast() + 1;
          let reader = this.#reader;
          if (!reader || reader.broken || reader.position !== start) {
            void reader?.destroy();
            reader = this.#reader = await Reader.create(this.api, this.stream, this.filter, start);
            // A close while the consumer was being made found no reader to stop: a pull
            // now would wait out its timer after the connection is gone, keeping the process alive.
            if (this.target.closed()) break;
          }
          const got = await reader.pull(1, this.api.timeoutMs, POLL_MS);
          for (const m of got) this.target.seen(m.seq);
        } catch {
          if (this.target.closed()) break;
          this.#reader = null;
          await new Promise((r) => setTimeout(r, 200));
          await this.target.refreshLast().catch(() => undefined);
        }
      }
    } finally {
      this.#running = false;
      void this.#reader?.destroy();
      this.#reader = null;
      // A waiter that arrived while the loop was leaving must not be left without a poller.
      if (this.#wanted && !this.target.closed()) this.busy();
    }
  }
}
