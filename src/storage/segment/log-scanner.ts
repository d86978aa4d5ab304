/** Reads a segment's log file record by record, in large chunks (for reindex, check, recover, rewrite). */
import fs from 'node:fs';
import { LogError } from '../errors.js';
import {
  type DecodedRecord,
  type FormatVersion,
  type RecordFields,
  type RecordPlace,
  type RecordProblem,
  FILE_HEADER_SIZE,
  RECORD_HEADER_SIZE,
  decodeRecord,
  decodeRecordFields,
  describePlace,
  detectMessageVersion,
  initialPosition,
  recordSizeFromHeader,
  shortRecordError,
} from '../format/message-format.js';
import { fsError, readAt } from './segment-files.js';

const CHUNK = 1 << 20;

/** How a scan ended: at a clean end of file, at a torn record header, or at damage. */
export type ScanEnd =
  | { kind: 'eof'; position: number }
  | { kind: 'torn-header'; position: number; error: LogError }
  | { kind: 'corrupted'; position: number; error: LogError };

export interface OpenedLog {
  fd: number;
  size: number;
  version: FormatVersion;
}

/** Opens a log file for reading and detects its version from the header. */
export function openLogForRead(file: string, segmentOffset: number): OpenedLog {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw fsError(err, `open ${file}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const version = detectMessageVersion(readAt(fd, 0, FILE_HEADER_SIZE), segmentOffset, file);
    return { fd, size, version };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/**
 * Visits every whole record from `from` (the first one) to the end of `size` bytes.
 * Stops at the first problem and says what it was; never throws for damage
 * (a LogError thrown by `visit`, such as an offset out of order, ends the
 * scan as damage at that record).
 */
export function scanRecords(
  log: OpenedLog,
  file: string,
  /** `raw` is the record's bytes, a view of the read chunk (valid until the scan reads the next one). */
  visit: (record: DecodedRecord, position: number, raw: Buffer) => void,
  size = log.size,
  /** Where the first record starts (a record boundary): by default the first record of the file. */
  from = initialPosition(log.version),
): ScanEnd {
  return scanChunks(log, file, size, from, (chunk, at, place) => {
    const rec = decodeRecord(log.version, chunk, at, place);
    if (typeof rec === 'string') return rec;
    visit(rec, place.base + at, chunk.subarray(at, rec.end));
    return rec.end;
  });
}

/**
 * As scanRecords, handing `visit` each record's fields (one object, refilled
 * for every record) and the chunk they are positions in: no view of the
 * record, its key or its value is made (a retention scan reads a million
 * records to keep a few numbers).
 */
export function scanRecordFields(
  log: OpenedLog,
  file: string,
  visit: (record: RecordFields, chunk: Buffer) => void,
  size = log.size,
  /** Read every chunk that fits into this buffer instead of a fresh one (nothing of a chunk outlives its visits). */
  scratch?: Buffer,
): ScanEnd {
  const fields: RecordFields = { offset: 0, timeMicros: 0, keyStart: 0, keyLength: 0, valueLength: 0, end: 0 };
  const step: RecordStep = (chunk, at, place) => {
    const problem = decodeRecordFields(log.version, chunk, at, place, fields);
    if (problem !== null) return problem;
    visit(fields, chunk);
    return fields.end;
  };
  return scanChunks(log, file, size, initialPosition(log.version), step, scratch);
}

/** `length` bytes at `position` (fewer at the end of the file), in `scratch` when they fit. */
function readChunk(fd: number, position: number, length: number, scratch: Buffer | undefined): Buffer {
  if (!scratch || length > scratch.length) return readAt(fd, position, length);
  let done = 0;
  for (let n = -1; done < length && n !== 0; done += n)
    n = fs.readSync(fd, scratch, done, length - done, position + done);
  return scratch.subarray(0, done);
}

/** Decodes and visits the record at `at` of `chunk`: where it ends in the chunk, or why there is no whole record there. */
type RecordStep = (chunk: Buffer, at: number, place: RecordPlace) => number | RecordProblem;

/** The chunked reading both scans share: reads 1 MiB at a time, again from a record the chunk cuts. */
function scanChunks(
  log: OpenedLog,
  file: string,
  size: number,
  from: number,
  step: RecordStep,
  scratch?: Buffer,
): ScanEnd {
  let position = from;
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = position;
  let place: RecordPlace = { file, base: chunkStart };
  for (;;) {
    const at = position - chunkStart;
    let decoded: number | RecordProblem;
    try {
      decoded = step(chunk, at, place);
    } catch (err) {
      if (err instanceof LogError) return { kind: 'corrupted', position, error: err };
      throw err;
    }
    if (typeof decoded === 'number') {
      position += decoded - at;
      continue;
    }
    const remaining = size - position;
    const where = describePlace(place, at);
    if (remaining === 0) return { kind: 'eof', position };
    if (chunk.length - at >= remaining) {
      // Everything left is in the chunk and it is not a whole record.
      if (decoded === 'eof') {
        return {
          kind: 'torn-header',
          position,
          error: new LogError('ERR_CORRUPTED', `log corrupted: torn record header (${remaining} bytes) ${where}`),
        };
      }
      return { kind: 'corrupted', position, error: shortRecordError(log.version, where) };
    }
    let want = Math.min(CHUNK, remaining);
    if (decoded === 'short') {
      try {
        want = Math.min(Math.max(want, recordSizeFromHeader(log.version, chunk, at, place)), remaining);
      } catch (err) {
        return { kind: 'corrupted', position, error: err as LogError };
      }
    }
    want = Math.max(want, Math.min(RECORD_HEADER_SIZE, remaining));
    chunk = readChunk(log.fd, position, want, scratch);
    chunkStart = position;
    place = { file, base: chunkStart };
    // `size` promised bytes the file does not have (it shrank, or a damaged length pointed past its end).
    if (chunk.length < want)
      return {
        kind: 'corrupted',
        position,
        error: shortRecordError(log.version, describePlace({ file, base: position }, 0)),
      };
  }
}
