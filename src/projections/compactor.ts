/**
 * Background compaction of a state log: compactUpdates (only the newest
 * record of each key stays, so the newest checkpoint always does) then
 * compactDeletes (tombstones whose older values are gone). The Multi
 * variants delete one segment at a time with a backoff between segments, so
 * the runner's commits interleave with a long compaction instead of waiting
 * for it.
 */
import {
  compactDeletesMulti,
  compactUpdatesMulti,
  deleteMultiWithWait,
  isLogError,
  type Log,
} from '../storage/index.js';

export interface CompactionOptions {
  /** Run every this many ms. */
  everyMs: number;
  /** Only records older than this many ms are compacted (default 0); tombstones after twice that. */
  ageMs?: number;
  /** Pause between segments, in ms (default 10). */
  backoffMs?: number;
}

export class Compactor {
  private timer: NodeJS.Timeout | undefined;
  private controller = new AbortController();
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Compactions completed, and the last failure (compaction is retried on the next round). */
  runs = 0;
  lastError: unknown;

  constructor(
    private readonly log: Log,
    private readonly options: CompactionOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.controller = new AbortController();
    this.schedule();
  }

  /** One compaction now (after the one under way, if any). */
  run(): Promise<void> {
    const run = (this.running ?? Promise.resolve()).catch(() => undefined).then(() => this.compact());
    this.running = run;
    return run;
  }

  /** Aborts a compaction under way between two segments, and waits for it. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.controller.abort();
    await this.running?.catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.run()
        .catch((err: unknown) => {
          if (!isLogError(err, 'ERR_ABORTED') && !isLogError(err, 'ERR_CLOSED')) this.lastError = err;
        })
        .finally(() => this.schedule());
    }, this.options.everyMs);
    // A schedule alone must not keep the process alive.
    this.timer.unref();
  }

  private async compact(): Promise<void> {
    if (this.controller.signal.aborted) return;
    await compactStateLog(this.log, this.options, this.controller.signal);
    this.runs++;
  }
}

/** One round: updates older than ageMs, then tombstones older than twice that. */
export async function compactStateLog(log: Log, options: CompactionOptions, signal?: AbortSignal): Promise<void> {
  const age = options.ageMs ?? 0;
  const backoff = deleteMultiWithWait(options.backoffMs ?? 10);
  // 1 ms ahead: stored times have microseconds, so "now" could miss the newest record.
  const now = Date.now() + 1;
  await compactUpdatesMulti(log, new Date(now - age), backoff, signal);
  await compactDeletesMulti(log, new Date(now - 2 * age), backoff, signal);
}
