/**
 * Checks the head segment of a log that a writer in another process is
 * appending to. A plain check reads the log to its end and compares it with
 * the index file, so an append in progress (a record written, its index item
 * not yet) looks like a torn tail or an index that lost items. Here the head
 * is checked up to a consistent point instead, as a readonly reader reads it:
 * the whole items of the index file, and the records up to the end of the
 * last one. The writer writes a record before its item, so every record an
 * item names is complete; the bytes after it are left alone.
 */
import fs from 'node:fs';
import { LogError, corrupted } from '../errors.js';
import type { IndexParams } from '../format/index-format.js';
import { INDEX_HEADER_SIZE, detectIndexVersion, indexItemSize } from '../format/index-format.js';
import { RECORD_HEADER_SIZE, describePlace, initialPosition, recordSizeFromHeader } from '../format/message-format.js';
import { decodeIndexFile, validateIndex } from './index-loader.js';
import { openLogForRead } from './log-scanner.js';
import { type CheckedSegment, compareWithRecords } from './segment-check.js';
import { type SegmentFiles, readAt } from './segment-files.js';
import type { SegmentIndex } from './segment-index.js';

/**
 * The writer replaced, removed or cut back the files while they were checked:
 * look again. Internal, not a KlevdbError: checkHead retries on it and never lets it out.
 */
export class SegmentChanged extends Error {}

/** What the check read, to tell damage from a writer's change afterwards. */
interface Snapshot {
  indexIno: number;
  indexBytes: number;
  logIno: number;
  logBytes: number;
}

/**
 * Checks `seg`, the head of a log a writer appends to, up to its last whole
 * index item: every record up to there intact, each item equal to the one its
 * record gives. Throws ERR_CORRUPTED for damage in that part, and
 * SegmentChanged when the writer rewrote the files meanwhile (a delete or
 * compaction renames new files into place; a full disk cuts an append back).
 */
export function checkSegmentPrefix(seg: SegmentFiles, params: IndexParams): CheckedSegment {
  const snap: Snapshot = { indexIno: -1, indexBytes: 0, logIno: -1, logBytes: 0 };
  try {
    // The index first: the records its items name were written before them.
    const index = readWholeItems(seg, params, snap);
    const log = openLogForRead(seg.logPath, seg.offset);
    try {
      const st = fs.fstatSync(log.fd);
      snap.logIno = st.ino;
      snap.logBytes = st.size;
      validateIndex(index, seg, initialPosition(log.version), log.size);
      const end =
        index.count > 0
          ? recordEnd(log.fd, log.version, index.positionAt(index.count - 1), seg.logPath)
          : initialPosition(log.version);
      if (end > log.size)
        throw corrupted(
          `log corrupted: index of ${seg.logPath} lists data past the end of the file; open with recover: true`,
        );
      compareWithRecords({ ...log, size: end }, seg, params, index);
      return {
        messages: index.count,
        lastOffset: index.count > 0 ? index.lastOffset : null,
        checkedBytes: end,
        logBytes: log.size,
      };
    } finally {
      fs.closeSync(log.fd);
    }
  } catch (err) {
    if (changed(seg, snap, err)) throw new SegmentChanged(`${seg.logPath} changed while it was checked`);
    throw err;
  }
}

/** The whole items of the index file (an item being written is left out); none when it is missing. */
function readWholeItems(seg: SegmentFiles, params: IndexParams, snap: Snapshot): SegmentIndex {
  let data: Buffer;
  let fd: number;
  try {
    fd = fs.openSync(seg.indexPath, 'r');
  } catch (err) {
    // A missing index passes, as in check: open rebuilds it.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(seg.logPath))
      return decodeIndexFile(Buffer.alloc(0), seg, params).index;
    throw err;
  }
  try {
    snap.indexIno = fs.fstatSync(fd).ino;
    data = fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  snap.indexBytes = data.length;
  // Fewer bytes than a header: the writer is creating the file.
  if (data.length < INDEX_HEADER_SIZE) return decodeIndexFile(Buffer.alloc(0), seg, params).index;
  const start =
    detectIndexVersion(data.subarray(0, INDEX_HEADER_SIZE), seg.offset, params, seg.indexPath) === 'V2'
      ? INDEX_HEADER_SIZE
      : 0;
  const size = indexItemSize(params);
  return decodeIndexFile(data.subarray(0, start + Math.floor((data.length - start) / size) * size), seg, params).index;
}

function recordEnd(fd: number, version: 'V1' | 'V2', position: number, file: string): number {
  const header = readAt(fd, position, RECORD_HEADER_SIZE);
  const place = { file, base: position };
  if (header.length < RECORD_HEADER_SIZE)
    throw corrupted(`log corrupted: short header ${describePlace(place, 0)}; open with recover: true`);
  return position + recordSizeFromHeader(version, header, 0, place);
}

/** Whether a failure may come from the writer changing the files rather than from damage. */
function changed(seg: SegmentFiles, snap: Snapshot, err: unknown): boolean {
  if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return true;
  if (!(err instanceof LogError)) return false;
  const now = (file: string): fs.Stats | null => {
    try {
      return fs.statSync(file);
    } catch {
      return null;
    }
  };
  const index = now(seg.indexPath);
  const log = now(seg.logPath);
  if (!index || !log) return true;
  if (snap.indexIno >= 0 && index.ino !== snap.indexIno) return true;
  if (snap.logIno >= 0 && log.ino !== snap.logIno) return true;
  // A write that failed (a full disk) is cut back: what was read may be gone.
  return index.size < snap.indexBytes || log.size < snap.logBytes;
}
