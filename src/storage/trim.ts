// Port of klevdb's trim_age.go, trim_count.go, trim_offset.go and trim_size.go:
// retention by age, message count, offset and size. Each find* says which
// offsets at the start of the log would go; trimByX deletes them from one
// segment (one Log.delete), trimByXMulti / trimByXMultiOffsets from all.

import { isLogError } from './errors.js';
import { family } from './delete-multi.js';
import type { Finder } from './delete-multi.js';
import { scan, scanUntil } from './retention-support.js';
import { checkDate, checkNonNegative, checkOffset } from './validate.js';
import { OffsetNewest, OffsetOldest } from './types.js';
import type { Message } from './types.js';

const byAge: Finder<[before: Date]> = async (ctx, log, before) => {
  checkDate(`${ctx.fn}: before`, before);
  let maxOffset: number;
  try {
    ({ offset: maxOffset } = await log.offsetByTime(before));
  } catch (err) {
    // Without a time index, or when every message is before, scan up to the end.
    // Anything else (an empty time-indexed log is ERR_INVALID_OFFSET, as in Go) fails.
    if (!isLogError(err, 'ERR_NO_INDEX') && !isLogError(err, 'ERR_NOT_FOUND')) throw err;
    maxOffset = await log.nextOffset();
  }
  return scanUntil(ctx, log, maxOffset, before, (m, offsets) => offsets.add(m.offset));
};

const byCount: Finder<[max: number]> = async (ctx, log, max) => {
  checkNonNegative(`${ctx.fn}: max`, max);
  const stats = await log.stat();
  if (stats.messages <= max) return new Set();
  const maxOffset = await log.nextOffset();
  let toRemove = stats.messages - max;
  return scan(ctx, log, maxOffset, (m, offsets) => {
    offsets.add(m.offset);
    return --toRemove > 0;
  });
};

const byOffset: Finder<[before: number]> = async (ctx, log, before) => {
  // Go takes any int64: OffsetOldest trims nothing, OffsetNewest everything
  // published so far. Below OffsetOldest it would silently trim nothing; that is
  // almost surely a mistake, so it is refused as consume refuses it.
  checkOffset(`${ctx.fn}: before`, before);
  if (before === OffsetOldest) return new Set();
  let maxOffset = await log.nextOffset();
  if (before === OffsetNewest) before = maxOffset;
  else if (maxOffset > before) maxOffset = before;
  return scan(ctx, log, maxOffset, (m, offsets) => {
    if (m.offset >= before) return false;
    offsets.add(m.offset);
    return true;
  });
};

const bySize: Finder<[size: number]> = async (ctx, log, size) => {
  checkNonNegative(`${ctx.fn}: size`, size);
  const stats = await log.stat();
  if (stats.size < size) return new Set();
  const maxOffset = await log.nextOffset();
  // Go counts down from the whole size on disk (headers included) with the size
  // each message takes, until it is strictly below the target.
  let total = stats.size;
  return scan(ctx, log, maxOffset, (m, offsets) => {
    offsets.add(m.offset);
    // A local log's scan hands over records without `time`: size() reads key and value only.
    total -= log.size(m as Message);
    return total >= size;
  });
};

const age = family('findByAge', 'trimByAge', byAge);
const count = family('findByCount', 'trimByCount', byCount);
const offset = family('findByOffset', 'trimByOffset', byOffset);
const size = family('findBySize', 'trimBySize', bySize);

/** The offsets at the start of the log whose time is not after `before` (all of them up to the first one that is). */
export const findByAge = age.find;
/** Deletes, from the oldest segment they are in, the messages findByAge names. */
export const trimByAge = age.one;
/** Deletes every message findByAge names, segment by segment, with `backoff` between segments. */
export const trimByAgeMulti = age.multi;
/** As trimByAgeMulti, keeping only the deleted offsets. */
export const trimByAgeMultiOffsets = age.multiOffsets;

/** The oldest offsets that must go for at most `max` messages to remain. */
export const findByCount = count.find;
/** Deletes, from the oldest segment they are in, the messages findByCount names. */
export const trimByCount = count.one;
/** Deletes every message findByCount names, segment by segment, with `backoff` between segments. */
export const trimByCountMulti = count.multi;
/** As trimByCountMulti, keeping only the deleted offsets. */
export const trimByCountMultiOffsets = count.multiOffsets;

/** The offsets below `before` (OffsetNewest: all published so far; OffsetOldest: none). */
export const findByOffset = offset.find;
/** Deletes, from the oldest segment they are in, the messages findByOffset names. */
export const trimByOffset = offset.one;
/** Deletes every message findByOffset names, segment by segment, with `backoff` between segments. */
export const trimByOffsetMulti = offset.multi;
/** As trimByOffsetMulti, keeping only the deleted offsets. */
export const trimByOffsetMultiOffsets = offset.multiOffsets;

/** The oldest offsets that must go for the log's size (stat().size) to drop below `size` bytes. */
export const findBySize = size.find;
/** Deletes, from the oldest segment they are in, the messages findBySize names. */
export const trimBySize = size.one;
/** Deletes every message findBySize names, segment by segment, with `backoff` between segments. */
export const trimBySizeMulti = size.multi;
/** As trimBySizeMulti, keeping only the deleted offsets (Go's returns messages here; see API.md). */
export const trimBySizeMultiOffsets = size.multiOffsets;
