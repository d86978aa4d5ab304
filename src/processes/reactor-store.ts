/**
 * Where a reactor keeps what must outlive it, in the runner's projection
 * store (a directory, JetStream, memory): its own generation, locked to one
 * runner, whose state log holds the checkpoint (one record per commit under
 * one key, compacted to the newest) and whose dead-letter log holds the
 * events it gave up on (the projections' dead-letter log and record).
 */
import { compactStateLog, DeadLetters, type GenerationLogs, type ProjectionStore } from '../projections/backend-kit.js';
import { openProcessGeneration, type ProcessGeneration } from './process-generation.js';
import { corrupted } from '../storage/backend-kit.js';
import { isLogError } from '../storage/index.js';

/** Starts with NUL, as the projections' reserved keys do (the inspector reads it too). */
export const REACTOR_CHECKPOINT_KEY = '\u0000klevdb.reactor.checkpoint';
const CHECKPOINT_KEY = Buffer.from(REACTOR_CHECKPOINT_KEY);
/** Compact the state log after this many checkpoints (each ~60 bytes), */
const COMPACT_EVERY = 10_000;
/** and on close when it holds more than this many (below, a compaction costs more than it saves). */
const COMPACT_ABOVE = 1000;

export class ReactorStore {
  private commits = 0;

  private constructor(
    private readonly generation: ProcessGeneration,
    readonly deadLetters: DeadLetters,
    /** The committed checkpoint: the source offset to resume at; undefined before the first commit. */
    public checkpoint: number | undefined,
  ) {}

  /** Takes the reactor's state (ERR_LOCKED while another runner has it) and reads its checkpoint. */
  static async open(store: ProjectionStore, name: string, sync: boolean): Promise<ReactorStore> {
    const generation = await openProcessGeneration(store, name, sync, 'reactor');
    try {
      const deadLetters = await DeadLetters.open(generation.logs.deadLetter, name);
      return new ReactorStore(generation, deadLetters, await loadCheckpoint(generation.logs, name));
    } catch (err) {
      await generation.release();
      throw err;
    }
  }

  async commit(next: number): Promise<void> {
    await this.generation.logs.state.publish([{ key: CHECKPOINT_KEY, value: `{"next":${next}}` }]);
    this.checkpoint = next;
    if (++this.commits % COMPACT_EVERY === 0) await this.compact();
  }

  async close(): Promise<void> {
    try {
      if ((await this.generation.logs.state.stat()).messages > COMPACT_ABOVE) await this.compact();
    } finally {
      await this.generation.release();
    }
  }

  private async compact(): Promise<void> {
    await compactStateLog(this.generation.logs.state, { everyMs: 0 });
  }
}

async function loadCheckpoint(logs: GenerationLogs, name: string): Promise<number | undefined> {
  let value: Buffer | null;
  try {
    value = (await logs.state.getByKey(CHECKPOINT_KEY)).value;
  } catch (err) {
    if (isLogError(err, 'ERR_NOT_FOUND')) return undefined;
    throw err;
  }
  let next: unknown;
  try {
    next = (JSON.parse(value?.toString('utf8') ?? 'null') as { next?: unknown } | null)?.next;
  } catch {
    next = undefined;
  }
  if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 0) {
    throw corrupted(
      `reactor "${name}": its checkpoint record is not {"next": <offset>}; remove the reactor's state directory to start over`,
    );
  }
  return next;
}
