// Background compaction of a log used as a compacted topic: every round
// drops the values a newer value of the same key replaces, then the
// tombstones that no longer hide anything. Rounds never overlap, and the
// store keeps taking reads and writes while one runs.
import {
  compactDeletesMultiOffsets,
  compactUpdatesMultiOffsets,
  deleteMultiWithWait,
  isLogError,
  type Log,
} from '../../src/index.js';

export interface CompactionRound {
  /** Values replaced by a newer one of their key. */
  updates: number;
  /** Tombstones dropped once nothing older of their key was left. */
  tombstones: number;
  ms: number;
}

export interface CompactorOptions {
  /** Time between rounds. */
  everyMs: number;
  /** Only messages older than this are compacted (tombstones: twice this), so readers have time to see them. */
  minAgeMs?: number;
  onRound?: (round: CompactionRound) => void;
  onError?: (err: unknown) => void;
}

export class BackgroundCompactor {
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private waiters: Array<(round: CompactionRound) => void> = [];

  constructor(
    private readonly log: Log,
    private readonly options: CompactorOptions,
  ) {}

  start(): this {
    this.schedule();
    return this;
  }

  /** The next round to finish. */
  nextRound(): Promise<CompactionRound> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops scheduling and cancels a round under way (what it deleted so far stays deleted). */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.running = this.round().finally(() => {
        if (!this.abort.signal.aborted) this.schedule();
      });
    }, this.options.everyMs);
  }

  private async round(): Promise<void> {
    const started = performance.now();
    const age = this.options.minAgeMs ?? 0;
    // Stored times have microseconds: a bound 1 ms ahead covers everything written so far.
    const before = (ms: number) => new Date(Date.now() - ms + 1);
    const pause = deleteMultiWithWait(1); // let reads and writes in between segments
    try {
      const updates = await compactUpdatesMultiOffsets(this.log, before(age), pause, this.abort.signal);
      const tombstones = await compactDeletesMultiOffsets(this.log, before(age * 2), pause, this.abort.signal);
      await this.log.gc(0);
      const round = {
        updates: updates.deleted.size,
        tombstones: tombstones.deleted.size,
        ms: performance.now() - started,
      };
      this.options.onRound?.(round);
      for (const resolve of this.waiters.splice(0)) resolve(round);
    } catch (err) {
      if (isLogError(err, 'ERR_ABORTED')) return;
      this.options.onError?.(err);
    }
  }
}
