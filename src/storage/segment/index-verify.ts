/**
 * Cross-checks index items against the records they describe. klevdb's index
 * files carry no checksum: a flipped key hash or time byte would send a key or
 * time lookup to another stored message, and nothing else would notice. So
 * before a key or time lookup trusts a segment's items, they are compared with
 * the records once (offset, position, time chain, key hash).
 */
import { type LogError, corrupted } from '../errors.js';
import { keyHashInto } from '../format/key-hash.js';
import { damagedRecordError } from './damage.js';
import { RECORD_HEADER_SIZE, recordSizeFromHeader } from '../format/message-format.js';
import type { OpenedLog } from './log-scanner.js';
import { readAt } from './segment-files.js';
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

const CHUNK = 1 << 20;
const TWO_32 = 0x100000000;

/**
 * Compares items [from, index.count) with the records they point at, up to
 * `end` (where the last item's record ends): offset, position (each record
 * ends where the next item starts), time chain and key hash. It reads the
 * fields in place, in 1 MiB chunks, without decoding or checksumming the
 * records (reads do that): a damaged record disagrees with its item just
 * the same. Throws ERR_CORRUPTED naming the first item that disagrees.
 */
export function verifyItems(
  log: Pick<OpenedLog, 'fd' | 'version'>,
  logPath: string,
  indexPath: string,
  index: SegmentIndex,
  from: number,
  end: number,
  /** Whether the segment is the head, which recover repairs (the advice for a damaged record). */
  head: boolean,
): void {
  // Offset, time and lengths follow V2's CRC; V1 starts with them. Keys start at byte 28 in both.
  const fieldsAt = log.version === 'V2' ? 4 : 0;
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = 0;
  const fail = (i: number, problem: string): LogError =>
    corrupted(
      `index corrupted: item ${i} of ${indexPath} has ${problem}; open with recover: true or remove the index file to rebuild it`,
    );
  for (let i = from; i < index.count; i++) {
    const position = index.positionAt(i);
    if (position < chunkStart || position + RECORD_HEADER_SIZE > chunkStart + chunk.length) {
      chunk = readAt(log.fd, position, Math.max(Math.min(CHUNK, end - position), RECORD_HEADER_SIZE));
      chunkStart = position;
    }
    if (chunk.length - (position - chunkStart) < RECORD_HEADER_SIZE)
      throw fail(i, `position ${position}, past the whole records of ${logPath}`);
    let size: number;
    try {
      size = recordSizeFromHeader(log.version, chunk, position - chunkStart, { file: logPath, base: chunkStart });
    } catch (err) {
      throw damagedRecordError(err, index.offsetAt(i), head);
    }
    const recordEnd = position + size;
    const next = i + 1 < index.count ? index.positionAt(i + 1) : end;
    if (recordEnd !== next)
      throw fail(i, `a record of ${size} bytes at ${position}, which does not end where the next one starts (${next})`);
    if (recordEnd > chunkStart + chunk.length) {
      chunk = readAt(log.fd, position, Math.max(Math.min(CHUNK, end - position), size));
      chunkStart = position;
      if (chunk.length < size) throw fail(i, `a record at ${position} cut by the end of ${logPath}`);
    }
    const at = position - chunkStart + fieldsAt;
    const offset = chunk.readInt32BE(at) * TWO_32 + chunk.readUInt32BE(at + 4);
    if (offset !== index.offsetAt(i)) throw fail(i, `offset ${index.offsetAt(i)} where the record holds ${offset}`);
    if (index.times) {
      const time = chunk.readInt32BE(at + 8) * TWO_32 + chunk.readUInt32BE(at + 12);
      if (!itemTimeFits(index, i, time)) throw fail(i, `time ${index.times[i]} for a record written at ${time}`);
    }
    if (index.hashHi && index.hashLo) {
      const keyLength = chunk.readUInt32BE(at + 16);
      const keyStart = position - chunkStart + RECORD_HEADER_SIZE;
      keyHashInto(keyLength > 0 ? chunk.subarray(keyStart, keyStart + keyLength) : null, scratch);
      if (index.hashHi[i] !== scratch.hi || index.hashLo[i] !== scratch.lo)
        throw fail(i, "a key hash that is not the record's key's");
    }
  }
}
