/**
 * What every Log implementation (the log on disk, the in-memory log, the
 * JetStream log) checks and reports alike: the arguments of each method,
 * checked before anything is read, written or waited for, and the errors of
 * a log that cannot do what was asked. A bad call fails with the same
 * LogError, naming the same argument, whichever backend is behind the Log.
 */
import { LogError, invalidArgument, invalidOffset } from './errors.js';
import { collectOffsets } from './publish-input.js';
import { RemainingOffsets } from './remaining-offsets.js';
import { OffsetOldest } from './types.js';
import {
  checkCount,
  checkDate,
  checkInteger,
  checkKey,
  checkNonNegative,
  checkOffset,
  checkString,
  describeValue,
  toBytes,
} from './validate.js';

/** consume(offset, maxCount). */
export function checkConsumeArgs(offset: unknown, maxCount: unknown): void {
  checkOffset('offset', offset);
  checkCount('maxCount', maxCount);
}

/** consumeByKey(key, offset, maxCount): the key as bytes (null: the empty key). */
export function checkConsumeByKeyArgs(key: unknown, offset: unknown, maxCount: unknown): Buffer | null {
  const k = checkKey('key', key);
  checkConsumeArgs(offset, maxCount);
  return k;
}

/** get(offset): any integer (like klevdb, a negative one other than OffsetOldest / OffsetNewest is an invalid offset, not bad input). */
export function checkGetArgs(offset: unknown): number {
  return checkInteger('offset', offset);
}

/** getByKey / offsetByKey(key): the key as bytes (null: the empty key). */
export function checkKeyArg(key: unknown): Buffer | null {
  return checkKey('key', key);
}

/** A short key of a lookup is written into SCRATCH_KEYS[its length]: views of one shared memory, no Buffer per call. */
const SCRATCH_MAX = 64;
const scratchMemory = new ArrayBuffer(SCRATCH_MAX);
const SCRATCH_KEYS = Array.from({ length: SCRATCH_MAX + 1 }, (_, n) => Buffer.from(scratchMemory, 0, n));

/**
 * checkKeyArg for a lookup that only hashes and compares the key before it
 * returns (getByKey): a short ASCII string is written into a scratch Buffer
 * instead of a new one (Buffer.from(string) was ~8% of a cached getByKey).
 * The bytes last until the next call: the caller must not keep them.
 */
export function checkLookupKeyArg(key: unknown): Buffer | null {
  if (typeof key !== 'string' || key.length === 0 || key.length > SCRATCH_MAX) return checkKeyArg(key);
  const out = SCRATCH_KEYS[key.length]!;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) return checkKeyArg(key); // UTF-8 takes more bytes than characters
    out[i] = c;
  }
  return out;
}

/** getByTime / offsetByTime(start). */
export function checkStartArg(start: unknown): Date {
  return checkDate('start', start);
}

/**
 * delete(offsets): the offsets as a set (the caller's own Set when it is
 * one, checked in place) and the lowest of them (Infinity when there is
 * none). Relative offsets name no message to delete: ERR_INVALID_OFFSET.
 */
export function checkDeleteArgs(offsets: unknown): { offsets: Set<number>; lowest: number } {
  const set = collectOffsets(offsets);
  let lowest = Infinity;
  if (set instanceof RemainingOffsets) lowest = set.lowest();
  else for (const o of set) if (o < lowest) lowest = o;
  if (lowest < 0)
    throw invalidOffset('invalid offset: delete relative offsets (OffsetOldest / OffsetNewest) is not possible');
  return { offsets: set, lowest };
}

/** size(m): the message's key and value as bytes. */
export function checkSizeArg(m: unknown): { key: Buffer | null; value: Buffer | null } {
  if (typeof m !== 'object' || m === null) throw invalidArgument(`m must be a Message, got ${describeValue(m)}`);
  const { key, value } = m as { key?: unknown; value?: unknown };
  return { key: toBytes('m.key', key), value: toBytes('m.value', value) };
}

/** backup(dir). */
export function checkBackupArg(dir: unknown): string {
  return checkString('dir', dir);
}

/** gc(unusedForMs): milliseconds, fractions allowed. */
export function checkGcArg(unusedForMs: unknown): number {
  return checkNonNegative('unusedForMs', unusedForMs, false);
}

/** consumeBlocking and consumeByKeyBlocking: rejects, before any waiting, what the consume after the wait would reject. */
export function checkBlockingArgs(method: string, offset: unknown, maxCount: unknown, signal: unknown): void {
  if (!Number.isSafeInteger(offset) || (offset as number) < OffsetOldest) {
    throw invalidArgument(
      `${method}: offset must be an integer >= ${OffsetOldest} (OffsetOldest), got ${String(offset)}`,
    );
  }
  if (!Number.isSafeInteger(maxCount) || (maxCount as number) < 1) {
    throw invalidArgument(`${method}: maxCount must be a positive integer, got ${String(maxCount)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgument(`${method}: signal must be an AbortSignal when given`);
  }
}

/** consumeByKeyBlocking(key, offset, maxCount, signal). */
export function checkBlockingByKeyArgs(key: unknown, offset: unknown, maxCount: unknown, signal: unknown): void {
  if (typeof key !== 'string' && !(key instanceof Uint8Array)) {
    throw invalidArgument('consumeByKeyBlocking: key must be a Uint8Array or a string');
  }
  checkBlockingArgs('consumeByKeyBlocking', offset, maxCount, signal);
}

// --- a log that cannot do what was asked ------------------------------------------

/** Any call on a closed log; `what` names the log ("log /data/kdb"). */
export const closedLog = (what: string): LogError =>
  new LogError('ERR_CLOSED', `${what} is closed; open it again to go on using it`);

/** publish or delete on a log opened readonly. */
export const readonlyLog = (what: string): LogError =>
  new LogError('ERR_READONLY', `${what} is open readonly; open it without readonly to publish or delete`);

/** A key or time lookup on a log opened without that index. */
export const noIndex = (by: 'key' | 'time'): LogError =>
  new LogError('ERR_NO_INDEX', `no index by ${by}: open the log with ${by}Index: true`);
