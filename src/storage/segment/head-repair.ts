/**
 * Repairs, when the head segment is opened for writing, what a process
 * killed in the middle of a publish leaves behind.
 *
 * A publish writes the log's bytes and then the index's, one `write(2)`
 * each. A SIGKILL between the two leaves whole records with no index item.
 * A kill during a write that spans several pages can stop it part-way (the
 * kernel checks for a fatal signal between pages), so the last record or
 * the last index item can be cut short. None of those publishes was
 * acknowledged. The same shapes, with whole records only, are what a
 * machine crash leaves when the log's pages reached the disk and the
 * index's did not.
 *
 * So: a partial index item is cut off, whole records with the offsets that
 * come next are indexed (`recover` would keep them too) and a record cut
 * short at the end of the file is cut off. Nothing readable is dropped.
 * Anything else (a record that fails its CRC, an offset out of sequence)
 * is damage: open still refuses it with ERR_CORRUPTED, so that dropping
 * data with `recover` stays the caller's decision.
 */
import fs from 'node:fs';
import { LogError, corrupted } from '../errors.js';
import {
  type IndexParams,
  INDEX_HEADER_SIZE,
  detectIndexVersion,
  encodeIndexItem,
  indexItemSize,
} from '../format/index-format.js';
import { type FormatVersion, RECORD_HEADER_SIZE, recordSizeFromHeader } from '../format/message-format.js';
import { emptyItem, newIndexItem } from './index-loader.js';
import { scanRecords } from './log-scanner.js';
import { type SegmentFiles, fileSize, fsError, readAt, readFileHead, writeAll } from './segment-files.js';
import type { SegmentIndex } from './segment-index.js';

const REMEDY = 'open with recover: true to keep the messages before it';

/**
 * Cuts a partial item off the end of the head's index file (an index write
 * a kill stopped part-way); its record is then indexed again from the log.
 */
export function cutPartialIndexItem(files: SegmentFiles, params: IndexParams): void {
  const size = fileSize(files.indexPath);
  if (size <= INDEX_HEADER_SIZE) return; // missing or header only: the loader rebuilds it from the log
  const version = detectIndexVersion(
    readFileHead(files.indexPath, INDEX_HEADER_SIZE),
    files.offset,
    params,
    files.indexPath,
  );
  const start = version === 'V2' ? INDEX_HEADER_SIZE : 0;
  const partial = (size - start) % indexItemSize(params);
  if (partial === 0) return;
  try {
    const fd = fs.openSync(files.indexPath, 'r+');
    try {
      fs.ftruncateSync(fd, size - partial);
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw fsError(err, `cut a partial item off ${files.indexPath}`);
  }
}

/** What repairing the head's tail did: the log's size after it, and the index items to append to the index file. */
export interface TailRepair {
  logSize: number;
  /** Encoded items of the records indexed now (empty when there were none). */
  newItems: Buffer;
}

/**
 * Indexes the whole records after `indexedEnd` into `index` (in memory) and
 * cuts a record cut short at the end of the log; throws ERR_CORRUPTED for
 * anything else. The caller appends `newItems` to the index file.
 */
export function repairUnindexedTail(
  logFd: number,
  files: SegmentFiles,
  version: FormatVersion,
  params: IndexParams,
  index: SegmentIndex,
  indexedEnd: number,
  logSize: number,
): TailRepair {
  const first = index.count;
  const item = emptyItem();
  let prev = index.lastTimestamp;
  const end = scanRecords(
    { fd: logFd, size: logSize, version },
    files.logPath,
    (rec, position) => {
      if (rec.offset !== index.nextOffset)
        throw corrupted(
          `log corrupted: the unindexed record at byte ${position} of ${files.logPath} holds offset ${rec.offset}, not ${index.nextOffset}`,
        );
      newIndexItem(params, rec, position, prev, item);
      prev = item.timestamp;
      index.append(item);
    },
    logSize,
    indexedEnd,
  );
  if (end.kind === 'corrupted' && !cutShort(logFd, version, end.position, logSize))
    throw new LogError('ERR_CORRUPTED', `${end.error.message}; ${REMEDY}`, { cause: end.error });
  try {
    if (end.position < logSize) {
      fs.ftruncateSync(logFd, end.position);
      fs.fdatasyncSync(logFd);
    }
  } catch (err) {
    throw fsError(err, `cut a partial record off ${files.logPath}`);
  }
  const size = indexItemSize(params);
  const newItems = Buffer.allocUnsafe((index.count - first) * size);
  for (let i = first, at = 0; i < index.count; i++) at = encodeIndexItem(params, index.item(i, item), newItems, at);
  return { logSize: end.position, newItems };
}

/** True when the record at `position` is longer than what is left of the file: a write stopped part-way. */
export function cutShort(fd: number, version: FormatVersion, position: number, logSize: number): boolean {
  const header = readAt(fd, position, RECORD_HEADER_SIZE);
  if (header.length < RECORD_HEADER_SIZE) return true;
  try {
    return position + recordSizeFromHeader(version, header, 0, { file: '', base: position }) > logSize;
  } catch {
    return false; // a header that is not one: damage, not a short write
  }
}

/** Appends the repaired items to the head's index file and syncs it. */
export function appendRepairedItems(indexFd: number, files: SegmentFiles, newItems: Buffer): void {
  if (newItems.length === 0) return;
  try {
    writeAll(indexFd, newItems);
    fs.fdatasyncSync(indexFd);
  } catch (err) {
    throw fsError(err, `index the unindexed records of ${files.logPath}`);
  }
}
