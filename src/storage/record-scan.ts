/**
 * The retention helpers' scan over a local log's files (find*, trim*,
 * compact*): the records of one segment at a time, each checked (CRC,
 * trailer, lengths) exactly as a read checks it, and handed to the visitor as
 * its fields in the read chunk: no Message, no Date, no copy, not even a view
 * of its key or value unless the helper asks for one. consume() in batches
 * of 32 built all three for every message of the log.
 */
import fs from 'node:fs';
import { RECORD_HEADER_SIZE, type RecordFields, initialPosition } from './format/message-format.js';
import { type OpenedLog, openLogForRead, scanRecordFields } from './segment/log-scanner.js';
import type { ScanMemo, SegmentNotes } from './scan-memo.js';
import type { SegmentsView } from './segment-state.js';
import type { Message } from './types.js';

/** What a scan sees of a record; key and value are views, valid during the visit only. */
export type ScannedRecord = Pick<Message, 'offset' | 'timeMicros' | 'key' | 'value'>;

/** The record being visited, as positions in the chunk that holds it; key and value are made when read. */
export class ChunkRecord implements ScannedRecord {
  chunk: Buffer = Buffer.alloc(0);
  offset = 0;
  timeMicros = 0;
  keyStart = 0;
  keyLength = 0;
  valueLength = 0;

  get key(): Buffer | null {
    return this.keyLength > 0 ? this.chunk.subarray(this.keyStart, this.keyStart + this.keyLength) : null;
  }

  get value(): Buffer | null {
    const start = this.keyStart + this.keyLength;
    return this.valueLength > 0 ? this.chunk.subarray(start, start + this.valueLength) : null;
  }

  fill(fields: RecordFields, chunk: Buffer): this {
    this.chunk = chunk;
    this.offset = fields.offset;
    this.timeMicros = fields.timeMicros;
    this.keyStart = fields.keyStart;
    this.keyLength = fields.keyLength;
    this.valueLength = fields.valueLength;
    return this;
  }
}

/** Returns false to stop the scan. */
export type RecordVisitor = (record: ScannedRecord) => boolean;

export interface SegmentScan {
  /** Where the next call continues: the next segment's first offset, or past the last record seen. */
  next: number;
  /** The visitor said stop, or the log has nothing after this segment. */
  done: boolean;
}

// The scans run one at a time (synchronously) and keep nothing of a chunk: one buffer serves them all.
const SCRATCH_BYTES = 1 << 20;
let scratch: Buffer | undefined;

/**
 * Visits the records at or after `from` of the segment holding `from` (or of
 * the first segment after it). With a memo, a sealed segment read from its
 * start to its end is noted in it (scan-memo.ts).
 */
export function scanSegmentFrom(view: SegmentsView, from: number, visit: RecordVisitor, memo?: ScanMemo): SegmentScan {
  const segs = view.segments;
  let si = 0;
  while (si + 1 < segs.length && segs[si + 1]!.offset <= from) si++;
  const seg = segs[si]!;
  const last = si + 1 === segs.length;
  const writer = view.writer;
  // The head's writer knows how many bytes hold whole records; a sealed segment's file is all records.
  const size = writer && writer.reader === seg ? writer.logSize : undefined;
  let next = Math.max(from, seg.offset);
  let stopped = false;
  let log: OpenedLog;
  try {
    log = openLogForRead(seg.files.logPath, seg.offset);
  } catch (err) {
    // An empty log has no file until its first publish.
    if (last && (err as NodeJS.ErrnoException).code === 'ENOENT') return { next, done: true };
    throw err;
  }
  try {
    const notes: SegmentNotes | undefined =
      memo && size === undefined && from <= seg.offset ? memo.begin(seg, log.version) : undefined;
    const rec = new ChunkRecord();
    // A memo that keeps the records keeps their chunks: each must then be a fresh buffer.
    const reuse = !notes?.keepsChunks;
    const end = scanRecordFields(
      log,
      seg.files.logPath,
      (fields, chunk) => {
        if (stopped || fields.offset < from) return;
        next = fields.offset + 1;
        notes?.record(fields.offset, chunk, fields.keyStart - RECORD_HEADER_SIZE);
        if (!visit(rec.fill(fields, chunk))) stopped = true;
      },
      size ?? log.size,
      reuse ? (scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES)) : undefined,
    );
    if (end.kind !== 'eof') throw end.error;
    if (!stopped) notes?.finish(end.position - initialPosition(log.version));
  } finally {
    fs.closeSync(log.fd);
  }
  if (stopped || last) return { next, done: true };
  return { next: Math.max(next, segs[si + 1]!.offset), done: false };
}
