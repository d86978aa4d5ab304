/**
 * What a multi helper's scan (trim*Multi, compact*Multi) learned of each
 * sealed segment it read whole, so that the delete which follows needs no
 * second read of a segment it removes entirely: the offsets of its records
 * and, for a helper that returns the deleted messages, the chunks it read
 * (each record CRC-checked then) and where its records start in them.
 * Compacting a log whose keys were updated over and over removes all but
 * the newest few segments this way: found in one pass, removed by name.
 */
import { type FormatVersion, RECORD_HEADER_SIZE, recordOverhead, toMessage } from './format/message-format.js';
import type { SegmentReader } from './segment/segment-reader.js';
import type { Message } from './types.js';

/** One segment as the scan saw it, from its first record to the end of its file. */
export interface ScannedSegment {
  /** First and last offset of its records; there are last - first + 1 of them, no gap. */
  first: number;
  last: number;
  /** Bytes of its records on disk (the log file after its header). */
  recordBytes: number;
  /**
   * The read chunks (keepRecords only), and for each the byte its first
   * record starts at and how many records follow it there, one after the
   * other: the scan reads the next chunk from the record a chunk cuts.
   */
  chunks: Buffer[] | null;
  starts: number[] | null;
  counts: number[] | null;
  version: FormatVersion;
}

/** Filled by record-scan.ts while a scan reads one segment. */
export interface SegmentNotes {
  /** The chunks the records are read into are kept (the memo's keepRecords). */
  readonly keepsChunks: boolean;
  /** The record at `offset` starts at byte `at` of `chunk`. */
  record(offset: number, chunk: Buffer, at: number): void;
  /** The scan saw every record of the segment. */
  finish(recordBytes: number): void;
}

export class ScanMemo {
  private readonly segments = new Map<SegmentReader, ScannedSegment>();

  /** `keepRecords`: the caller returns the deleted messages, so the chunks stay until they are built. */
  constructor(readonly keepRecords: boolean) {}

  /** Notes for a sealed segment read from its first record on; nothing is kept unless it ends with finish(). */
  begin(reader: SegmentReader, version: FormatVersion): SegmentNotes {
    const seg: ScannedSegment = {
      first: -1,
      last: -1,
      recordBytes: 0,
      chunks: this.keepRecords ? [] : null,
      starts: this.keepRecords ? [] : null,
      counts: this.keepRecords ? [] : null,
      version,
    };
    let gap = false;
    let count = 0;
    return {
      keepsChunks: this.keepRecords,
      record: (offset, chunk, at) => {
        if (count++ === 0) seg.first = offset;
        else if (offset !== seg.last + 1) gap = true;
        seg.last = offset;
        if (seg.chunks) {
          // The scan reads each chunk into a fresh buffer (never a cache's): its records may stay views of it.
          const last = seg.chunks.length - 1;
          if (last >= 0 && seg.chunks[last] === chunk) seg.counts![last]!++;
          else {
            seg.chunks.push(chunk);
            seg.starts!.push(at);
            seg.counts!.push(1);
          }
        }
      },
      finish: (recordBytes) => {
        // A segment whose offsets have gaps (an earlier delete) is rewritten the usual way: the
        // range check in wholeSegment could not tell its records from the offsets between them.
        if (count === 0 || gap) return;
        seg.recordBytes = recordBytes;
        this.segments.set(reader, seg);
      },
    };
  }

  /** What the scan saw of `reader`, if it read it whole (the same object: a rewrite makes a new one). */
  get(reader: SegmentReader): ScannedSegment | undefined {
    return this.segments.get(reader);
  }

  /** Drops what is kept of a segment that is gone. */
  forget(reader: SegmentReader): void {
    this.segments.delete(reader);
  }
}

/**
 * Writes the messages of a scanned segment, ascending, into out[at…] (out
 * has room for them); their key and value are views of the chunks the scan
 * read, which nothing else holds. Returns the index after the last one.
 */
export function buildScannedMessages(seg: ScannedSegment, out: Message[], at: number): number {
  const chunks = seg.chunks!;
  const starts = seg.starts!;
  const counts = seg.counts!;
  const overhead = recordOverhead(seg.version);
  // V2 records start with their CRC; V1 records with the offset.
  const fields = seg.version === 'V2' ? 4 : 0;
  let n = at;
  for (let c = 0; c < chunks.length; c++) {
    const buf = chunks[c]!;
    let start = starts[c]!;
    for (let left = counts[c]!; left > 0; left--) {
      const keyLength = u32(buf, start + fields + 16);
      const valueLength = u32(buf, start + fields + 20);
      const keyStart = start + RECORD_HEADER_SIZE;
      const valueStart = keyStart + keyLength;
      out[n] = toMessage(
        seg.first + n - at,
        // Signed high word: a time before 1970 is negative (checked safe by the scan).
        i32(buf, start + fields + 8) * TWO_32 + u32(buf, start + fields + 12),
        keyLength > 0 ? buf.subarray(keyStart, valueStart) : null,
        valueLength > 0 ? buf.subarray(valueStart, valueStart + valueLength) : null,
      );
      n++;
      start += overhead + keyLength + valueLength;
    }
  }
  return n;
}

const TWO_32 = 0x100000000;

/** Big-endian integers of bytes the scan already checked are there. */
const i32 = (b: Buffer, i: number): number => (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
const u32 = (b: Buffer, i: number): number => i32(b, i) >>> 0;
