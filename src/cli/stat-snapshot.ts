/**
 * What `klevdb stat` reads beside a writer in another process: counts, next
 * offset and first message from one moment, or saying how far apart they are.
 */
import { OffsetOldest } from '../storage/index.js';
import type { Log, Message, Stats } from '../storage/index.js';

/** Tries in a row, then tries a pause apart until this long has passed, for a reading from one moment. */
const QUICK_TRIES = 20;
export const PATIENCE_MS = 5000;
const PAUSE_MS = 10;

export interface Snapshot {
  stats: Stats;
  nextOffset: number;
  first: Message | undefined;
  /** Messages the writer published during the last reading: 0 when its counts are from one moment. */
  publishedDuring: number;
}

/**
 * stat, nextOffset and the first message from one moment: beside a writer
 * each call catches up with it, so they are read again until the next
 * offset did not move meanwhile. A writer that never pauses for `patienceMs`
 * gets the last reading, with how many messages it published during it.
 */
export async function snapshot(log: Log, patienceMs = PATIENCE_MS): Promise<Snapshot> {
  const started = Date.now();
  for (let tries = 1; ; tries++) {
    const before = await log.nextOffset();
    const stats = await log.stat();
    const first = (await log.consume(OffsetOldest, 1)).messages[0];
    const nextOffset = await log.nextOffset();
    const publishedDuring = nextOffset - before;
    if (publishedDuring === 0 || Date.now() - started >= patienceMs) {
      return { stats, nextOffset, first, publishedDuring };
    }
    // A writer publishing without a pause: wait for one (each reading of a log of many segments takes a while).
    if (tries >= QUICK_TRIES) await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
}
