// Port of klevdb's delete.go: deleting offsets that span several segments,
// one segment per Log.delete call, with a backoff between calls. Also the
// factory that gives every find* its trim/compact X, XMulti and XMultiOffsets.

import { invalidArgument } from './errors.js';
import { OffsetBitmap, RemainingOffsets } from './remaining-offsets.js';
import { type Collector, type Round, keepMessages, keepOffsets, roundSize } from './multi-result.js';
import { ScanMemo, type ScannedSegment } from './scan-memo.js';
import {
  aborted,
  checkBackoff,
  checkFindOptions,
  checkLog,
  checkMultiOptions,
  throwIfAborted,
} from './retention-support.js';
import { checkNonNegative, checkSignal } from './validate.js';
import type { Ctx, FindOptions, MultiOptions } from './retention-support.js';
import type { DeleteOffsetsResult, DeleteResult, Log, Message } from './types.js';

export type { FindOptions, MultiOptions } from './retention-support.js';

/**
 * Called between the rounds of a multi delete so others get a turn at the log;
 * rejects (ERR_ABORTED for the built-in one) to stop the delete.
 */
export type DeleteMultiBackoff = (signal?: AbortSignal) => Promise<void>;

// setTimeout fires at once (with a warning) beyond this, so longer waits are chained.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A backoff that waits `ms` milliseconds, or rejects with ERR_ABORTED as soon
 * as the signal it is given fires (clearing its timer, so nothing keeps the
 * process alive).
 */
export function deleteMultiWithWait(ms: number): DeleteMultiBackoff {
  const fn = 'deleteMultiWithWait';
  checkNonNegative(`${fn}: ms`, ms, false);
  return (signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      checkSignal(`${fn}: signal`, signal);
      if (signal?.aborted) {
        reject(aborted(fn, signal));
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(aborted(fn, signal as AbortSignal));
      };
      const wait = (left: number): void => {
        timer = setTimeout(
          () => {
            if (left > MAX_TIMER_MS) {
              wait(left - MAX_TIMER_MS);
              return;
            }
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          Math.min(left, MAX_TIMER_MS),
        );
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      wait(ms);
    });
}

// Go makes the caller pass a backoff; without one we still yield to the event
// loop between rounds so a long multi delete does not starve other work.
const yieldBackoff: DeleteMultiBackoff = () => new Promise((resolve) => setImmediate(resolve));

/** A log that can delete without copying the messages out (KlevLog). */
interface OffsetsDeleter {
  deleteReturningOffsets(offsets: Set<number>): Promise<{ deleted: number[]; deletedSize: number }>;
}
const deletesOffsets = (log: Log): log is Log & OffsetsDeleter =>
  typeof (log as Partial<OffsetsDeleter>).deleteReturningOffsets === 'function';

/** A log that removes whole segments its scan saw (KlevLog, log-delete.ts removeScannedSegments). */
interface ScannedDeleter {
  deleteScanned(
    offsets: OffsetBitmap,
    memo: ScanMemo,
  ): Promise<{
    deleted: Message[];
    deletedOffsets: number[];
    deletedRuns: number[];
    deletedScans: ScannedSegment[];
    deletedSize: number;
  }>;
}
const deletesScanned = (log: Log): log is Log & ScannedDeleter =>
  typeof (log as Partial<ScannedDeleter>).deleteScanned === 'function';

/** One Log.delete (or the local log's cheaper forms of it) of what remains. */
async function deleteRound(
  log: Log,
  offsets: RemainingOffsets,
  keepMessages: boolean,
  memo?: ScanMemo,
): Promise<Round> {
  if (memo && offsets instanceof OffsetBitmap && deletesScanned(log)) {
    const r = await log.deleteScanned(offsets, memo);
    return {
      messages: r.deleted,
      offsets: r.deletedOffsets,
      runs: r.deletedRuns,
      scans: r.deletedScans,
      deletedSize: r.deletedSize,
    };
  }
  // The *Offsets variants exist so that a delete of millions of messages does not
  // hold them all: only the numbers survive a round (and on a local log, only
  // numbers are ever made).
  if (!keepMessages && deletesOffsets(log)) {
    const r = await log.deleteReturningOffsets(offsets);
    return { messages: [], offsets: r.deleted, runs: [], scans: [], deletedSize: r.deletedSize };
  }
  const { deleted, deletedSize } = await log.delete(offsets);
  return {
    messages: keepMessages ? deleted : [],
    offsets: deleted.map((m) => m.offset),
    runs: [],
    scans: [],
    deletedSize,
  };
}

/**
 * Go returns what was deleted together with the error; a rejection carries
 * one value, so the partial result rides on the error as `partial`.
 */
function withPartial(err: unknown, partial: DeleteResult | DeleteOffsetsResult): unknown {
  if (err !== null && typeof err === 'object' && Object.isExtensible(err) && !('partial' in err)) {
    Object.defineProperty(err, 'partial', { value: partial, configurable: true, writable: true });
  }
  return err;
}

/** DeleteMulti's loop: delete what remains until nothing remains or a round deletes nothing. */
async function deleteRounds<R extends DeleteResult | DeleteOffsetsResult>(
  ctx: Ctx,
  log: Log,
  offsets: Set<number>,
  backoff: DeleteMultiBackoff,
  options: MultiOptions | undefined,
  collector: Collector<R>,
): Promise<R> {
  const gathered = collector.start();
  const remaining = RemainingOffsets.of(offsets);
  const total = remaining.size;
  try {
    while (remaining.size > 0) {
      // Go only notices cancellation in the backoff; checking before each round
      // also stops a delete whose signal fired before it started.
      if (ctx.signal?.aborted) throw aborted(ctx.fn, ctx.signal);
      const round = await deleteRound(log, remaining, collector.keepMessages, ctx.memo);
      if (roundSize(round) === 0) break;
      gathered.add(round);
      const before = remaining.size;
      for (const o of round.offsets) remaining.delete(o);
      for (let i = 0; i < round.runs.length; i += 2) remaining.deleteRange(round.runs[i]!, round.runs[i + 1]!);
      options?.onProgress?.({ operation: ctx.fn, done: total - remaining.size, total, unit: 'messages' });
      // A log that reports deletions of offsets nobody asked for would make Go spin.
      if (remaining.size === before) break;
      try {
        await backoff(ctx.signal);
      } catch (err) {
        if (ctx.signal?.aborted) throw aborted(ctx.fn, ctx.signal);
        throw err;
      }
    }
  } catch (err) {
    throw withPartial(err, await gathered.result());
  }
  return gathered.result();
}

/** Finds the offsets an operation removes; `ctx.fn` names the public function for errors. */
export type Finder<T extends [unknown]> = (ctx: Ctx, log: Log, ...args: T) => Promise<Set<number>>;

type MultiArgs<T extends [unknown]> = [
  ...T,
  backoff?: DeleteMultiBackoff,
  signal?: AbortSignal,
  options?: MultiOptions,
];

/** The four public faces of one find*: find, X, XMulti and XMultiOffsets. */
export interface Family<T extends [unknown]> {
  find: (log: Log, ...args: [...T, options?: FindOptions]) => Promise<Set<number>>;
  one: (log: Log, ...args: T) => Promise<DeleteResult>;
  multi: (log: Log, ...args: MultiArgs<T>) => Promise<DeleteResult>;
  multiOffsets: (log: Log, ...args: MultiArgs<T>) => Promise<DeleteOffsetsResult>;
}

function multiRunner<T extends [unknown], R extends DeleteResult | DeleteOffsetsResult>(
  fn: string,
  find: Finder<T>,
  collector: Collector<R>,
): (log: Log, ...args: MultiArgs<T>) => Promise<R> {
  return async (log, arg, backoff?: unknown, signal?: unknown, options?: unknown) => {
    checkLog(fn, log);
    checkBackoff(fn, backoff);
    checkMultiOptions(fn, options);
    // The scan notes what the deletes can use (scan-memo.ts): kept messages are built from what it read.
    const memo = new ScanMemo(collector.keepMessages);
    const ctx: Ctx = { fn, signal: checkSignal(`${fn}: signal`, signal), memo };
    // Go lets a find with nothing to scan succeed under a cancelled context; a
    // signal that fired before the start stops every helper alike here.
    throwIfAborted(ctx);
    const offsets = await find(ctx, log, ...([arg] as T));
    return deleteRounds(
      ctx,
      log,
      offsets,
      (backoff as DeleteMultiBackoff | undefined) ?? yieldBackoff,
      options,
      collector,
    );
  };
}

/**
 * Builds the public functions of one retention rule from its finder, as Go's
 * FindX / X / XMulti / XMultiOffsets are each "find, then delete".
 */
export function family<T extends [unknown]>(findName: string, opName: string, find: Finder<T>): Family<T> {
  return {
    find: async (log: Log, arg: T[0], options?: unknown) => {
      checkLog(findName, log);
      checkFindOptions(findName, options);
      const ctx: Ctx = { fn: findName, signal: options?.signal };
      throwIfAborted(ctx);
      // The caller gets a plain Set (in ascending order), not the scan's bitmap.
      return new Set(await find(ctx, log, ...([arg] as T)));
    },
    one: async (log: Log, ...args: T) => {
      checkLog(opName, log);
      return log.delete(await find({ fn: opName }, log, ...args));
    },
    multi: multiRunner(`${opName}Multi`, find, keepMessages),
    multiOffsets: multiRunner(`${opName}MultiOffsets`, find, keepOffsets),
  };
}

const asOffsetSet: Finder<[offsets: Iterable<number>]> = async (ctx, _log, offsets) => {
  if (offsets === null || typeof offsets !== 'object' || typeof offsets[Symbol.iterator] !== 'function') {
    throw invalidArgument(`${ctx.fn}: offsets must be an iterable of offsets (a Set or an array of numbers)`);
  }
  const set = new Set<number>();
  for (const offset of offsets) {
    // Negative offsets are left to log.delete, so both reject them alike.
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset)) {
      throw invalidArgument(`${ctx.fn}: offsets must hold safe integers, got ${String(offset)}`);
    }
    set.add(offset);
  }
  return set;
};

const deleteMultiRunner = multiRunner('deleteMulti', asOffsetSet, keepMessages);
const deleteMultiOffsetsRunner = multiRunner('deleteMultiOffsets', asOffsetSet, keepOffsets);

/**
 * Deletes `offsets` from every segment that holds them: Log.delete rewrites only
 * the segment of the lowest offset, so this calls it again with what remains,
 * running `backoff` after each round, until nothing remains or a round deletes
 * nothing. Offsets not in the log are ignored. If it fails or the signal fires
 * (ERR_ABORTED), the error has `partial`: what was deleted before that.
 */
export function deleteMulti(
  log: Log,
  offsets: Iterable<number>,
  backoff?: DeleteMultiBackoff,
  signal?: AbortSignal,
  options?: MultiOptions,
): Promise<DeleteResult> {
  return deleteMultiRunner(log, offsets, backoff, signal, options);
}

/** As deleteMulti, but keeps only the deleted offsets, not the messages. */
export function deleteMultiOffsets(
  log: Log,
  offsets: Iterable<number>,
  backoff?: DeleteMultiBackoff,
  signal?: AbortSignal,
  options?: MultiOptions,
): Promise<DeleteOffsetsResult> {
  return deleteMultiOffsetsRunner(log, offsets, backoff, signal, options);
}

/** Narrows an error from a multi helper to the partial result it carries, if any. */
export function partialResult(err: unknown): DeleteResult | DeleteOffsetsResult | undefined {
  if (err === null || typeof err !== 'object' || !('partial' in err)) return undefined;
  return (err as { partial: DeleteResult | DeleteOffsetsResult }).partial;
}
