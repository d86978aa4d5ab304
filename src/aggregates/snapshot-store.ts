/**
 * Snapshots of aggregate states in a log of their own, keyed by stream:
 * loading is one getByKey, and compaction keeps only the newest snapshot of
 * each stream. Snapshots are a cache: one that is missing, unreadable or of
 * another state shape only means a longer replay.
 */
import { open } from '../storage/log.js';
import { compactUpdatesMulti } from '../storage/compact.js';
import { invalidArgument, isLogError } from '../storage/errors.js';
import type { Log, Options } from '../storage/types.js';
import { MemoryLog } from '../eventstore/memory-log.js';

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
}

export class SnapshotStore {
  private saves = 0;
  private readonly compactEvery: number;
  private compacting: Promise<void> | undefined;
  private compactions: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  /** The last background compaction failure, if any: compaction is retried on the next round. */
  lastCompactionError: unknown;

  /** The store owns `log`: close() closes it. The log needs its key index. */
  constructor(
    readonly log: Log,
    options: SnapshotStoreOptions = {},
  ) {
    const every = options.compactEvery ?? 1000;
    if (!Number.isSafeInteger(every) || every < 0) throw invalidArgument(`compactEvery must be an integer >= 0, got ${String(every)}`);
    this.compactEvery = every;
  }

  /** The newest snapshot of the stream; undefined when there is none or it cannot be read. */
  async load(streamId: string): Promise<Snapshot | undefined> {
    let value: Buffer | null;
    try {
      value = (await this.log.getByKey(streamId)).value;
    } catch (err) {
      if (isLogError(err, 'ERR_NOT_FOUND')) return undefined;
      throw err;
    }
    if (value === null) return undefined;
    try {
      const snapshot = JSON.parse(value.toString('utf8')) as Snapshot;
      const valid =
        Number.isSafeInteger(snapshot.stateVersion) && Number.isSafeInteger(snapshot.streamVersion) &&
        Number.isSafeInteger(snapshot.position) && 'state' in snapshot;
      return valid ? snapshot : undefined;
    } catch {
      return undefined;
    }
  }

  async save(streamId: string, snapshot: Snapshot): Promise<void> {
    await this.log.publish([{ key: streamId, value: JSON.stringify(snapshot) }]);
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
    const run = this.compactions.catch(() => undefined).then(async () => {
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

export async function openSnapshotStore(dir: string, options: SnapshotStoreOptions & { log?: Options } = {}): Promise<SnapshotStore> {
  return new SnapshotStore(await open(dir, { createDirs: true, ...options.log, keyIndex: true }), options);
}

export function inMemorySnapshotStore(options: SnapshotStoreOptions = {}): SnapshotStore {
  return new SnapshotStore(new MemoryLog(), options);
}
