/** What a projection reports about itself: its lifecycle state, checkpoint, lag and rate. */

/**
 * - `restoring`: started, catching up from its checkpoint to the source's end
 *   as it was at start. A query with upTo answers once that position is
 *   committed; one without waits or fails, as whileRestoring says.
 * - `running`: has committed through that end (or read to the source's end),
 *   and follows the source live; queries answer at once, from what is
 *   committed (upTo waits for a later position). A rebuild does not change it.
 * - `stopped`: not started, or stopped: it does not follow its source, so a
 *   query fails unless its upTo was committed before.
 * - `failed`: stopped by an error (e.g. a poison event), which
 *   `status().error` names; queries as when stopped.
 */
export type ProjectionState = 'restoring' | 'running' | 'stopped' | 'failed';

export interface ProjectionStatus {
  name: string;
  state: ProjectionState;
  /** The generation of the state log in use (a rebuild makes a new one). */
  generation: number;
  /** The committed checkpoint: the source offset the next run resumes at (-1: nothing committed yet). */
  checkpoint: number;
  /** The source's next offset: where its next event will go. */
  sourceHead: number;
  /** Source offsets between the checkpoint and the head. */
  lagEvents: number;
  /** Age of the oldest event not yet in the checkpoint, in seconds (0 when caught up). */
  lagSeconds: number;
  /** Events committed per second, over the last few seconds. */
  eventsPerSecond: number;
  /** The hot-state cache: keys held, and their bytes when it is bounded in bytes (else 0). */
  cache: { entries: number; bytes: number };
  /** Events passed over and recorded under onError: 'skip'. */
  deadLetters: number;
  /** Why the projection failed, when it did. */
  error?: Error;
  /** A rebuild under way: the new generation's progress. */
  rebuilding?: { generation: number; checkpoint: number; lagEvents: number };
}

/** Source offsets between a checkpoint (-1: none) and the head. */
export function lagEvents(head: number, checkpoint: number): number {
  return Math.max(0, head - Math.max(checkpoint, 0));
}

const WINDOW_MS = 5000;

/** Events per second over a sliding window of commits. */
export class RateMeter {
  private readonly samples: Array<{ at: number; events: number }> = [];

  record(events: number, at = Date.now()): void {
    this.samples.push({ at, events });
    while (this.samples.length > 1 && this.samples[0]!.at < at - WINDOW_MS) this.samples.shift();
  }

  perSecond(now = Date.now()): number {
    const recent = this.samples.filter((s) => s.at >= now - WINDOW_MS);
    if (recent.length === 0) return 0;
    const total = recent.reduce((sum, s) => sum + s.events, 0);
    // Over the time the samples span, but at least a second: one burst is not a rate.
    const span = Math.max(1000, now - recent[0]!.at);
    return (total * 1000) / span;
  }
}
