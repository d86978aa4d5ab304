/**
 * Committed positions kept in a klevdb log (Kafka's __consumer_offsets,
 * embedded): key = subscription name, value = JSON { nextOffset }; the
 * record's own time is when it was committed.
 * A commit is one publish, loading is one getByKey, and compaction leaves
 * only the newest record of each name.
 */
import path from 'node:path';
import { compactUpdatesMulti, isLogError, LogError, open, type Log } from '../storage/index.js';

/** The value stored per commit (its message's time is the commit's time). */
export interface CommitRecord {
  /** The committed position: the next offset to read; everything below it was handled. */
  nextOffset: number;
}

/** Compaction skips the head segment: at ~80 bytes a commit, this keeps at most ~13,000 stale ones. */
const OFFSETS_ROLLOVER = 1024 * 1024;
/** Records (~80 bytes each) an owned offsets log may hold before an open or close compacts it. */
const COMPACT_ABOVE = 20_000;

export class OffsetsLog {
  private constructor(
    readonly log: Log,
    /** Opened here, so compacted and closed here; a Log handed in is the caller's. */
    private readonly owned: boolean,
  ) {}

  /** The log in `<dir>/<name>/` (one per name, so processes consuming different names never share a writer). */
  static async openDir(dir: string, name: string): Promise<OffsetsLog> {
    // recover checks only the head (cheap) and cuts a commit torn by a crash: a process killed between a
    // record's write and its index item's would otherwise leave an offsets log a writer refuses to open.
    const log = await open(path.join(dir, name), {
      createDirs: true,
      keyIndex: true,
      rollover: OFFSETS_ROLLOVER,
      recover: true,
    });
    const offsets = new OffsetsLog(log, true);
    try {
      await offsets.compactIfLarge();
    } catch (err) {
      await log.close();
      throw err;
    }
    return offsets;
  }

  static of(log: Log): OffsetsLog {
    return new OffsetsLog(log, false);
  }

  /** The committed position of `name`, or undefined when it never committed. */
  async load(name: string): Promise<number | undefined> {
    let value: Buffer | null;
    try {
      value = (await this.log.getByKey(name)).value;
    } catch (err) {
      if (isLogError(err, 'ERR_NOT_FOUND')) return undefined;
      if (isLogError(err, 'ERR_NO_INDEX'))
        throw new LogError(
          'ERR_NO_INDEX',
          `klevdb/streams: option "offsets": the offsets log needs a key index; open it with keyIndex: true`,
          { cause: err },
        );
      throw err;
    }
    if (value === null) return undefined;
    let record: Partial<CommitRecord>;
    try {
      record = JSON.parse(value.toString('utf8')) as Partial<CommitRecord>;
    } catch (err) {
      throw new LogError(
        'ERR_CORRUPTED',
        `klevdb/streams: the committed position of subscription "${name}" is not JSON; open with reset: true to start over`,
        { cause: err },
      );
    }
    const next = record?.nextOffset;
    if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 0) {
      throw new LogError(
        'ERR_CORRUPTED',
        `klevdb/streams: the committed position of subscription "${name}" has no valid nextOffset; open with reset: true to start over`,
      );
    }
    return next;
  }

  /** One publish per commit: the benchmark's hot path, so the JSON is written by hand. */
  commit(key: Buffer, nextOffset: number): Promise<number> {
    return this.log.publish([{ key, value: `{"nextOffset":${nextOffset}}` }]);
  }

  /** Only the newest record of each name stays (1 ms ahead: stored times have microseconds). */
  async compact(): Promise<void> {
    if (this.owned) await compactUpdatesMulti(this.log, new Date(Date.now() + 1));
  }

  /**
   * Compaction when opened and closed, only past COMPACT_ABOVE records: a
   * compaction rewrites segments and syncs them, which costs a restart more
   * than reading a few thousand stale commits saves.
   */
  private async compactIfLarge(): Promise<void> {
    if ((await this.log.stat()).messages > COMPACT_ABOVE) await this.compact();
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    try {
      await this.compactIfLarge();
    } finally {
      await this.log.close();
    }
  }
}
