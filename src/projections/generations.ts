/**
 * Where a projection's state lives: generations, each a state log and a
 * dead-letter log, and a pointer naming the one in use.
 *
 *   <dir>/<name>/CURRENT          the generation in use, e.g. "3\n"
 *   <dir>/<name>/gen-3/state      its state log (key index on)
 *   <dir>/<name>/gen-3/dead-letter
 *
 * A rebuild fills a new generation beside the current one and switches by
 * renaming a new pointer file over CURRENT (written and synced first, then
 * the directory synced), which is atomic: after a crash CURRENT names the old
 * generation or the new one, whole. A generation CURRENT does not name is a
 * rebuild that never finished; it is removed when the projection opens. The
 * in-memory variant keeps the same contract without files, for tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MemoryLog } from '../eventstore/index.js';
import { open, type Log } from '../storage/index.js';
import { DirectoryLock } from '../storage/backend-kit.js';

export interface GenerationLogs {
  readonly id: number;
  readonly state: Log;
  readonly deadLetter: Log;
}

export interface GenerationStore {
  /** The generation in use; undefined before the first one is made current. */
  readonly current: number | undefined;
  /** A number no generation has used yet. */
  fresh(): number;
  /** Opens a generation's logs (creating them). */
  open(id: number): Promise<GenerationLogs>;
  /** Closes what open returned; the data stays. */
  release(logs: GenerationLogs): Promise<void>;
  /** Makes `id` the generation in use, atomically and durably. */
  switchTo(id: number): Promise<void>;
  /** Deletes a generation that is not in use. */
  remove(id: number): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** fdatasync every publish (commit) before it resolves (a store whose writes are durable when acknowledged ignores it). */
  sync: boolean;
}

/**
 * Where a runner keeps its projections' state. `open` takes projection
 * `name`'s generations for this runner alone (a second runner opening the
 * same projection is refused with ERR_LOCKED) and clears unfinished rebuilds;
 * the GenerationStore's close gives it back.
 */
export interface ProjectionStore {
  open(name: string, options: StoreOptions): Promise<GenerationStore>;
}

/** Projection `name` keeps its state in `<dir>/<name>`. */
export function directoryStore(dir: string): ProjectionStore {
  return { open: (name, options) => DirectoryGenerations.open(path.join(dir, name), options) };
}

/** State in memory, for tests: each open starts empty. */
export const memoryStore: ProjectionStore = { open: async () => new MemoryGenerations() };

/** Whether `v` can serve as a ProjectionStore. */
export function isProjectionStore(v: unknown): v is ProjectionStore {
  return typeof v === 'object' && v !== null && typeof (v as Partial<ProjectionStore>).open === 'function';
}

const GEN = /^gen-(\d+)$/;
const POINTER = 'CURRENT';

export class DirectoryGenerations implements GenerationStore {
  private highest: number;

  private constructor(
    private readonly root: string,
    private readonly lock: DirectoryLock,
    public current: number | undefined,
    existing: number[],
    private readonly options: StoreOptions,
  ) {
    this.highest = Math.max(0, current ?? 0, ...existing);
  }

  /** Takes the projection's directory (one runner per projection, across processes) and clears unfinished rebuilds. */
  static async open(root: string, options: StoreOptions): Promise<DirectoryGenerations> {
    await fs.promises.mkdir(root, { recursive: true, mode: 0o700 });
    const lock = DirectoryLock.acquire(root, true);
    try {
      const current = await readPointer(root);
      // Every number seen counts, removed ones too: a generation number is never reused, so
      // a reader holding an old generation's files can tell it moved.
      const seen: number[] = [];
      for (const entry of await fs.promises.readdir(root)) {
        const id = GEN.exec(entry)?.[1];
        if (id === undefined) continue;
        seen.push(Number(id));
        if (Number(id) !== current) await fs.promises.rm(path.join(root, entry), { recursive: true, force: true });
      }
      // A pointer to a generation that is gone is as good as none: start afresh.
      return new DirectoryGenerations(root, lock, seen.includes(current ?? NaN) ? current : undefined, seen, options);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  fresh(): number {
    return ++this.highest;
  }

  async open(id: number): Promise<GenerationLogs> {
    const dir = path.join(this.root, `gen-${id}`);
    // recover checks only the head segment: cheap, and it cuts a publish torn by a crash.
    const opts = { createDirs: true, keyIndex: true, autoSync: this.options.sync, recover: true };
    const state = await open(path.join(dir, 'state'), opts);
    try {
      return { id, state, deadLetter: await open(path.join(dir, 'dead-letter'), opts) };
    } catch (err) {
      await state.close();
      throw err;
    }
  }

  async release(logs: GenerationLogs): Promise<void> {
    await Promise.all([logs.state.close(), logs.deadLetter.close()]);
  }

  async switchTo(id: number): Promise<void> {
    const tmp = path.join(this.root, `${POINTER}.tmp`);
    const file = await fs.promises.open(tmp, 'w', 0o600);
    try {
      await file.writeFile(`${id}\n`);
      await file.datasync();
    } finally {
      await file.close();
    }
    await fs.promises.rename(tmp, path.join(this.root, POINTER));
    await syncDirectory(this.root);
    this.current = id;
  }

  async remove(id: number): Promise<void> {
    // An invariant of the runner, which switches to a new generation before removing the old: never a user's error.
    if (id === this.current) throw new Error(`generation ${id} is in use`);
    await fs.promises.rm(path.join(this.root, `gen-${id}`), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    this.lock.release();
  }
}

/** The generation CURRENT names; undefined when there is none or it is unreadable (then nothing is trusted). */
async function readPointer(root: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await fs.promises.readFile(path.join(root, POINTER), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return /^\d+\n$/.test(text) ? Number(text.trim()) : undefined;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Generations in memory: they last as long as the store object. */
export class MemoryGenerations implements GenerationStore {
  current: number | undefined;
  private highest = 0;
  private readonly logs = new Map<number, GenerationLogs>();

  fresh(): number {
    return ++this.highest;
  }

  async open(id: number): Promise<GenerationLogs> {
    let logs = this.logs.get(id);
    if (!logs) this.logs.set(id, (logs = { id, state: new MemoryLog(), deadLetter: new MemoryLog() }));
    return logs;
  }

  async release(): Promise<void> {
    // Closing a MemoryLog would lose it; the data must outlive a stop and start.
  }

  async switchTo(id: number): Promise<void> {
    this.current = id;
  }

  async remove(id: number): Promise<void> {
    const logs = this.logs.get(id);
    this.logs.delete(id);
    if (logs) await Promise.all([logs.state.close(), logs.deadLetter.close()]);
  }

  async close(): Promise<void> {
    for (const id of [...this.logs.keys()]) await this.remove(id);
  }
}
