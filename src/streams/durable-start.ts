/**
 * Where a durable subscription starts when it opens: option `start` for a
 * new (or reset) subscription, its committed position otherwise, moved up to
 * the source's oldest message when retention removed what it had not read.
 */
import { isLogError, LogError, OffsetOldest, type BlockingLog } from '../storage/index.js';
import type { ResolvedSubscriptionOptions } from './durable-options.js';

/** The offset of the source's oldest message (its next offset when it holds none). */
async function oldestOffset(source: BlockingLog): Promise<number> {
  const got = await source.consume(OffsetOldest, 1);
  return got.messages[0]?.offset ?? got.nextOffset;
}

/** The first offset of a subscription with no committed position: option `start`. */
export async function startOffset(source: BlockingLog, opts: ResolvedSubscriptionOptions): Promise<number> {
  const start = opts.start;
  if (start === 'newest') return source.nextOffset();
  if (start === 'oldest') return oldestOffset(source);
  if ('offset' in start) {
    const head = await source.nextOffset();
    if (start.offset > head) {
      throw new LogError(
        'ERR_INVALID_OFFSET',
        `klevdb/streams: option "start.offset" ${start.offset} is past the end of the source (next offset ${head})`,
      );
    }
    return Math.max(start.offset, await oldestOffset(source));
  }
  try {
    return (await source.offsetByTime(start.time)).offset;
  } catch (err) {
    // Nothing at or after the time yet: what comes next is.
    if (isLogError(err, 'ERR_NOT_FOUND')) return source.nextOffset();
    if (isLogError(err, 'ERR_NO_INDEX')) {
      throw new LogError(
        'ERR_NO_INDEX',
        'klevdb/streams: option "start.time" needs the source\'s time index; open the source with timeIndex: true, or start at an offset',
        { cause: err },
      );
    }
    throw err;
  }
}

/** Where a subscription with a committed position resumes; onSkipped hears of messages retention removed unread. */
export async function resumeOffset(
  source: BlockingLog,
  opts: ResolvedSubscriptionOptions,
  committed: number,
): Promise<number> {
  const head = await source.nextOffset();
  if (committed > head) {
    throw new LogError(
      'ERR_INVALID_OFFSET',
      `klevdb/streams: subscription "${opts.name}" committed position ${committed} is past the end of the source (next offset ${head}): ` +
        'the source is not the log it consumed (recreated or replaced?); open with reset: true to start at option "start" instead',
    );
  }
  const oldest = await oldestOffset(source);
  if (committed >= oldest) return committed;
  opts.onSkipped?.({ subscription: opts.name, committed, resumedAt: oldest });
  return oldest;
}
