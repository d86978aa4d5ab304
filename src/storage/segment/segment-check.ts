/** Integrity check and recovery of one segment (Go: Segment.Check, Segment.Recover). */
import fs from 'node:fs';
import { LogError } from '../errors.js';
import type { IndexParams } from '../format/index-format.js';
import type { DecodedRecord } from '../format/message-format.js';
import { cutShort } from './head-repair.js';
import { indexFromLog, readIndexFile, writeIndexFile } from './index-loader.js';
import { itemTimeFits } from './index-verify.js';
import { type OpenedLog, openLogForRead } from './log-scanner.js';
import { type SegmentFiles, fsError, readAt, removeIfExists, syncDir, writeAll } from './segment-files.js';
import type { SegmentIndex } from './segment-index.js';

/** The two indexes hold the same items (the first `count` of each, when given). */
export function sameItems(a: SegmentIndex, b: SegmentIndex, count?: number): boolean {
  if (count === undefined && a.count !== b.count) return false;
  const n = count ?? a.count;
  if (a.count < n || b.count < n) return false;
  for (let i = 0; i < n; i++) {
    if (a.offsetAt(i) !== b.offsetAt(i) || a.positionAt(i) !== b.positionAt(i)) return false;
    if (a.times && a.times[i] !== b.times![i]) return false;
    if (a.hashHi && (a.hashHi[i] !== b.hashHi![i] || a.hashLo![i] !== b.hashLo![i])) return false;
  }
  return true;
}

/** What a check of a segment covered. */
export interface CheckedSegment {
  /** Messages whose records and index items were checked. */
  messages: number;
  /** Offset of the last checked message; null when there was none. */
  lastOffset: number | null;
  /** Bytes of the log checked, from its start. */
  checkedBytes: number;
  /** Size of the log when it was checked (beside a writer, it may hold more after checkedBytes). */
  logBytes: number;
}

/**
 * Reads every record and compares the index with the one the records give.
 * A missing index passes (it is rebuilt on open). A torn record header at
 * the end fails too, unlike klevdb: left there, the next append would
 * follow the torn bytes and the log could not be read past them.
 */
export function checkSegment(seg: SegmentFiles, params: IndexParams): CheckedSegment {
  const log = openLogForRead(seg.logPath, seg.offset);
  try {
    const found = readIndexFile(seg, params);
    const index = compareWithRecords(log, seg, params, found?.index ?? null);
    return {
      messages: index.count,
      lastOffset: index.count > 0 ? index.lastOffset : null,
      checkedBytes: log.size,
      logBytes: log.size,
    };
  } finally {
    fs.closeSync(log.fd);
  }
}

/**
 * Reads the records of the first `log.size` bytes (every one must be whole
 * and intact) and compares `found`, the items of the index file, with the
 * items they give. The first item of a segment after the first may carry
 * the time chain of the segment before (a rollover carries it; klevdb's
 * check flags that as damage): the rebuilt chain starts where it says.
 * Returns the rebuilt items.
 */
export function compareWithRecords(
  log: OpenedLog,
  seg: SegmentFiles,
  params: IndexParams,
  found: SegmentIndex | null,
): SegmentIndex {
  const chainFrom = found?.times && found.count > 0 && seg.offset > 0 ? found.times[0]! : 0;
  const { index, end } = indexFromLog(log, seg.logPath, params, seg.offset, undefined, chainFrom);
  const cut = end.kind !== 'eof' && cutShort(log.fd, log.version, end.position, log.size);
  if ((end.kind === 'eof' || cut) && found && found.count <= index.count && sameItems(index, found, found.count)) {
    const unindexed = index.count - found.count;
    if (cut || unindexed > 0) throw killedWriterTail(seg, unindexed, cut);
  }
  if (end.kind !== 'eof') throw end.error;
  if (found && !sameItems(index, found)) {
    throw new LogError(
      'ERR_CORRUPTED',
      `index corrupted: ${seg.indexPath} does not match its log; open with recover: true to rebuild it`,
    );
  }
  return index;
}

/**
 * The head as a writer killed in the middle of a publish leaves it: still an
 * ERR_CORRUPTED for check (klevdb would append after those bytes), but the
 * next open for writing repairs it (head-repair.ts) and recover is not needed.
 */
function killedWriterTail(seg: SegmentFiles, unindexed: number, cut: boolean): LogError {
  const what = [
    ...(unindexed > 0 ? [`${unindexed} whole message${unindexed === 1 ? '' : 's'} after its last indexed one`] : []),
    ...(cut ? ['a last record cut short'] : []),
  ].join(' and ');
  const fix = [...(unindexed > 0 ? ['indexes them'] : []), ...(cut ? ['cuts the short record'] : [])].join(' and ');
  const err = new LogError(
    'ERR_CORRUPTED',
    `log ${seg.logPath} holds ${what}, as a writer killed in the middle of a publish leaves it: the next open for writing ${fix} (no recover needed)`,
  );
  Object.defineProperty(err, KILLED_WRITER, { value: true });
  return err;
}

const KILLED_WRITER = Symbol('klevdb.killedWriterTail');

/** True for the check failure of a head that the next open for writing repairs by itself. */
export function repairedByNextOpen(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[KILLED_WRITER] === true;
}

/** The index file's items; null when there is none, 'unreadable' when it is damaged beyond decoding. */
function readableIndex(seg: SegmentFiles, params: IndexParams): ReturnType<typeof readIndexFile> | 'unreadable' {
  try {
    return readIndexFile(seg, params);
  } catch (err) {
    if (!(err instanceof LogError && err.code === 'ERR_CORRUPTED')) throw err;
    return 'unreadable';
  }
}

/**
 * V1 records do not checksum their offset and time, so a damaged one reads
 * as a whole record. Where the old index still describes the record (same
 * position), an offset or time that disagrees with it ends the prefix
 * recover keeps, rather than being written into the new index as truth.
 */
function v1RecordsAgreeWith(
  old: SegmentIndex,
  seg: SegmentFiles,
): (rec: DecodedRecord, position: number, item: number) => void {
  let trusted = true;
  let expected = seg.offset;
  const disagree = (position: number, i: number, what: string): LogError =>
    new LogError(
      'ERR_CORRUPTED',
      `log corrupted: the V1 record at byte ${position} of ${seg.logPath} disagrees with item ${i} of its index about its ${what}`,
    );
  return (rec, position, i) => {
    const next = expected;
    expected = rec.offset + 1;
    // Once the index is found to be the damaged side, stop comparing with it.
    if (!trusted || i >= old.count || old.positionAt(i) !== position) {
      trusted = false;
      return;
    }
    if (old.offsetAt(i) !== rec.offset) {
      // Appends number records one after the other: the side that keeps the sequence is the undamaged one.
      if (rec.offset === next) trusted = false;
      else throw disagree(position, i, 'offset');
    } else if (old.times && !itemTimeFits(old, i, rec.timeMicros)) {
      // An item time out of the index's own order is the damaged side; otherwise nothing tells which one is.
      const t = old.times;
      if ((i > 0 && t[i]! < t[i - 1]!) || (i + 1 < old.count && t[i]! > t[i + 1]!)) trusted = false;
      else throw disagree(position, i, 'time');
    }
  };
}

/** What recover did to a segment. */
export interface RecoverOutcome {
  /** Bytes cut from the end of the log (0 when it was whole). */
  droppedBytes: number;
  /** The index was rewritten or removed to be rebuilt. */
  indexRepaired: boolean;
}

/**
 * Keeps the longest readable prefix of the log (a crash-safe copy renamed
 * over it) and repairs the index: an unreadable one is removed (open
 * rebuilds it), one that differs is rewritten in its own version.
 */
export function recoverSegment(seg: SegmentFiles, params: IndexParams): RecoverOutcome {
  const found = readableIndex(seg, params);
  const log = openLogForRead(seg.logPath, seg.offset);
  let droppedBytes = 0;
  let rebuilt: SegmentIndex;
  try {
    const accept =
      log.version === 'V1' && found && found !== 'unreadable' ? v1RecordsAgreeWith(found.index, seg) : undefined;
    const { index, end } = indexFromLog(log, seg.logPath, params, seg.offset, accept);
    rebuilt = index;
    if (end.kind !== 'eof') {
      droppedBytes = log.size - end.position;
      const recoverPath = `${seg.logPath}.recover`;
      const fd = fs.openSync(recoverPath, 'w', 0o600);
      try {
        writeAll(fd, readAt(log.fd, 0, end.position));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(recoverPath, seg.logPath);
    }
  } catch (err) {
    throw fsError(err, `recover ${seg.logPath}`);
  } finally {
    fs.closeSync(log.fd);
  }

  let indexRepaired = false;
  if (found === 'unreadable') {
    removeIfExists(seg.indexPath);
    indexRepaired = true;
  } else if (found && !sameItems(found.index, rebuilt)) {
    removeIfExists(seg.indexPath);
    writeIndexFile(seg.indexPath, found.version, params, rebuilt);
    indexRepaired = true;
  }
  syncDir(seg.dir);
  return { droppedBytes, indexRepaired };
}
