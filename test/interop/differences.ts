// Where this library answers differently from Go klevdb on purpose
// (docs/format.md, "Where we differ"), read straight from a log's files, so
// the interop suites can expect the difference instead of equality.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The files of the head (last) segment of `dir`. */
function head(dir: string): { offset: number; log: string; index: string } {
  const name = readdirSync(dir).filter((n) => /^\d{20}\.log$/.test(n)).sort().at(-1)!.slice(0, 20);
  return { offset: Number(name), log: path.join(dir, `${name}.log`), index: path.join(dir, `${name}.index`) };
}

/** The head holds no record (its log is at most the 8-byte V2 header): Go's GetByTime fails there, Node skips it. */
export function headIsEmpty(dir: string): boolean {
  return statSync(head(dir).log).size <= 8;
}

/**
 * The head's first index time carries the chain of the segment before it
 * (it is above its record's time): healthy, but Go's Check rebuilds the
 * chain from 0 and calls it corrupted. Needs a time index.
 */
export function headCarriesTimeChain(dir: string): boolean {
  const h = head(dir);
  if (!existsSync(h.index)) return false;
  const index = readFileSync(h.index);
  const log = readFileSync(h.log);
  const v2Index = index[0] === 0xff ? 8 : 0;
  const v2Log = log[0] === 0xff;
  if (h.offset === 0 || index.length < v2Index + 24) return false;
  const itemTime = index.readBigInt64BE(v2Index + 16);
  const position = Number(index.readBigInt64BE(v2Index + 8));
  const recordTime = log.readBigInt64BE(position + (v2Log ? 12 : 8));
  return itemTime > recordTime;
}
