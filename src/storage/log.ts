/** The log: open() and the Log implementation over segments (Go: log.go). */
import fs from 'node:fs';
import { LogError, invalidArgument, invalidOffset, notFound } from './errors.js';
import { indexItemSize } from './format/index-format.js';
import { type KeyHash, keyHash } from './format/key-hash.js';
import { KeyTable } from './key-table.js';
import { recordOverhead } from './format/message-format.js';
import { copySegmentsTo, snapshotSegments } from './backup.js';
import { deleteFromLog } from './log-delete.js';
import { type ResolvedOptions, resolveOptions } from './log-options.js';
import { DirectoryLock } from './lock.js';
import { Follower } from './follow.js';
import { checkSegment, recoverSegment } from './segment/segment-check.js';
import { fsError, findSegments, segmentFiles, fileSize } from './segment/segment-files.js';
import { AFTER_END, BEFORE_START, INDEX_EMPTY } from './segment/segment-index.js';
import { SegmentReader } from './segment/segment-reader.js';
import { type PreparedMessage, SegmentWriter } from './segment/segment-writer.js';
import { settleInterruptedRewrites, supersededByInterruptedRewrite } from './segment/rewrite.js';
import { migrateSegment } from './segment/segment-migrate.js';
import { indexStats } from './stats.js';
import type { ConsumeResult, DeleteResult, Log, Message, Options, PublishMessage, Stats } from './types.js';
import { OffsetNewest, OffsetOldest } from './types.js';
import { checkBodySize, checkCount, checkInteger, checkDate, checkKey, checkNonNegative, checkOffset, checkString, checkTimeMicros, describeValue, toBytes } from './validate.js';

/** Opens or creates the log in `dir` (Go: klevdb.Open). */
export async function open(dir: string, opts?: Options): Promise<Log> {
  checkString('dir', dir);
  const o = resolveOptions(opts);
  prepareDirectory(dir, o.createDirs);
  const lock = o.followWriter ? null : DirectoryLock.acquire(dir, !o.readonly);
  try {
    return new KlevLog(dir, o, lock);
  } catch (err) {
    lock?.release();
    throw err;
  }
}

function prepareDirectory(dir: string, create: boolean): void {
  if (create) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw invalidArgument(`dir ${dir} cannot be created: ${(err as Error).message}`);
    }
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw invalidArgument(`dir ${dir} does not exist; create it or pass createDirs: true`);
  }
  if (!st.isDirectory()) throw invalidArgument(`dir ${dir} is not a directory`);
}

/** Microseconds since the epoch, from the high-resolution clock. */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export class KlevLog implements Log {
  /** Oldest first; the last one is the head. */
  segments: SegmentReader[] = [];
  writer: SegmentWriter | null = null;
  private closing: Promise<void> | null = null;
  private keyTable: KeyTable | null = null;
  private layout = 0;
  private timeSearch: { layout: number; suffixMin: Float64Array } | null = null;
  private readonly follower: Follower | null;
  /** Writer handles retired by rollover or rewrite, closed once their syncs finish. */
  readonly background = new Set<Promise<unknown>>();

  constructor(
    readonly dir: string,
    readonly opts: ResolvedOptions,
    private readonly lock: DirectoryLock | null,
  ) {
    const load = { rebuildVersion: opts.newSegmentsVersion, persistRebuilt: !opts.followWriter };
    if (!opts.readonly) settleInterruptedRewrites(dir);
    let found = findSegments(dir);
    if (opts.readonly) {
      const hidden = supersededByInterruptedRewrite(dir);
      if (hidden !== null) found = found.filter((s) => s.offset !== hidden);
    }
    const head = found[found.length - 1];
    if (head && !opts.followWriter) {
      if (opts.recover && !opts.readonly) recoverSegment(head, opts.params);
      else if (opts.check || opts.recover) checkSegment(head, opts.params);
    }
    if (head && !opts.readonly && opts.eagerVersionMigrate) {
      found.forEach((seg, i) => {
        migrateSegment(seg, opts.newSegmentsVersion, opts.params);
        opts.onProgress?.({ operation: 'migrate', done: i + 1, total: found.length, unit: 'segments' });
      });
    }
    if (found.length === 0) found = [segmentFiles(dir, 0)];
    this.segments = found.map((seg, i) => new SegmentReader(seg, opts.params, i === found.length - 1, load));
    if (!opts.readonly) {
      const headReader = this.segments[this.segments.length - 1]!;
      this.writer = SegmentWriter.open(headReader.files, opts.params, opts.newSegmentsVersion, 0, headReader);
    } else if (found.length === 1 && fileSize(found[0]!.logPath) < 0) {
      // An empty readonly log has no files yet: its head is empty until a writer creates them.
      this.segments[0]!.adoptEmpty();
    }
    this.follower = opts.followWriter ? new Follower(this) : null;
  }

  // --- lifecycle -----------------------------------------------------------

  private ensureOpen(): void {
    if (this.closing) throw new LogError('ERR_CLOSED', `log ${this.dir} is closed`);
    this.follower?.refresh();
  }

  private ensureWritable(): SegmentWriter {
    this.ensureOpen();
    if (!this.writer) throw new LogError('ERR_READONLY', `log ${this.dir} is open readonly; open it without readonly to publish or delete`);
    return this.writer;
  }

  get head(): SegmentReader {
    return this.segments[this.segments.length - 1]!;
  }

  retire(writer: SegmentWriter): void {
    const p = writer.close().finally(() => this.background.delete(p));
    this.background.add(p);
  }

  close(): Promise<void> {
    if (!this.closing) this.closing = this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    try {
      if (this.writer) {
        this.writer.syncNow();
        await this.writer.close();
      }
      await Promise.all([...this.background]);
      for (const seg of this.segments) seg.close();
      this.follower?.close();
    } finally {
      this.lock?.release();
    }
  }

  // --- writing ---------------------------------------------------------------

  async publish(messages: PublishMessage[]): Promise<number> {
    const writer0 = this.ensureWritable();
    const prepared = prepareMessages(messages);
    let writer = writer0;
    if (prepared.length > 0 && writer.logSize > this.opts.rollover) writer = this.rollover(writer);
    const next = prepared.length > 0 ? writer.append(prepared) : writer.nextOffset;
    if (this.opts.autoSync && prepared.length > 0) await writer.durable();
    return next;
  }

  /** Seals the head and starts a new one at the next offset (Go: Publish's rollover). */
  private rollover(old: SegmentWriter): SegmentWriter {
    old.seal();
    const files = segmentFiles(this.dir, old.nextOffset);
    const reader = new SegmentReader(files, this.opts.params, true, { rebuildVersion: this.opts.newSegmentsVersion, persistRebuilt: true });
    const next = SegmentWriter.open(files, this.opts.params, this.opts.newSegmentsVersion, old.index.lastTimestamp, reader);
    this.noteSealed(old.reader);
    this.segments.push(reader);
    this.segmentsChanged();
    this.writer = next;
    this.retire(old);
    return next;
  }

  async nextOffset(): Promise<number> {
    this.ensureOpen();
    return this.writer ? this.writer.nextOffset : this.head.getIndex().nextOffset;
  }

  async sync(): Promise<number> {
    this.ensureOpen();
    if (!this.writer) return this.head.getIndex().nextOffset;
    const next = this.writer.nextOffset;
    await this.writer.durable();
    return next;
  }

  async delete(offsets: Iterable<number>): Promise<DeleteResult> {
    this.ensureWritable();
    return deleteFromLog(this, collectOffsets(offsets));
  }

  // --- reading ---------------------------------------------------------------

  /** Segment a consume at `offset` starts in (Go: segment.Consume). */
  private consumeSegment(offset: number): number {
    const segs = this.segments;
    if (offset === OffsetNewest) return segs.length - 1;
    if (offset === OffsetOldest || offset <= segs[0]!.offset) return 0;
    if (segs[segs.length - 1]!.offset <= offset) return segs.length - 1;
    return floorSegment(segs, offset);
  }

  /** Segment that holds `offset` (Go: segment.Get). */
  private getSegment(offset: number): number {
    const segs = this.segments;
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

  async consume(offset: number, maxCount: number): Promise<ConsumeResult> {
    checkOffset('offset', offset);
    checkCount('maxCount', maxCount);
    this.ensureOpen();
    let si = this.consumeSegment(offset);
    let r = this.consumeIn(si, offset, maxCount);
    if (r === AFTER_END && si < this.segments.length - 1) r = this.consumeIn(++si, OffsetOldest, maxCount);
    if (r === AFTER_END) throw invalidOffset(`invalid offset: ${offset} is after the end of the log (next offset ${this.head.getIndex().nextOffset})`);
    return r;
  }

  private consumeIn(si: number, offset: number, maxCount: number): ConsumeResult | typeof AFTER_END {
    const seg = this.segments[si]!;
    const index = seg.getIndex();
    if (offset === OffsetNewest) return { nextOffset: index.nextOffset, messages: [] };
    const i = index.findConsume(offset);
    if (i === INDEX_EMPTY || i === AFTER_END) {
      if (seg.head && offset <= index.nextOffset) return { nextOffset: index.nextOffset, messages: [] };
      if (i === INDEX_EMPTY) throw invalidOffset(`invalid offset: ${offset}: segment ${seg.offset} has no messages`);
      return AFTER_END;
    }
    const messages = seg.readRange(i, Math.min(i + maxCount, index.count));
    return { nextOffset: messages[messages.length - 1]!.offset + 1, messages };
  }

  async consumeByKey(key: Uint8Array | string, offset: number, maxCount: number): Promise<ConsumeResult> {
    const k = checkKey('key', key);
    checkOffset('offset', offset);
    checkCount('maxCount', maxCount);
    this.ensureOpen();
    this.requireKeys();
    const hash = keyHashOf(k);
    let si = this.consumeSegment(offset);
    for (;;) {
      const seg = this.segments[si]!;
      const index = seg.getIndex();
      if (offset === OffsetNewest) return { nextOffset: index.nextOffset, messages: [] };
      const messages: Message[] = [];
      for (const i of index.keyMatches(hash.hi, hash.lo)) {
        if (index.offsetAt(i) < offset) continue;
        const m = seg.readOne(i);
        if (sameKey(m.key, k)) {
          messages.push(m);
          if (messages.length >= maxCount) break;
        }
      }
      if (messages.length > 0) return { nextOffset: messages[messages.length - 1]!.offset + 1, messages };
      if (si >= this.segments.length - 1) return { nextOffset: index.nextOffset, messages: [] };
      si++;
      offset = OffsetOldest;
    }
  }

  async get(offset: number): Promise<Message> {
    // Like klevdb, any other negative offset is an invalid offset rather than bad input.
    checkInteger('offset', offset);
    this.ensureOpen();
    const si = this.getSegment(offset);
    const seg = this.segments[si]!;
    const i = seg.getIndex().findExact(offset);
    if (i >= 0) return seg.readOne(i);
    if (i === INDEX_EMPTY) throw invalidOffset(`invalid offset: the log is empty`);
    if (i === AFTER_END) {
      if (si < this.segments.length - 1) throw notFound(`not found: offset ${offset} was deleted`);
      throw invalidOffset(`invalid offset: ${offset} is after the end of the log (next offset ${seg.getIndex().nextOffset})`);
    }
    if (i === BEFORE_START) throw notFound(`not found: offset ${offset} was deleted`);
    throw notFound(`not found: offset ${offset} was deleted`);
  }

  async getByKey(key: Uint8Array | string): Promise<Message> {
    const k = checkKey('key', key);
    this.ensureOpen();
    this.requireKeys();
    const hash = keyHashOf(k);
    const segs = this.segments;
    const head = segs.length - 1;
    const found = this.newestWithKey(head, k, hash);
    if (found) return found;
    if (head > 0) {
      // The table names the newest sealed offset with this hash; klevdb's search from there down is the fallback.
      const newest = this.sealedKeys().get(hash.lo);
      if (newest >= 0 && newest >= segs[0]!.offset) {
        const si = Math.min(floorSegment(segs, newest), head - 1);
        const seg = segs[si]!;
        const i = seg.getIndex().findExact(newest);
        if (i >= 0) {
          const m = seg.readOne(i);
          if (sameKey(m.key, k)) return m;
        }
        for (let sj = si; sj >= 0; sj--) {
          const m = this.newestWithKey(sj, k, hash);
          if (m) return m;
        }
      }
    }
    throw notFound(`not found: no message with key ${describeKey(k)}`);
  }

  /** The newest message with key `k` in segment `si` (klevdb's per-segment search). */
  private newestWithKey(si: number, k: Buffer | null, hash: KeyHash): Message | null {
    const seg = this.segments[si]!;
    const matches = seg.getIndex().keyMatches(hash.hi, hash.lo);
    for (let j = matches.length - 1; j >= 0; j--) {
      const m = seg.readOne(matches[j]!);
      if (sameKey(m.key, k)) return m;
    }
    return null;
  }

  /** The key table over sealed segments, built on first use. */
  private sealedKeys(): KeyTable {
    if (!this.keyTable) {
      const table = new KeyTable();
      for (let si = 0; si < this.segments.length - 1; si++) table.addSegment(this.segments[si]!.getIndex());
      this.keyTable = table;
    }
    return this.keyTable;
  }

  /** Called when a segment stops taking appends: its keys join the key table. */
  noteSealed(reader: SegmentReader): void {
    if (this.keyTable && this.opts.params.keys) this.keyTable.addSegment(reader.getIndex());
  }

  async offsetByKey(key: Uint8Array | string): Promise<number> {
    return (await this.getByKey(key)).offset;
  }

  async getByTime(start: Date): Promise<Message> {
    checkDate('start', start);
    this.ensureOpen();
    if (!this.opts.params.times) throw new LogError('ERR_NO_INDEX', 'no index by time: open the log with timeIndex: true');
    const ts = start.getTime() * 1000;
    const segs = this.segments;
    // klevdb asks the segments newest first; the answer lies in the newest one whose first time is <= ts.
    const head = segs[segs.length - 1]!;
    const i = head.getIndex().findTime(ts);
    if (i >= 0) return head.readOne(i);
    if (i === INDEX_EMPTY) throw invalidOffset(`invalid offset: no time items in segment ${head.offset}`);
    if (i === AFTER_END) throw notFound(`not found: no message at or after ${start.toISOString()}`);
    const si = this.newestSealedStartingBy(ts);
    if (si < 0) return segs[0]!.readOne(0);
    const seg = segs[si]!;
    const k = seg.getIndex().findTime(ts);
    return k >= 0 ? seg.readOne(k) : segs[si + 1]!.readOne(0);
  }

  /**
   * The newest sealed segment whose first index time is <= ts, or -1. Index
   * times need not grow from one segment to the next (a rebuilt index starts
   * its chain again), so the search runs over suffix minimums of the first
   * times, which do grow: one binary search instead of a walk of every segment.
   */
  private newestSealedStartingBy(ts: number): number {
    if (!this.timeSearch || this.timeSearch.layout !== this.layout) {
      const n = this.segments.length - 1;
      const suffixMin = new Float64Array(n);
      let min = Infinity;
      for (let j = n - 1; j >= 0; j--) {
        min = Math.min(min, this.segments[j]!.firstIndexTime());
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

  async offsetByTime(start: Date): Promise<{ offset: number; time: Date }> {
    const m = await this.getByTime(start);
    return { offset: m.offset, time: m.time };
  }

  private requireKeys(): void {
    if (!this.opts.params.keys) throw new LogError('ERR_NO_INDEX', 'no index by key: open the log with keyIndex: true');
  }

  // --- information -----------------------------------------------------------

  size(m: Message): number {
    if (typeof m !== 'object' || m === null) throw invalidArgument(`m must be a Message, got ${describeValue(m)}`);
    const key = toBytes('m.key', m.key);
    const value = toBytes('m.value', m.value);
    return recordOverhead(this.opts.newSegmentsVersion) + (key?.length ?? 0) + (value?.length ?? 0) + indexItemSize(this.opts.params);
  }

  async stat(): Promise<Stats> {
    this.ensureOpen();
    const stats: Stats = { segments: 0, messages: 0, size: 0 };
    for (const seg of this.segments) {
      const logSize = fileSize(seg.files.logPath);
      if (logSize < 0 && this.opts.readonly && this.segments.length === 1) return stats;
      if (logSize < 0) throw fsError(Object.assign(new Error('no such file'), { code: 'ENOENT' }), `stat ${seg.files.logPath}`);
      const ix = indexStats(seg.files, this.opts.params);
      stats.segments++;
      stats.messages += ix.messages;
      stats.size += logSize + ix.size;
    }
    return stats;
  }

  async backup(dir: string): Promise<void> {
    checkString('dir', dir);
    this.ensureOpen();
    const snapshot = snapshotSegments(this);
    await copySegmentsTo(snapshot, dir);
  }

  async gc(unusedForMs: number): Promise<void> {
    checkNonNegative('unusedForMs', unusedForMs, false);
    this.ensureOpen();
    const now = Date.now();
    for (const seg of this.segments) seg.gc(now, unusedForMs);
  }
}

function floorSegment(segs: SegmentReader[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (segs[mid]!.offset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function prepareMessages(messages: unknown): PreparedMessage[] {
  if (!Array.isArray(messages)) throw invalidArgument(`messages must be an array of messages, got ${describeValue(messages)}`);
  let now = -1;
  const out: PreparedMessage[] = new Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as PublishMessage;
    const name = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw invalidArgument(`${name} must be a message object, got ${describeValue(m)}`);
    const key = toBytes(`${name}.key`, m.key);
    const value = toBytes(`${name}.value`, m.value);
    checkBodySize(name, key, value);
    let timeMicros: number;
    if (m.timeMicros !== undefined) timeMicros = checkTimeMicros(`${name}.timeMicros`, m.timeMicros);
    else if (m.time !== undefined) timeMicros = checkTimeMicros(`${name}.time`, checkDate(`${name}.time`, m.time).getTime() * 1000);
    else {
      if (now < 0) now = nowMicros();
      timeMicros = now;
    }
    out[i] = { key, value, timeMicros };
  }
  return out;
}

function collectOffsets(offsets: unknown): Set<number> {
  if (offsets === null || typeof offsets !== 'object' || typeof (offsets as Iterable<number>)[Symbol.iterator] !== 'function') {
    throw invalidArgument(`offsets must be an iterable of offsets (a Set or an array), got ${describeValue(offsets)}`);
  }
  const out = new Set<number>();
  for (const o of offsets as Iterable<unknown>) out.add(checkOffset('offsets[]', o));
  return out;
}

const keyHashOf = (k: Buffer | null) => keyHash(k);

function sameKey(a: Buffer | null, b: Buffer | null): boolean {
  if (!a || a.length === 0) return !b || b.length === 0;
  return !!b && a.equals(b);
}

function describeKey(k: Buffer | null): string {
  if (!k) return '(empty)';
  const text = k.toString('utf8');
  return /^[\x20-\x7e]*$/.test(text) && text.length <= 64 ? JSON.stringify(text) : `0x${k.subarray(0, 32).toString('hex')}${k.length > 32 ? '…' : ''}`;
}
