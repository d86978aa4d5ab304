/** Reads a segment's log file record by record, in large chunks (for reindex, check, recover, rewrite). */
import fs from 'node:fs';
import { LogError } from '../errors.js';
import {
  type DecodedRecord,
  type FormatVersion,
  FILE_HEADER_SIZE,
  RECORD_HEADER_SIZE,
  decodeRecord,
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
  let position = from;
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = position;
  for (;;) {
    const at = position - chunkStart;
    const place = { file, base: chunkStart };
    let decoded: DecodedRecord | 'eof' | 'short';
    try {
      decoded = decodeRecord(log.version, chunk, at, place);
    } catch (err) {
      if (err instanceof LogError) return { kind: 'corrupted', position, error: err };
      throw err;
    }
    if (typeof decoded !== 'string') {
      try {
        visit(decoded, position, chunk.subarray(at, decoded.end));
      } catch (err) {
        if (err instanceof LogError) return { kind: 'corrupted', position, error: err };
        throw err;
      }
      position += decoded.end - at;
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
    chunk = readAt(log.fd, position, want);
    chunkStart = position;
    // `size` promised bytes the file does not have (it shrank, or a damaged length pointed past its end).
    if (chunk.length < want)
      return {
        kind: 'corrupted',
        position,
        error: shortRecordError(log.version, describePlace({ file, base: position }, 0)),
      };
  }
}
