/**
 * Log.delete: rewrites the one segment that holds the lowest offset asked
 * for, without the asked offsets (Go: log.delete). Offsets keep their
 * numbers. Everything here is synchronous, so no publish or read of this
 * log interleaves with a rewrite.
 */
import { invalidOffset, notFound } from './errors.js';
import { detectMessageVersion, FILE_HEADER_SIZE, type FormatVersion } from './format/message-format.js';
import { writeBackAt } from './rollover.js';
import { indexItemSize } from './format/index-format.js';
import type { OffsetBitmap } from './remaining-offsets.js';
import type { ScanMemo, ScannedSegment } from './scan-memo.js';
import {
  commitRewrite,
  discardRewrite,
  removeSegment,
  removeSegments,
  rewriteSegment,
  unlinkRemoved,
} from './segment/rewrite.js';
import { readFileHead, segmentFiles, syncDir } from './segment/segment-files.js';
import { SegmentReader } from './segment/segment-reader.js';
import { SegmentWriter } from './segment/segment-writer.js';
import type { SegmentRewrites, SegmentsView } from './segment-state.js';
import type { Message } from './types.js';

/** What a delete removed: the offsets always, the messages when asked for. */
export interface Removed {
  deleted: Message[];
  deletedOffsets: number[];
  /** More offsets removed, as runs: first and last offset of each (whole segments: no list of a million numbers). */
  deletedRuns: number[];
  /**
   * The whole segments of deletedRuns as the scan saw them, when the messages
   * are asked for: the caller builds those messages (buildScannedMessages)
   * once every round is done, straight into its result.
   */
  deletedScans: ScannedSegment[];
  deletedSize: number;
}

const nothing = (): Removed => ({ deleted: [], deletedOffsets: [], deletedRuns: [], deletedScans: [], deletedSize: 0 });

/** Deletes `offsets`, whose lowest is `lowest` (both checked: see checkDeleteArgs). */
export function deleteFromLog(
  log: SegmentRewrites,
  offsets: Set<number>,
  lowest: number,
  keepMessages = true,
): Removed {
  if (offsets.size === 0) return nothing();

  const si = segmentHolding(log, lowest);
  const reader = log.segments[si]!;
  const writer = log.writer!;
  const isHead = writer.reader === reader;
  if (isHead) writer.syncNow();

  const version = rewriteVersion(log, reader, isHead ? writer.version : null);
  const rs = rewriteSegment(reader.files, offsets, log.opts.params, version, version, keepMessages);
  if (rs.deletedOffsets.length === 0) {
    discardRewrite(rs);
    return nothing();
  }
  const result: Removed = {
    ...nothing(),
    deleted: rs.deleted,
    deletedOffsets: rs.deletedOffsets,
    deletedSize: rs.deletedSize,
  };

  const load = { rebuildVersion: log.opts.newSegmentsVersion, persistRebuilt: true };
  const openWriter = (files = reader.files, nextTime = writer.index.lastTimestamp): SegmentWriter => {
    const head = new SegmentReader(files, log.opts.params, true, load);
    return SegmentWriter.open(files, log.opts.params, log.opts.newSegmentsVersion, nextTime, head, {
      writeBackAt: writeBackAt(log.opts),
    });
  };

  if (isHead) {
    const nextOffset = writer.nextOffset;
    const nextTime = writer.index.lastTimestamp;
    const lastDeleted = rs.deletedOffsets[rs.deletedOffsets.length - 1]!;
    const headLast = writer.index.offsetAt(writer.index.count - 1);
    log.retire(writer);
    reader.close();
    let fresh: SegmentWriter;
    let replacement: SegmentReader[];
    if (rs.survivors === 0) {
      discardRewrite(rs);
      fresh = openWriter(segmentFiles(log.dir, nextOffset), nextTime);
      removeSegment(reader.files);
      replacement = [fresh.reader];
    } else if (lastDeleted === headLast) {
      // The newest message went: keep the rewritten segment sealed and start an empty head at
      // the old next offset, so that offset is never handed out twice. The new head exists
      // before the rewrite lands: a crash in between leaves the old head whole, sealed.
      fresh = openWriter(segmentFiles(log.dir, nextOffset), nextTime);
      syncDir(log.dir);
      const files = commitRewrite(reader.files, rs);
      const sealed = new SegmentReader(files, log.opts.params, false, load);
      log.noteSealed(sealed);
      replacement = [sealed, fresh.reader];
    } else {
      const files = commitRewrite(reader.files, rs);
      fresh = openWriter(files, nextTime);
      replacement = [fresh.reader];
    }
    log.replace(si, replacement, fresh);
    return result;
  }

  reader.close();
  if (rs.survivors === 0) {
    discardRewrite(rs);
    removeSegment(reader.files);
    log.replace(si, []);
  } else {
    const files = commitRewrite(reader.files, rs);
    log.replace(si, [new SegmentReader(files, log.opts.params, false, load)]);
  }
  return result;
}

// A round of a multi delete removes at most this many bytes of whole segments, so the backoff and
// the progress callback still come every few dozen segments (and a round building messages is short).
const WHOLE_SEGMENTS_BYTES = 64 << 20;

/**
 * A multi helper's round (delete-multi.ts): when the segment of `lowest` is
 * sealed, was read whole by the scan that found `offsets` (memo) and every
 * one of its records goes, it and the sealed segments after it of which the
 * same holds are removed by name (removeSegments) with no second read: their
 * records were CRC-checked by that scan, and the caller builds their messages
 * from the chunks it read (deletedScans). Null when the segment of `lowest` is not such a segment:
 * deleteFromLog rewrites it.
 */
export function removeScannedSegments(
  log: SegmentRewrites,
  offsets: OffsetBitmap,
  lowest: number,
  memo: ScanMemo,
): Removed | null {
  const segs = log.segments;
  const si = segmentHolding(log, lowest);
  const batch: ScannedSegment[] = [];
  let bytes = 0;
  for (let j = si; j < segs.length && bytes < WHOLE_SEGMENTS_BYTES; j++) {
    const seg = memo.get(segs[j]!);
    if (!seg || segs[j] === log.writer?.reader) break;
    if (offsets.countRange(seg.first, seg.last) !== seg.last - seg.first + 1) break;
    batch.push(seg);
    bytes += seg.recordBytes;
  }
  if (batch.length === 0) {
    // deleteFromLog replaces this segment: what the scan kept of it is of no more use.
    memo.forget(segs[si]!);
    return null;
  }
  const readers = segs.slice(si, si + batch.length);
  const { removed, trash } = removeSegments(readers.map((r) => r.files));
  const result = nothing();
  const itemSize = indexItemSize(log.opts.params);
  for (let k = 0; k < removed; k++) {
    const seg = batch[k]!;
    readers[k]!.close();
    memo.forget(readers[k]!);
    result.deletedRuns.push(seg.first, seg.last);
    result.deletedSize += seg.recordBytes + (seg.last - seg.first + 1) * itemSize;
    if (memo.keepRecords) result.deletedScans.push(seg);
  }
  log.replace(si, [], undefined, removed);
  log.background(unlinkRemoved(trash));
  return result;
}

/** The segment a delete of `offset` rewrites; errors as Go's segment.Get. */
function segmentHolding(log: SegmentsView, offset: number): number {
  const segs = log.segments;
  const first = segs[0]!.offset;
  if (offset < first) {
    if (first === 0) throw invalidOffset(`invalid offset: ${offset} is before the start of the log`);
    throw notFound(`not found: offset ${offset} is before the first segment (${first})`);
  }
  let si = segs.length - 1;
  while (si > 0 && segs[si]!.offset > offset) si--;
  return si;
}

/** New segments' version, or the segment's own with keepRewriteVersion. */
function rewriteVersion(log: SegmentsView, reader: SegmentReader, headVersion: FormatVersion | null): FormatVersion {
  if (!log.opts.keepRewriteVersion) return log.opts.newSegmentsVersion;
  if (headVersion) return headVersion;
  return detectMessageVersion(
    readFileHead(reader.files.logPath, FILE_HEADER_SIZE),
    reader.offset,
    reader.files.logPath,
  );
}
