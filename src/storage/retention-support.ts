// Internal support for the free helpers over any Log (delete-multi, trim,
// compact): argument checks, abort handling and the batched scan they share.
// Nothing here is part of the public API.

import { LogError, invalidArgument } from './errors.js';
import { checkSignal, describeValue as describe } from './validate.js';
import { OffsetOldest } from './types.js';
import { OffsetBitmap } from './remaining-offsets.js';
import { ChunkRecord } from './record-scan.js';
import type { RecordVisitor, ScannedRecord, SegmentScan } from './record-scan.js';
import type { ScanKeys } from './scan-keys.js';
import type { ScanMemo } from './scan-memo.js';
import type { Log, ProgressCallback } from './types.js';

/** Options of every find* helper, beyond API.md: lets a long scan be abandoned. */
export interface FindOptions {
  signal?: AbortSignal;
}

/** Options of every *Multi / *MultiOffsets helper and compact, beyond API.md. */
export interface MultiOptions {
  /** Called after each deleting round with the offsets deleted so far (unit 'messages'). */
  onProgress?: ProgressCallback;
}

/** Who is running (for error messages), what may stop it, and for a multi helper what its scan notes for the delete. */
export interface Ctx {
  fn: string;
  signal?: AbortSignal;
  memo?: ScanMemo;
}

// Go consumes 32 messages at a time in every find; so do we, which also bounds
// how many messages a scan holds at once.
const SCAN_BATCH = 32;

// Every method of the Log interface: a helper given something else fails early
// with a message naming the argument instead of a TypeError halfway through a
// rewrite.
const LOG_METHODS = [
  'publish',
  'nextOffset',
  'consume',
  'consumeByKey',
  'get',
  'getByKey',
  'offsetByKey',
  'getByTime',
  'offsetByTime',
  'delete',
  'size',
  'stat',
  'backup',
  'sync',
  'gc',
  'close',
] as const;

export function checkLog(fn: string, log: unknown): asserts log is Log {
  if (log === null || (typeof log !== 'object' && typeof log !== 'function')) {
    throw invalidArgument(`${fn}: log must be a Log, got ${describe(log)}`);
  }
  const missing = LOG_METHODS.find((m) => typeof (log as Record<string, unknown>)[m] !== 'function');
  if (missing !== undefined) {
    throw invalidArgument(`${fn}: log must be a Log, it has no method ${missing}()`);
  }
}

export function checkBackoff(fn: string, backoff: unknown): void {
  if (backoff !== undefined && typeof backoff !== 'function') {
    throw invalidArgument(
      `${fn}: backoff must be a function (signal?) => Promise<void> or undefined, got ${describe(backoff)}`,
    );
  }
}

function checkOptionsObject(fn: string, options: unknown): void {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument(`${fn}: options must be an object or undefined, got ${describe(options)}`);
  }
}

export function checkFindOptions(fn: string, options: unknown): asserts options is FindOptions | undefined {
  if (options === undefined) return;
  checkOptionsObject(fn, options);
  checkSignal(`${fn}: options.signal`, (options as FindOptions).signal);
}

export function checkMultiOptions(fn: string, options: unknown): asserts options is MultiOptions | undefined {
  if (options === undefined) return;
  checkOptionsObject(fn, options);
  const { onProgress } = options as MultiOptions;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw invalidArgument(`${fn}: options.onProgress must be a function or undefined, got ${describe(onProgress)}`);
  }
}

export function aborted(fn: string, signal: AbortSignal): LogError {
  return new LogError('ERR_ABORTED', `${fn}: aborted`, { cause: signal.reason });
}

export function throwIfAborted(ctx: Ctx): void {
  if (ctx.signal?.aborted) throw aborted(ctx.fn, ctx.signal);
}

/**
 * One identity per key for per-key bookkeeping: latin1 maps each byte to one
 * char, so distinct keys stay distinct at one byte a char, and the string owns
 * its memory (no reference to the message buffer survives the batch). Null and
 * empty are the same key, as on disk (Go reads an empty key back as nil).
 */
export function keyId(key: Buffer | null): string {
  return key === null ? '' : key.toString('latin1');
}

/** The entry of a scanned record's key in `keys`, read from the chunk that holds it when the scan of a local log made no view of it. */
export function keyEntry(keys: ScanKeys, m: ScannedRecord): number {
  if (m instanceof ChunkRecord) return keys.entry(m.chunk, m.keyStart, m.keyLength);
  const key = m.key;
  return key === null ? keys.entry(EMPTY_KEY, 0, 0) : keys.entry(key, 0, key.length);
}
const EMPTY_KEY = new Uint8Array(0);

/** A tombstone: no value. Empty and null are the same on disk (Go reads both back as nil). */
export function isTombstone(m: ScannedRecord): boolean {
  if (m instanceof ChunkRecord) return m.valueLength === 0;
  return m.value === null || m.value.length === 0;
}

/** A log that scans its own files (KlevLog; null where it cannot, on a follower). */
interface SegmentScanner {
  scanSegmentFrom(from: number, visit: RecordVisitor, memo?: ScanMemo): Promise<SegmentScan | null>;
}
const scansSegments = (log: Log): log is Log & SegmentScanner =>
  typeof (log as Partial<SegmentScanner>).scanSegmentFrom === 'function';

/**
 * The loop every Go find* runs: consume from the oldest offset in batches
 * while the batch start is below maxOffset, stopping entirely once `visit`
 * says false, and checking the signal between batches and at the end.
 * Returns the offsets `visit` added to the set it is given. A local log
 * hands over its records segment by segment instead (record-scan.ts): the
 * same records in the same order, without a Message for each.
 */
export async function scan(
  ctx: Ctx,
  log: Log,
  maxOffset: number,
  visit: (m: ScannedRecord, offsets: Set<number>) => boolean,
): Promise<Set<number>> {
  // Offsets of a scan are those of the log: a bitmap holds them in a bit each.
  const offsets = new OffsetBitmap();
  throwIfAborted(ctx);
  let offset = OffsetOldest;
  if (scansSegments(log)) {
    // Go consumes SCAN_BATCH records at a time and compares maxOffset with a
    // batch's start only: every record of a batch that started below it is
    // visited (so trimByAge also takes a message timed exactly at the cut-off,
    // whose offset is maxOffset). The scan keeps those batches; like consume()
    // they start afresh at each segment.
    let seen = 0;
    let batchStart = 0;
    const local = (m: ScannedRecord): boolean => {
      if (seen++ % SCAN_BATCH === 0) batchStart = m.offset;
      return batchStart < maxOffset && visit(m, offsets);
    };
    for (let from = 0; ;) {
      seen = 0;
      const step = await log.scanSegmentFrom(from, local, ctx.memo);
      // Null: a follower, whose files may change under a scan; consume() it from here.
      if (!step) break;
      if (step.done || step.next >= maxOffset) {
        throwIfAborted(ctx);
        return offsets;
      }
      // Between segments other calls get their turn at the await, as between consume() batches.
      from = offset = step.next;
      throwIfAborted(ctx);
    }
  }
  search: for (; offset < maxOffset;) {
    const { nextOffset, messages } = await log.consume(offset, SCAN_BATCH);
    // Go would spin forever on a log that neither returns messages nor moves
    // on; stopping there changes nothing for a well-behaved log.
    const stuck = messages.length === 0 && nextOffset <= offset;
    offset = nextOffset;
    for (const m of messages) {
      if (!visit(m, offsets)) break search;
    }
    throwIfAborted(ctx);
    if (stuck) break;
  }
  throwIfAborted(ctx);
  return offsets;
}

/**
 * scan that also stops at the first message after `before` (Go's
 * `msg.Time.After(before)`), compared on the exact stored time: a Date has
 * whole milliseconds, so its microseconds are exact too.
 */
export function scanUntil(
  ctx: Ctx,
  log: Log,
  maxOffset: number,
  before: Date,
  visit: (m: ScannedRecord, offsets: Set<number>) => void,
): Promise<Set<number>> {
  const beforeMicros = before.getTime() * 1000;
  return scan(ctx, log, maxOffset, (m, offsets) => {
    if (m.timeMicros > beforeMicros) return false;
    visit(m, offsets);
    return true;
  });
}
