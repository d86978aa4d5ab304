// Port of klevdb's compact.go, compact_deletes.go and compact_updates.go:
// key-based compaction. Only per-key bookkeeping survives a scan (an entry
// per key, scan-keys.ts, and a bit per offset to delete), so a log of
// millions of messages is compacted in batches of 32 messages at a time.

import { family } from './delete-multi.js';
import type { DeleteMultiBackoff, Finder, MultiOptions } from './delete-multi.js';
import { checkBackoff, checkLog, checkMultiOptions, isTombstone, keyEntry, scanUntil } from './retention-support.js';
import { ScanKeys } from './scan-keys.js';
import { checkDate, checkNonNegative, checkSignal } from './validate.js';
import type { Log } from './types.js';

/**
 * The first message of each key up to `before`, when it has no value: nothing
 * older can be shadowed by it, so the tombstone itself is no longer needed.
 * A tombstone after an older value of its key stays (removing it would bring
 * the value back) until compactUpdates has removed that value.
 */
const deletesBefore: Finder<[before: Date]> = async (ctx, log, before) => {
  checkDate(`${ctx.fn}: before`, before);
  const keys = new ScanKeys();
  return scanUntil(ctx, log, await log.nextOffset(), before, (m, offsets) => {
    keyEntry(keys, m);
    if (keys.added && isTombstone(m)) offsets.add(m.offset);
  });
};

/** Every message up to `before` that a later message (also up to `before`) of its key replaces. */
const updatesBefore: Finder<[before: Date]> = async (ctx, log, before) => {
  checkDate(`${ctx.fn}: before`, before);
  // Per key, the offset of its latest message so far.
  const keys = new ScanKeys();
  return scanUntil(ctx, log, await log.nextOffset(), before, (m, offsets) => {
    const e = keyEntry(keys, m);
    if (!keys.added) offsets.add(keys.values[e]!);
    keys.values[e] = m.offset;
  });
};

const deletes = family('findDeletes', 'compactDeletes', deletesBefore);
const updates = family('findUpdates', 'compactUpdates', updatesBefore);

/** Offsets of tombstones (null value) up to `before` that are the first message of their key. */
export const findDeletes = deletes.find;
/** Deletes, from the oldest segment they are in, the tombstones findDeletes names. */
export const compactDeletes = deletes.one;
/** Deletes every tombstone findDeletes names, segment by segment, with `backoff` between segments. */
export const compactDeletesMulti = deletes.multi;
/** As compactDeletesMulti, keeping only the deleted offsets. */
export const compactDeletesMultiOffsets = deletes.multiOffsets;

/** Offsets of messages up to `before` that a later message of the same key (also up to `before`) replaces. */
export const findUpdates = updates.find;
/** Deletes, from the oldest segment they are in, the messages findUpdates names. */
export const compactUpdates = updates.one;
/** Deletes every message findUpdates names, segment by segment, with `backoff` between segments. */
export const compactUpdatesMulti = updates.multi;
/** As compactUpdatesMulti, keeping only the deleted offsets. */
export const compactUpdatesMultiOffsets = updates.multiOffsets;

// The earliest time a Date holds: a huge age means "nothing is that old".
const EARLIEST_MS = -8.64e15;

function ago(ms: number): Date {
  return new Date(Math.max(Date.now() - ms, EARLIEST_MS));
}

/**
 * Go's Compact: removes updates older than `ageMs`, then tombstones older than
 * twice that (so readers had time to see them), then releases unused segment
 * resources (gc(0)).
 */
export async function compact(
  log: Log,
  ageMs: number,
  backoff?: DeleteMultiBackoff,
  signal?: AbortSignal,
  options?: MultiOptions,
): Promise<void> {
  const fn = 'compact';
  checkLog(fn, log);
  checkNonNegative(`${fn}: ageMs`, ageMs, false);
  checkBackoff(fn, backoff);
  checkSignal(`${fn}: signal`, signal);
  checkMultiOptions(fn, options);
  await updates.multiOffsets(log, ago(ageMs), backoff, signal, options);
  await deletes.multiOffsets(log, ago(ageMs * 2), backoff, signal, options);
  await log.gc(0);
}
