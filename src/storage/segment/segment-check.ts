/** Integrity check and recovery of one segment (Go: Segment.Check, Segment.Recover). */
import fs from 'node:fs';
import { LogError } from '../errors.js';
import type { IndexParams } from '../format/index-format.js';
import { indexFromLog, readIndexFile, writeIndexFile } from './index-loader.js';
import { openLogForRead } from './log-scanner.js';
import { type SegmentFiles, fsError, readAt, removeIfExists, syncDir, writeAll } from './segment-files.js';
import type { SegmentIndex } from './segment-index.js';

export function sameItems(a: SegmentIndex, b: SegmentIndex): boolean {
  if (a.count !== b.count) return false;
  for (let i = 0; i < a.count; i++) {
    if (a.offsetAt(i) !== b.offsetAt(i) || a.positionAt(i) !== b.positionAt(i)) return false;
    if (a.times && a.times[i] !== b.times![i]) return false;
    if (a.hashHi && (a.hashHi[i] !== b.hashHi![i] || a.hashLo![i] !== b.hashLo![i])) return false;
  }
  return true;
}

/**
 * Reads every record and compares the index with the one the records give.
 * A missing index passes (it is rebuilt on open). A torn record header at
 * the end fails too, unlike klevdb: left there, the next append would
 * follow the torn bytes and the log could not be read past them.
 */
export function checkSegment(seg: SegmentFiles, params: IndexParams): void {
  const log = openLogForRead(seg.logPath, seg.offset);
  try {
    const { index, end } = indexFromLog(log, seg.logPath, params, seg.offset);
    if (end.kind !== 'eof') throw end.error;
    const found = readIndexFile(seg, params);
    if (found && !sameItems(index, found.index)) {
      throw new LogError('ERR_CORRUPTED', `index corrupted: ${seg.indexPath} does not match its log; open with recover: true to rebuild it`);
    }
  } finally {
    fs.closeSync(log.fd);
  }
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
  const log = openLogForRead(seg.logPath, seg.offset);
  let droppedBytes = 0;
  let rebuilt: SegmentIndex;
  try {
    const { index, end } = indexFromLog(log, seg.logPath, params, seg.offset);
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
  let found: ReturnType<typeof readIndexFile>;
  try {
    found = readIndexFile(seg, params);
  } catch (err) {
    if (!(err instanceof LogError && err.code === 'ERR_CORRUPTED')) throw err;
    removeIfExists(seg.indexPath);
    found = null;
    indexRepaired = true;
  }
  if (found && !sameItems(found.index, rebuilt)) {
    removeIfExists(seg.indexPath);
    writeIndexFile(seg.indexPath, found.version, params, rebuilt);
    indexRepaired = true;
  }
  syncDir(seg.dir);
  return { droppedBytes, indexRepaired };
}
