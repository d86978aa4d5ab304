/** The log: open() and the Log implementation over segments (Go: log.go). */
import fs from 'node:fs';
import { corrupted, invalidArgument } from './errors.js';
import { indexItemSize } from './format/index-format.js';
import { recordOverhead } from './format/message-format.js';
import { copySegmentsTo, snapshotSegments } from './backup.js';
import { type Removed, deleteFromLog, removeScannedSegments } from './log-delete.js';
import type { OffsetBitmap } from './remaining-offsets.js';
import type { ScanMemo } from './scan-memo.js';
import { LogReader } from './log-reader.js';
import {
  checkBackupArg,
  checkConsumeArgs,
  checkConsumeByKeyArgs,
  checkDeleteArgs,
  checkGcArg,
  checkGetArgs,
  checkLookupKeyArg,
  checkSizeArg,
  checkStartArg,
  closedLog,
  noIndex,
  readonlyLog,
} from './log-contract.js';
import { prepareMessages } from './publish-input.js';
import { type ResolvedOptions, resolveOptions } from './log-options.js';
import { DirectoryLock } from './lock.js';
import { FOLLOW_RETRIES, Follower, followFailure, pauseSync } from './follow.js';
import { checkSegment, recoverSegment } from './segment/segment-check.js';
import { findSegments, segmentFiles, fileSize } from './segment/segment-files.js';
import { SegmentReader } from './segment/segment-reader.js';
import { ReadCache } from './segment/read-cache.js';
import { SegmentWriter } from './segment/segment-writer.js';
import { settleInterruptedRewrites, supersededByInterruptedRewrite } from './segment/rewrite.js';
import { migrateSegment } from './segment/segment-migrate.js';
import { SegmentState } from './segment-state.js';
import { rollover, writeBackAt } from './rollover.js';
import { type RecordVisitor, type SegmentScan, scanSegmentFrom } from './record-scan.js';
import { indexStats } from './stats.js';
import type { ConsumeResult, DeleteResult, Log, Message, Options, PublishMessage, Stats } from './types.js';
import { checkString } from './validate.js';

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

export class KlevLog implements Log {
  /** The segments, the head's writer and the retired writers: delete, follow and backup get views of it. */
  private readonly state: SegmentState;
  private closing: Promise<void> | null = null;
  private readonly reads: LogReader;
  private readonly cache: ReadCache | null;
  private readonly follower: Follower | null;

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
    const segments = found.map((seg, i) => new SegmentReader(seg, opts.params, i === found.length - 1, load));
    let writer: SegmentWriter | null = null;
    if (!opts.readonly) {
      const headReader = segments[segments.length - 1]!;
      writer = SegmentWriter.open(headReader.files, opts.params, opts.newSegmentsVersion, 0, headReader, {
        writeBackAt: writeBackAt(opts),
      });
    } else if (found.length === 1 && fileSize(found[0]!.logPath) < 0) {
      // An empty readonly log has no files yet: its head is empty until a writer creates them.
      segments[0]!.adoptEmpty();
    }
    this.state = new SegmentState(dir, opts, segments, writer);
    this.cache = opts.readCacheSize > 0 ? new ReadCache(opts.readCacheSize) : null;
    this.reads = new LogReader(this.state, this.cache);
    this.state.observe(this.reads);
    this.follower = opts.followWriter ? new Follower(this.state) : null;
  }

  // --- lifecycle -----------------------------------------------------------

  private ensureOpen(): void {
    if (this.closing) throw closedLog(`log ${this.dir}`);
    if (this.follower) this.followed(() => this.follower!.refresh());
  }

  /**
   * Runs a read; a follower that meets a file the writer just removed or
   * renamed, or an index that no longer matches its log mid-rewrite, looks at
   * the directory afresh and reads again, a few times (a rewrite is a few
   * renames), pausing a little longer each time. A failure that outlasts
   * them is real.
   */
  private followed<T>(read: () => T): T {
    if (!this.follower) return read();
    for (let attempt = 0; ; attempt++) {
      try {
        // The reload is inside the try: it meets the same vanishing files.
        if (attempt > 0) {
          pauseSync(attempt - 1);
          this.follower.reload();
        }
        return read();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException)?.code;
        if ((code !== 'ENOENT' && code !== 'ERR_CORRUPTED') || attempt >= FOLLOW_RETRIES)
          throw followFailure(err, this.dir);
      }
    }
  }

  private ensureWritable(): SegmentWriter {
    this.ensureOpen();
    if (!this.state.writer) throw readonlyLog(`log ${this.dir}`);
    return this.state.writer;
  }

  close(): Promise<void> {
    if (!this.closing) this.closing = this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    // Everything is closed even when a sync failed; the first failure is close()'s answer.
    const failures: Error[] = [];
    const keep = (err: unknown) => void failures.push(err as Error);
    try {
      const writer = this.state.writer;
      if (writer) {
        try {
          writer.syncNow();
        } catch (err) {
          keep(err);
        }
        await writer.close().catch(keep);
      }
      await this.state.settle().catch(keep);
      for (const seg of this.state.segments) seg.close();
      this.cache?.clear();
      this.follower?.close();
    } finally {
      this.lock?.release();
    }
    if (failures.length > 0) throw failures[0];
  }

  // --- writing ---------------------------------------------------------------

  async publish(messages: PublishMessage[]): Promise<number> {
    let writer = this.ensureWritable();
    this.state.checkRetired();
    const prepared = prepareMessages(messages);
    // An empty head never rolls over (with a rollover below the 8-byte header it would name a second segment at the same offset).
    if (prepared.length > 0 && writer.logSize > this.opts.rollover && writer.index.count > 0)
      writer = rollover(this.state, writer);
    const next = prepared.length > 0 ? writer.append(prepared) : writer.nextOffset;
    if (this.opts.autoSync && prepared.length > 0) await writer.durable();
    return next;
  }

  async nextOffset(): Promise<number> {
    this.ensureOpen();
    const writer = this.state.writer;
    return writer ? writer.nextOffset : this.followed(() => this.state.head.getIndex().nextOffset);
  }

  async sync(): Promise<number> {
    this.ensureOpen();
    const writer = this.state.writer;
    if (!writer) return this.state.head.getIndex().nextOffset;
    const next = writer.nextOffset;
    // A sealed segment's last early write-back may still be running: its failure is this sync's too.
    await Promise.all([writer.durable(), this.state.settle()]);
    return next;
  }

  async delete(offsets: Iterable<number>): Promise<DeleteResult> {
    this.ensureWritable();
    const { offsets: set, lowest } = checkDeleteArgs(offsets);
    const { deleted, deletedSize } = deleteFromLog(this.state, set, lowest);
    return { deleted, deletedSize };
  }

  /**
   * As delete, answering with the deleted offsets only: the *MultiOffsets
   * helpers use it where a log offers it, so a compaction of millions of
   * messages never copies them out.
   */
  async deleteReturningOffsets(offsets: Iterable<number>): Promise<{ deleted: number[]; deletedSize: number }> {
    this.ensureWritable();
    const { offsets: set, lowest } = checkDeleteArgs(offsets);
    const { deletedOffsets, deletedSize } = deleteFromLog(this.state, set, lowest, false);
    return { deleted: deletedOffsets, deletedSize };
  }

  /**
   * The multi helpers' delete (delete-multi.ts) with the memo of the scan
   * that found `offsets`: whole sealed segments that lose every record go by
   * name, several in one call (removeScannedSegments); otherwise as delete.
   */
  async deleteScanned(offsets: OffsetBitmap, memo: ScanMemo): Promise<Removed> {
    this.ensureWritable();
    const { offsets: set, lowest } = checkDeleteArgs(offsets);
    const removed = set.size > 0 ? removeScannedSegments(this.state, offsets, lowest, memo) : null;
    return removed ?? deleteFromLog(this.state, set, lowest, memo.keepRecords);
  }

  // --- reading ---------------------------------------------------------------

  /**
   * For the retention helpers (record-scan.ts): one segment's records from
   * `from` on, as views. Null on a follower, whose files a writer changes
   * under it: the helpers consume() there.
   */
  async scanSegmentFrom(from: number, visit: RecordVisitor, memo?: ScanMemo): Promise<SegmentScan | null> {
    this.ensureOpen();
    if (this.follower) return null;
    return scanSegmentFrom(this.state, from, visit, memo);
  }

  async consume(offset: number, maxCount: number): Promise<ConsumeResult> {
    checkConsumeArgs(offset, maxCount);
    this.ensureOpen();
    return this.followed(() => this.reads.consume(offset, maxCount));
  }

  async consumeByKey(key: Uint8Array | string, offset: number, maxCount: number): Promise<ConsumeResult> {
    const k = checkConsumeByKeyArgs(key, offset, maxCount);
    this.ensureOpen();
    this.requireKeys();
    return this.followed(() => this.reads.consumeByKey(k, offset, maxCount));
  }

  async get(offset: number): Promise<Message> {
    checkGetArgs(offset);
    this.ensureOpen();
    // No closure for a log that follows no writer: a lookup served from memory costs little else.
    return this.follower ? this.followed(() => this.reads.get(offset)) : this.reads.get(offset);
  }

  async getByKey(key: Uint8Array | string): Promise<Message> {
    const k = checkLookupKeyArg(key);
    this.ensureOpen();
    this.requireKeys();
    return this.follower ? this.followed(() => this.reads.getByKey(k)) : this.reads.getByKey(k);
  }

  async offsetByKey(key: Uint8Array | string): Promise<number> {
    return (await this.getByKey(key)).offset;
  }

  async getByTime(start: Date): Promise<Message> {
    checkStartArg(start);
    this.ensureOpen();
    if (!this.opts.params.times) throw noIndex('time');
    return this.followed(() => this.reads.getByTime(start));
  }

  async offsetByTime(start: Date): Promise<{ offset: number; time: Date }> {
    const m = await this.getByTime(start);
    return { offset: m.offset, time: m.time };
  }

  private requireKeys(): void {
    if (!this.opts.params.keys) throw noIndex('key');
  }

  // --- information -----------------------------------------------------------

  size(m: Message): number {
    const { key, value } = checkSizeArg(m);
    return (
      recordOverhead(this.opts.newSegmentsVersion) +
      (key?.length ?? 0) +
      (value?.length ?? 0) +
      indexItemSize(this.opts.params)
    );
  }

  async stat(): Promise<Stats> {
    this.ensureOpen();
    const stats: Stats = { segments: 0, messages: 0, size: 0 };
    const segments = this.state.segments;
    for (const seg of segments) {
      const logSize = fileSize(seg.files.logPath);
      if (logSize < 0 && this.opts.readonly && segments.length === 1) return this.withCacheStats(stats);
      if (logSize < 0)
        throw corrupted(
          `log corrupted: segment file ${seg.files.logPath} is gone; was the directory changed under an open log?`,
        );
      let ix = indexStats(seg.files, this.opts.params);
      // A missing index is rebuilt on first read (klevdb's Stat would fail on it): count what the rebuild finds.
      if (ix.size <= 0 && logSize > 0)
        ix = { messages: seg.getIndex().count, size: Math.max(fileSize(seg.files.indexPath), 0) };
      stats.segments++;
      stats.messages += ix.messages;
      stats.size += logSize + ix.size;
    }
    return this.withCacheStats(stats);
  }

  private withCacheStats(stats: Stats): Stats {
    if (this.cache) Object.defineProperty(stats, 'readCache', { value: this.cache.stats(), enumerable: false });
    return stats;
  }

  async backup(dir: string): Promise<void> {
    checkBackupArg(dir);
    this.ensureOpen();
    const snapshot = snapshotSegments(this.state);
    await copySegmentsTo(snapshot, dir);
  }

  async gc(unusedForMs: number): Promise<void> {
    checkGcArg(unusedForMs);
    this.ensureOpen();
    const now = Date.now();
    for (const seg of this.state.segments) seg.gc(now, unusedForMs);
    this.cache?.keepOnly(new Set(this.state.segments.map((seg) => seg.handle)));
  }
}
