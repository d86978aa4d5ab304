/**
 * What a multi helper's scan (trim*Multi, compact*Multi) learned of each
 * sealed segment it read whole, so that the delete which follows needs no
 * second read of a segment it removes entirely: the offsets of its records
 * and, for a helper that returns the deleted messages, the chunks it read
 * (each record CRC-checked then) and where each record starts in them.
 * Compacting a log whose keys were updated over and over removes all but
 * the newest few segments this way: found in one pass, removed by name.
 */
import { readInt64 } from './format/int64.js';
import { type FormatVersion, RECORD_HEADER_SIZE } from './format/message-format.js';
import type { SegmentReader } from './segment/segment-reader.js';
import { toMessage } from './format/message-format.js';
import type { Message } from './types.js';

/** One segment as the scan saw it, from its first record to the end of its file. */
export interface ScannedSegment {
  /** First and last offset of its records; there are last - first + 1 of them, no gap. */
  first: number;
  last: number;
  /** Bytes of its records on disk (the log file after its header). */
  recordBytes: number;
  /** The read chunks and, two numbers a record, the chunk and the byte its record starts at (keepRecords only). */
  chunks: ArrayBuffer[] | null;
  places: number[] | null;
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
      places: this.keepRecords ? [] : null,
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
          if (seg.chunks[seg.chunks.length - 1] !== chunk.buffer) seg.chunks.push(chunk.buffer as ArrayBuffer);
          seg.places!.push(seg.chunks.length - 1, chunk.byteOffset + at);
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

/** The messages of a scanned segment, ascending, their key and value views of the chunks the scan read. */
export function scannedMessages(seg: ScannedSegment): Message[] {
  const chunks = seg.chunks!.map((ab) => Buffer.from(ab));
  const places = seg.places!;
  const out = new Array<Message>(places.length / 2);
  // V2 records start with their CRC; V1 records with the offset.
  const fields = seg.version === 'V2' ? 4 : 0;
  for (let i = 0; i < out.length; i++) {
    const buf = chunks[places[2 * i]!]!;
    const at = places[2 * i + 1]!;
    const keyLength = buf.readUInt32BE(at + fields + 16);
    const valueLength = buf.readUInt32BE(at + fields + 20);
    const keyStart = at + RECORD_HEADER_SIZE;
    const valueStart = keyStart + keyLength;
    out[i] = toMessage(
      seg.first + i,
      readInt64(buf, at + fields + 8, 'time'),
      keyLength > 0 ? buf.subarray(keyStart, valueStart) : null,
      valueLength > 0 ? buf.subarray(valueStart, valueStart + valueLength) : null,
    );
  }
  return out;
}
