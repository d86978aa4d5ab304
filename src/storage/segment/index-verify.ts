/**
 * Cross-checks index items against the records they describe. klevdb's index
 * files carry no checksum: a flipped key hash or time byte would send a key or
 * time lookup to another stored message, and nothing else would notice. So
 * before a key or time lookup trusts a segment's items, they are compared with
 * the records once (offset, position, time chain, key hash).
 */
import { corrupted } from '../errors.js';
import { keyHashInto } from '../format/key-hash.js';
import type { DecodedRecord } from '../format/message-format.js';
import { type OpenedLog, scanRecords } from './log-scanner.js';
import type { SegmentIndex } from './segment-index.js';

const scratch = { hi: 0, lo: 0 };

/**
 * Whether item `i`'s time can be the index time of a record written at
 * `recordTime`. Index times are max(record time, previous index time) (Go:
 * Params.NewItem), so within a segment the item's time is fixed by the
 * record and the previous item. The first item may continue a chain carried
 * over a rollover, which only a segment at offset 0 cannot have had.
 */
export function itemTimeFits(index: SegmentIndex, i: number, recordTime: number): boolean {
  const t = index.times![i]!;
  // A chain starts at 0 (Go: a new writer's nextTime), so a time before 1970 is indexed as 0.
  const previous = i > 0 ? index.times![i - 1]! : 0;
  if (t === Math.max(recordTime, previous)) return true;
  return i === 0 && t > recordTime && index.baseOffset > 0;
}

/** What item `i` says that record `rec` at `position` does not; null when they agree. */
export function itemMismatch(index: SegmentIndex, i: number, rec: DecodedRecord, position: number): string | null {
  if (index.offsetAt(i) !== rec.offset) return `offset ${index.offsetAt(i)} where the record holds ${rec.offset}`;
  if (index.positionAt(i) !== position) return `position ${index.positionAt(i)} where the record starts at byte ${position}`;
  if (index.times && !itemTimeFits(index, i, rec.timeMicros)) return `time ${index.times[i]} for a record written at ${rec.timeMicros}`;
  if (index.hashHi && index.hashLo) {
    keyHashInto(rec.key, scratch);
    if (index.hashHi[i] !== scratch.hi || index.hashLo[i] !== scratch.lo) return `a key hash that is not the record's key's`;
  }
  return null;
}

/**
 * Compares items [from, index.count) with the records from item `from`'s
 * position to `end` (where the last item's record ends). Throws
 * ERR_CORRUPTED naming the first item that disagrees.
 */
export function verifyItems(log: OpenedLog, logPath: string, indexPath: string, index: SegmentIndex, from: number, end: number): void {
  if (from >= index.count) return;
  let i = from;
  const scan = scanRecords(
    log,
    logPath,
    (rec, position) => {
      const problem = i < index.count ? itemMismatch(index, i, rec, position) : `no item for the record at byte ${position}`;
      if (problem !== null) {
        throw corrupted(`index corrupted: item ${i} of ${indexPath} has ${problem}; open with recover: true or remove the index file to rebuild it`);
      }
      i++;
    },
    end,
    index.positionAt(from),
  );
  if (scan.kind !== 'eof') throw scan.error;
  if (i !== index.count) throw corrupted(`index corrupted: ${indexPath} lists ${index.count - i} items past the records of ${logPath}; open with recover: true`);
}
