/**
 * What to do about damage found in a segment, worded for where it is:
 * `recover` repairs only the head segment (klevdb's rule), so the advice for
 * a sealed one names what does help there.
 */
import { LogError, corrupted } from '../errors.js';
import {
  type DecodedRecord,
  type FormatVersion,
  type RecordPlace,
  decodeRecord,
  describePlace,
  shortRecordError,
} from '../format/message-format.js';

/**
 * An index item that disagrees with its record (`detail` says how):
 * ERR_CORRUPTED with what repairs it there. recover rewrites the head; a
 * sealed segment's index is rebuilt from its log when removed.
 */
export function itemDisagrees(files: { logPath: string; indexPath: string }, head: boolean, detail: string): LogError {
  const remedy = head
    ? 'open with recover: true'
    : `remove ${files.indexPath} to rebuild it from the log (recover repairs only the head segment)`;
  return corrupted(`log corrupted: index of ${files.logPath} ${detail}; ${remedy}`);
}

/** For a record that cannot be read (failed CRC, bad trailer or lengths, cut short). */
function recordRemedy(head: boolean, offset: number): string {
  return head
    ? 'open with recover: true to drop it with the rest of the head segment and keep the records before it'
    : `recover repairs only the head segment: restore this one from a backup, or read on from offset ${offset + 1}`;
}

/**
 * The record at `at` of `buf`, which the index gives `offset` (decodeRecord's
 * checks); a record that fails them is ERR_CORRUPTED naming that offset and
 * what to do.
 */
export function decodeIndexedRecord(
  version: FormatVersion,
  buf: Buffer,
  at: number,
  place: RecordPlace,
  offset: number,
  head: boolean,
): DecodedRecord {
  try {
    const rec = decodeRecord(version, buf, at, place);
    if (typeof rec === 'string') throw shortRecordError(version, describePlace(place, at));
    return rec;
  } catch (err) {
    throw damagedRecordError(err, offset, head);
  }
}

/** `err`, a record's decoding failure, naming the offset the index gives the record and what to do. */
export function damagedRecordError(err: unknown, offset: number, head: boolean): unknown {
  if (!(err instanceof LogError) || err.code !== 'ERR_CORRUPTED') return err;
  return new LogError('ERR_CORRUPTED', `${err.message} (offset ${offset}); ${recordRemedy(head, offset)}`, {
    cause: err,
  });
}
