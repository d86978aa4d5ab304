/**
 * The read paths of a log over its segment list (Go: log.go Consume, Get,
 * GetByKey, GetByTime), with what is derived from the list to make them
 * fast: the key table and the time search. Arguments arrive validated.
 */
import { invalidOffset, notFound } from './errors.js';
import { type KeyHash, keyHashInto } from './format/key-hash.js';
import { KeyTable } from './key-table.js';
import type { ResolvedOptions } from './log-options.js';
import { AFTER_END, INDEX_EMPTY, type SegmentIndex } from './segment/segment-index.js';
import type { ReadCache } from './segment/read-cache.js';
import type { SegmentReader } from './segment/segment-reader.js';
import type { ConsumeResult, Message } from './types.js';
import { OffsetNewest, OffsetOldest } from './types.js';

export interface SegmentList {
  /** Oldest first; the last one is the head. */
  readonly segments: readonly SegmentReader[];
  readonly opts: ResolvedOptions;
}

export class LogReader {
  private keyTable: KeyTable | null = null;
  private headTable: { index: SegmentIndex; table: KeyTable; count: number } | null = null;
  private layout = 0;
  private timeSearch: { layout: number; suffixMin: Float64Array } | null = null;
  /** Sealed segments from `from` to the head are checked (verifiedFrom), so lookups skip the walk. */
  private sealedVerified = { layout: -1, from: 0 };

  constructor(
    private readonly log: SegmentList,
    /** Sealed segments' bytes (the readCacheSize option); null: every read is a pread. */
    private readonly cache: ReadCache | null,
  ) {}

  /** Segment a consume at `offset` starts in (Go: segment.Consume). */
  private consumeSegment(offset: number): number {
    const segs = this.log.segments;
    if (offset === OffsetNewest) return segs.length - 1;
    if (offset === OffsetOldest || offset <= segs[0]!.offset) return 0;
    if (segs[segs.length - 1]!.offset <= offset) return segs.length - 1;
    return floorSegment(segs, offset);
  }

  /** Segment that holds `offset` (Go: segment.Get). */
  private getSegment(offset: number): number {
    const segs = this.log.segments;
    if (offset === OffsetOldest) return 0;
    if (offset === OffsetNewest) return segs.length - 1;
    const first = segs[0]!.offset;
    if (offset < first) {
      if (first === 0) throw invalidOffset(`invalid offset: ${offset} is before the start of the log`);
      throw notFound(`not found: offset ${offset} is before the first segment (${first}); it was deleted`);
    }
    if (segs[segs.length - 1]!.offset <= offset) return segs.length - 1;
    return floorSegment(segs, offset);
  }

  consume(offset: number, maxCount: number): ConsumeResult {
    const last = this.log.segments.length - 1;
    let si = this.consumeSegment(offset);
    let r = this.consumeIn(si, offset, maxCount);
    // Past a segment's end, or in an empty one (see nonEmpty), the next segment starts the batch.
    while (r === AFTER_END && si < last) r = this.consumeIn(++si, OffsetOldest, maxCount);
    if (r === AFTER_END)
      throw invalidOffset(
        `invalid offset: ${offset} is after the end of the log (next offset ${this.log.segments[last]!.getIndex().nextOffset})`,
      );
    return r;
  }

  private consumeIn(si: number, offset: number, maxCount: number): ConsumeResult | typeof AFTER_END {
    const seg = this.log.segments[si]!;
    const index = seg.getIndex();
    if (offset === OffsetNewest) return { nextOffset: index.nextOffset, messages: [] };
    const i = index.findConsume(offset);
    if (i === INDEX_EMPTY || i === AFTER_END) {
      if (seg.head && offset <= index.nextOffset) return { nextOffset: index.nextOffset, messages: [] };
      return AFTER_END;
    }
    const messages = seg.readRange(i, Math.min(i + maxCount, index.count), this.cache);
    return { nextOffset: messages[messages.length - 1]!.offset + 1, messages };
  }

  consumeByKey(k: Buffer | null, offset: number, maxCount: number): ConsumeResult {
    const hash = keyHashOf(k);
    let si = this.consumeSegment(offset);
    for (;;) {
      const seg = this.log.segments[si]!;
      const index = seg.verifiedIndex();
      if (offset === OffsetNewest) return { nextOffset: index.nextOffset, messages: [] };
      const messages: Message[] = [];
      const matches = index.keyMatches(hash.hi, hash.lo);
      // Read in batches of candidates (a hash can match another key too): few large reads, never one per record.
      for (
        let j = firstAtOrAfter(matches, (i) => index.offsetAt(i), offset);
        j < matches.length && messages.length < maxCount;
      ) {
        const batch = matches.slice(j, j + Math.min(maxCount - messages.length, KEY_READ_BATCH));
        j += batch.length;
        for (const m of seg.readItems(batch, this.cache)) if (sameKey(m.key, k)) messages.push(m);
      }
      if (messages.length > 0) return { nextOffset: messages[messages.length - 1]!.offset + 1, messages };
      if (si >= this.log.segments.length - 1) return { nextOffset: index.nextOffset, messages: [] };
      si++;
      offset = OffsetOldest;
    }
  }

  get(offset: number): Message {
    // The oldest and newest messages are in the first and last segments that hold any (see nonEmpty).
    if (offset === OffsetOldest || offset === OffsetNewest) {
      const si = offset === OffsetOldest ? this.nonEmpty(0, 1) : this.nonEmpty(this.log.segments.length - 1, -1);
      if (si < 0) throw invalidOffset(`invalid offset: the log is empty`);
      const seg = this.log.segments[si]!;
      return seg.readOne(offset === OffsetOldest ? 0 : seg.getIndex().count - 1, this.cache);
    }
    const si = this.getSegment(offset);
    const seg = this.log.segments[si]!;
    const i = seg.getIndex().findExact(offset);
    if (i >= 0) return seg.readOne(i, this.cache, offset);
    // After the last item of the head (an empty head included) is after the end; anywhere else the offset was deleted.
    if ((i === AFTER_END || i === INDEX_EMPTY) && si === this.log.segments.length - 1) {
      throw invalidOffset(
        `invalid offset: ${offset} is after the end of the log (next offset ${seg.getIndex().nextOffset})`,
      );
    }
    throw notFound(`not found: offset ${offset} was deleted`);
  }

  /**
   * The first segment from `si` on (step 1) or back (step -1) that holds a
   * message, or -1. Segments can be empty: the head after its newest
   * messages were deleted (compaction does this), and a sealed one that
   * outlived its messages in a copy (a backup into a directory that held an
   * older backup keeps files the log has since removed). Reads skip them.
   */
  private nonEmpty(si: number, step: 1 | -1): number {
    const segs = this.log.segments;
    for (; si >= 0 && si < segs.length; si += step) if (segs[si]!.getIndex().count > 0) return si;
    return -1;
  }

  getByKey(k: Buffer | null): Message {
    const hash = keyHashOf(k);
    const segs = this.log.segments;
    const head = segs.length - 1;
    const found = this.newestInHead(k, hash);
    if (found) return found;
    if (head > 0) {
      // The table names the newest sealed offset with this hash; klevdb's search from there down is the fallback.
      const newest = this.sealedKeys().get(hash.lo);
      if (newest >= 0 && newest >= segs[0]!.offset) {
        const si = Math.min(floorSegment(segs, newest), head - 1);
        const seg = segs[si]!;
        const i = seg.getIndex().findExact(newest);
        if (i >= 0) {
          const m = seg.readOne(i, this.cache, newest);
          if (sameKey(m.key, k)) return this.verifiedFrom(si, m);
        }
        for (let sj = si; sj >= 0; sj--) {
          const m = this.newestWithKey(sj, k, hash);
          if (m) return this.verifiedFrom(sj, m);
        }
      }
    }
    // No item names the key: that is an answer only if no item hides it behind a damaged hash.
    this.verifiedFrom(0, null);
    throw notFound(`not found: no message with key ${describeKey(k)}`);
  }

  /**
   * Returns `answer` once the items of segments si..head agree with their
   * records: a key or time lookup that answers from segment si relies on
   * every item after its answer (a newer message of the key, an earlier
   * time) as much as on the answer itself.
   */
  private verifiedFrom<T>(si: number, answer: T): T {
    const segs = this.log.segments;
    const head = segs.length - 1;
    segs[head]!.ensureVerified();
    if (this.sealedVerified.layout !== this.layout) this.sealedVerified = { layout: this.layout, from: head };
    for (let j = this.sealedVerified.from - 1; j >= si; j--) {
      segs[j]!.ensureVerified();
      this.sealedVerified.from = j;
    }
    return answer;
  }

  /** The newest message with key `k` in segment `si` (klevdb's per-segment search). */
  private newestWithKey(si: number, k: Buffer | null, hash: KeyHash): Message | null {
    const seg = this.log.segments[si]!;
    const matches = seg.verifiedIndex().keyMatches(hash.hi, hash.lo);
    for (let j = matches.length - 1; j >= 0; j--) {
      const m = seg.readOne(matches[j]!, this.cache);
      if (sameKey(m.key, k)) return m;
    }
    return null;
  }

  /**
   * The newest message with key `k` in the head, found as the sealed ones
   * are: a table of the head's newest offset per fingerprint says where to
   * look, or that no item of the head can hold the key (most lookups). Its
   * Map of every head key cost a lookup a miss of the CPU cache or two.
   */
  private newestInHead(k: Buffer | null, hash: KeyHash): Message | null {
    const si = this.log.segments.length - 1;
    const seg = this.log.segments[si]!;
    const index = seg.verifiedIndex();
    const newest = this.headKeys(index).get(hash.lo);
    if (newest < 0) return null;
    const i = index.findExact(newest);
    if (i >= 0 && index.hashHi![i] === hash.hi) {
      const m = seg.readOne(i, this.cache, newest);
      if (sameKey(m.key, k)) return m;
    }
    // A newer message of another key shares the fingerprint: the per-segment search decides.
    return this.newestWithKey(si, k, hash);
  }

  /** The head's key table, for the index it was built over (a new head or a rewritten one starts another), up to date. */
  private headKeys(index: SegmentIndex): KeyTable {
    let head = this.headTable;
    if (head?.index !== index) head = this.headTable = { index, table: new KeyTable(), count: 0 };
    if (head.count < index.count) {
      head.table.addItems(index, head.count, index.count);
      head.count = index.count;
    }
    return head.table;
  }

  /** The key table over sealed segments, built on first use. */
  private sealedKeys(): KeyTable {
    if (!this.keyTable) {
      const table = new KeyTable();
      for (let si = 0; si < this.log.segments.length - 1; si++) table.addSegment(this.log.segments[si]!.getIndex());
      this.keyTable = table;
    }
    return this.keyTable;
  }

  /** Called when a segment stops taking appends: its keys join the key table. */
  noteSealed(reader: SegmentReader): void {
    if (this.keyTable && this.log.opts.params.keys) this.keyTable.addSegment(reader.getIndex());
  }

  getByTime(start: Date): Message {
    const ts = start.getTime() * 1000;
    const segs = this.log.segments;
    // klevdb asks the segments newest first (and an empty head fails the call there; we skip it, see nonEmpty).
    // The answer lies in the newest one whose first time is <= ts.
    const newest = this.nonEmpty(segs.length - 1, -1);
    if (newest < 0) throw invalidOffset(`invalid offset: the log is empty, no message has a time`);
    const last = segs[newest]!;
    const i = last.verifiedIndex().findTime(ts);
    if (i >= 0) return this.verifiedFrom(newest, last.readOne(i, this.cache));
    if (i === AFTER_END) {
      this.verifiedFrom(newest, null);
      throw notFound(`not found: no message at or after ${start.toISOString()}`);
    }
    // Empty segments have no first time (Infinity), so the search never ends in one.
    const si = this.newestSealedStartingBy(ts);
    // The search read first times from the index files of segments si..head: check them before the answer counts.
    this.verifiedFrom(Math.max(si, 0), null);
    if (si < 0) return segs[this.nonEmpty(0, 1)]!.readOne(0, this.cache);
    const seg = segs[si]!;
    const k = seg.getIndex().findTime(ts);
    // Every time in segment si is before ts: the answer is the first message after it (newest is one such segment).
    return k >= 0 ? seg.readOne(k, this.cache) : segs[this.nonEmpty(si + 1, 1)]!.readOne(0, this.cache);
  }

  /**
   * The newest sealed segment whose first index time is <= ts, or -1. Index
   * times need not grow from one segment to the next (a rebuilt index starts
   * its chain again), so the search runs over suffix minimums of the first
   * times, which do grow: one binary search instead of a walk of every segment.
   */
  private newestSealedStartingBy(ts: number): number {
    if (!this.timeSearch || this.timeSearch.layout !== this.layout) {
      const n = this.log.segments.length - 1;
      const suffixMin = new Float64Array(n);
      let min = Infinity;
      for (let j = n - 1; j >= 0; j--) {
        min = Math.min(min, this.log.segments[j]!.firstIndexTime());
        suffixMin[j] = min;
      }
      this.timeSearch = { layout: this.layout, suffixMin };
    }
    const m = this.timeSearch.suffixMin;
    let lo = 0;
    let hi = m.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (m[mid]! <= ts) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** The segment list changed (rollover, rewrite, a follower's rescan): drop what was derived from it. */
  segmentsChanged(): void {
    this.layout++;
  }
}

function floorSegment(segs: readonly SegmentReader[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (segs[mid]!.offset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Candidates read per readItems call by consumeByKey. */
const KEY_READ_BATCH = 1024;

/** The first j with offsetOf(items[j]) >= offset; items ascend by offset. */
function firstAtOrAfter(items: readonly number[], offsetOf: (i: number) => number, offset: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (offsetOf(items[mid]!) < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One hash object for every lookup (each uses its hash before it returns): no object per call. */
const lookupHash: KeyHash = { hi: 0, lo: 0 };
const keyHashOf = (k: Buffer | null): KeyHash => keyHashInto(k, lookupHash);

function sameKey(a: Buffer | null, b: Buffer | null): boolean {
  if (!a || a.length === 0) return !b || b.length === 0;
  if (!b || a.length !== b.length) return false;
  // A short key compares faster in a loop than through equals' native call.
  if (a.length > 64) return a.equals(b);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describeKey(k: Buffer | null): string {
  if (!k) return '(empty)';
  const text = k.toString('utf8');
  return /^[\x20-\x7e]*$/.test(text) && text.length <= 64
    ? JSON.stringify(text)
    : `0x${k.subarray(0, 32).toString('hex')}${k.length > 32 ? '…' : ''}`;
}
