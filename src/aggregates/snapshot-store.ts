/**
 * Snapshots of aggregate states in a log of their own, keyed by stream:
 * loading is one getByKey, and compaction keeps only the newest snapshot of
 * each stream. Snapshots are a cache: one that is missing, unreadable or of
 * another state shape only means a longer replay.
 */
import { LRUCache } from 'lru-cache';
import { open, compactUpdatesMulti, isLogError, type Log, type Options } from '../storage/index.js';
import { invalidArgument } from '../storage/backend-kit.js';
import { MemoryLog } from '../eventstore/index.js';
import { deepFreeze } from '../eventstore/backend-kit.js';

export interface Snapshot {
  /** The decider's stateVersion when the snapshot was taken. */
  stateVersion: number;
  /** How many events of the stream the state includes. */
  streamVersion: number;
  /** Log offset of the newest event the state includes: the replay resumes after it. */
  position: number;
  /** The state as JSON holds it (see SnapshotOptions.toJSON). */
  state: unknown;
}

export interface SnapshotStoreOptions {
  /** Compact the log in the background after this many saves (default 1000; 0: only when compact() is called). */
  compactEvery?: number;
  /**
   * How many streams' newest snapshot (or the news that there is none) stay
   * in memory (default 10,000; 0: none, as needed when another process
   * writes the log). Snapshots handed out are frozen, as they may be shared.
   */
  cachedStreams?: number;
}

export class SnapshotStore {
  private saves = 0;
  private readonly compactEvery: number;
  private compacting: Promise<void> | undefined;
  private compactions: Promise<void> = Promise.resolve();
  private readonly recent: LRUCache<string, { snapshot: Snapshot | undefined }> | undefined;
  private closing: Promise<void> | undefined;
  /** The last background compaction failure, if any: compaction is retried on the next round. */
  lastCompactionError: unknown;

  /** The store owns `log`: close() closes it. The log needs its key index. */
  constructor(
    readonly log: Log,
    options: SnapshotStoreOptions = {},
  ) {
    const every = options.compactEvery ?? 1000;
    if (!Number.isSafeInteger(every) || every < 0)
      throw invalidArgument(`compactEvery must be an integer >= 0, got ${String(every)}`);
    this.compactEvery = every;
    const cached = options.cachedStreams ?? 10_000;
    if (!Number.isSafeInteger(cached) || cached < 0)
      throw invalidArgument(`cachedStreams must be an integer >= 0, got ${String(cached)}`);
    // The store is its log's only writer, so what it saved or read last is the newest.
    if (cached > 0) this.recent = new LRUCache({ max: cached });
  }

  /** The newest snapshot of the stream; undefined when there is none or it cannot be read. */
  async load(streamId: string): Promise<Snapshot | undefined> {
    const cached = this.recent?.get(streamId);
    if (cached) return cached.snapshot;
    let value: Buffer | null;
    try {
      value = (await this.log.getByKey(streamId)).value;
    } catch (err) {
      if (!isLogError(err, 'ERR_NOT_FOUND')) throw err;
      value = null;
    }
    const snapshot = value === null ? undefined : deepFreeze(parseSnapshot(value));
    // Unless a save got in while we were reading: then that one is newer.
    if (!this.recent?.has(streamId)) this.recent?.set(streamId, { snapshot });
    return snapshot;
  }

  async save(streamId: string, snapshot: Snapshot): Promise<void> {
    const json = JSON.stringify(snapshot);
    await this.log.publish([{ key: streamId, value: json }]);
    // What a load from the log would give, not the caller's object, which it may still change.
    this.recent?.set(streamId, { snapshot: deepFreeze(JSON.parse(json) as Snapshot) });
    if (this.compactEvery > 0 && ++this.saves % this.compactEvery === 0 && !this.compacting) {
      this.compacting = this.compact()
        .catch((err: unknown) => {
          this.lastCompactionError = err;
        })
        .finally(() => (this.compacting = undefined));
    }
  }

  /** Drops every snapshot a newer one of the same stream replaces. */
  compact(): Promise<void> {
    // One compaction at a time: two would race to delete the same offsets.
    const run = this.compactions
      .catch(() => undefined)
      .then(async () => {
        // Stored times have microseconds; a bound 1 ms ahead covers every snapshot saved so far.
        await compactUpdatesMulti(this.log, new Date(Date.now() + 1));
      });
    this.compactions = run;
    return run;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.compacting;
      await this.log.close();
    })();
    return this.closing;
  }

  /** tsyringe calls it when a container holding the store is disposed. */
  dispose(): Promise<void> {
    return this.close();
  }
}

function parseSnapshot(value: Buffer): Snapshot | undefined {
  try {
    const snapshot = JSON.parse(value.toString('utf8')) as Snapshot;
    const valid =
      Number.isSafeInteger(snapshot.stateVersion) &&
      Number.isSafeInteger(snapshot.streamVersion) &&
      Number.isSafeInteger(snapshot.position) &&
      'state' in snapshot;
    return valid ? snapshot : undefined;
  } catch {
    return undefined;
  }
}

export async function openSnapshotStore(
  dir: string,
  options: SnapshotStoreOptions & { log?: Options } = {},
): Promise<SnapshotStore> {
  const log = await open(dir, { createDirs: true, ...options.log, keyIndex: true });
  return new SnapshotStore(log, options.log?.readonly ? { cachedStreams: 0, ...options } : options);
}

export function inMemorySnapshotStore(options: SnapshotStoreOptions = {}): SnapshotStore {
  return new SnapshotStore(new MemoryLog(), options);
}
