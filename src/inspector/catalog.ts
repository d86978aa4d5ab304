/**
 * What the inspector shows: the logs it can browse and the projections whose
 * state it can list, found from the directories it was given, and the logs
 * it has open (readonly, following the writer, opened on first use).
 *
 * A directory given to the inspector is one of
 *  - a log (segment files, or empty);
 *  - a projection's directory (`CURRENT` naming `gen-N/state`);
 *  - a projection runner's directory (one such directory per projection);
 *  - a projection's state log itself (a log whose key index has a checkpoint).
 *
 * The generation a projection uses changes when it is rebuilt; every look at
 * a projection reads `CURRENT` again and reopens its logs when it moved.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BlockingLog } from '../storage/index.js';
import { isLogError } from '../storage/index.js';
import { listSegments, openLogReader } from '../log-tools/index.js';
import type { IndexOptions, ResolvedIndex } from '../log-tools/index.js';
import { CHECKPOINT_KEY } from '../projections/backend-kit.js';
import { HttpError, notFound } from './http.js';

export type LogRole = 'log' | 'source' | 'state' | 'dead-letter' | 'offsets';

export interface LogEntry {
  /** Stable id the API takes as `log=`. */
  id: string;
  label: string;
  dir: string;
  role: LogRole;
  /** The projection a state or dead-letter log belongs to. */
  projection?: string;
}

export interface ProjectionEntry {
  name: string;
  /** The projection's directory (holding CURRENT); undefined when given the state log itself. */
  root?: string;
  /** The generation in use; undefined when there is none yet, or unknown. */
  generation?: number;
  stateLog?: LogEntry;
  deadLetterLog?: LogEntry;
}

export interface CatalogOptions {
  /** The directory to inspect. */
  dir: string;
  /** Index options for `dir` when it is a log (detected when left out). */
  index?: IndexOptions;
  /** Projection state to show beside the log `dir`. */
  projections?: string;
  /** The log the projections read, for their lag (default: `dir` when it is a log). */
  source?: string;
  /** Durable subscriptions to show: the directory given to openSubscription as `offsets`. */
  subscriptions?: string;
}

export interface OpenLog {
  log: BlockingLog;
  index: ResolvedIndex;
}

const POINTER = 'CURRENT';
const GENERATION = /^gen-(\d+)$/;

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A projection's directory: it has a CURRENT pointer or a generation. */
function isProjectionDir(dir: string): boolean {
  if (fs.existsSync(path.join(dir, POINTER))) return true;
  try {
    return fs.readdirSync(dir).some((e) => GENERATION.test(e) && isDirectory(path.join(dir, e)));
  } catch {
    return false;
  }
}

/** The generation CURRENT names, if it is readable. */
function currentGeneration(root: string): number | undefined {
  try {
    const text = fs.readFileSync(path.join(root, POINTER), 'utf8');
    return /^\d+\n?$/.test(text) ? Number(text.trim()) : undefined;
  } catch {
    return undefined;
  }
}

/** The projection directories under `dir`: itself, or its subdirectories. */
function projectionDirs(dir: string): string[] {
  if (isProjectionDir(dir)) return [dir];
  let entries: string[];
  try {
    entries = fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
  return entries.map((e) => path.join(dir, e)).filter((p) => isDirectory(p) && isProjectionDir(p));
}

function projectionEntry(root: string): ProjectionEntry {
  const name = path.basename(root);
  const generation = currentGeneration(root);
  const entry: ProjectionEntry = { name, root, generation };
  if (generation === undefined) return entry;
  const gen = path.join(root, `gen-${generation}`);
  entry.stateLog = {
    id: `state:${name}`,
    label: `${name} state (generation ${generation})`,
    dir: path.join(gen, 'state'),
    role: 'state',
    projection: name,
  };
  if (isDirectory(path.join(gen, 'dead-letter'))) {
    entry.deadLetterLog = {
      id: `dead-letter:${name}`,
      label: `${name} dead letters`,
      dir: path.join(gen, 'dead-letter'),
      role: 'dead-letter',
      projection: name,
    };
  }
  return entry;
}

export class Catalog {
  readonly dir: string;
  /** What `dir` is. */
  readonly kind: 'log' | 'projections';
  private readonly projectionRoots: string[];
  private readonly mainLog: LogEntry | undefined;
  private readonly sourceLog: LogEntry | undefined;
  /** The offsets directory of durable subscriptions, when given. */
  readonly subscriptionsDir: string | undefined;
  /** A state log given as `dir`: its projection, found once it is open. */
  private stateOf: ProjectionEntry | undefined;
  private stateChecked = false;
  private readonly opened = new Map<string, Promise<OpenLog>>();
  private closed = false;

  constructor(private readonly options: CatalogOptions) {
    this.dir = path.resolve(options.dir);
    const roots = listSegments(this.dir).length > 0 ? [] : projectionDirs(this.dir);
    this.kind = roots.length > 0 ? 'projections' : 'log';
    this.projectionRoots =
      options.projections !== undefined ? [path.resolve(options.projections)] : roots.length > 0 ? [this.dir] : [];
    if (this.kind === 'log') this.mainLog = { id: 'main', label: path.basename(this.dir), dir: this.dir, role: 'log' };
    this.subscriptionsDir = options.subscriptions !== undefined ? path.resolve(options.subscriptions) : undefined;
    const source = options.source !== undefined ? path.resolve(options.source) : undefined;
    if (source !== undefined && source !== this.mainLog?.dir) {
      this.sourceLog = { id: 'source', label: `${path.basename(source)} (source)`, dir: source, role: 'source' };
    }
  }

  /** The log the projections read (for their lag), if known: --source, else the main log unless it is a state log itself. */
  get source(): LogEntry | undefined {
    return this.sourceLog ?? (this.stateOf ? undefined : this.mainLog);
  }

  /** Looks at the directories again: projections come, go and change generation. */
  async projections(): Promise<ProjectionEntry[]> {
    const roots = this.projectionRoots.flatMap(projectionDirs);
    const found = roots.map(projectionEntry);
    if (found.length === 0 && this.mainLog) {
      await this.detectStateLog();
      if (this.stateOf) found.push(this.stateOf);
    }
    // A generation no longer in use: its handles go (a rebuild removes its files).
    const live = new Set(found.flatMap((p) => [p.stateLog?.dir, p.deadLetterLog?.dir]));
    for (const dir of [...this.opened.keys()]) {
      if (!live.has(dir) && roots.some((root) => dir.startsWith(root + path.sep))) void this.release(dir);
    }
    return found;
  }

  async logs(): Promise<LogEntry[]> {
    const projections = await this.projections();
    const logs: LogEntry[] = [];
    if (this.mainLog) logs.push(this.mainLog);
    if (this.sourceLog) logs.push(this.sourceLog);
    for (const p of projections) {
      for (const l of [p.stateLog, p.deadLetterLog]) if (l && !logs.some((known) => known.dir === l.dir)) logs.push(l);
    }
    return logs;
  }

  /** The subscriptions in the offsets directory, by name: each `<dir>/<name>/` holding a log (looked up again each time). */
  subscriptions(): LogEntry[] {
    const dir = this.subscriptionsDir;
    if (dir === undefined) return [];
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      return [];
    }
    return names
      .filter((n) => listSegments(path.join(dir, n)).length > 0)
      .map((n) => ({ id: `offsets:${n}`, label: `${n} offsets`, dir: path.join(dir, n), role: 'offsets' }));
  }

  async entry(id: string): Promise<LogEntry> {
    const found = (await this.logs()).find((l) => l.id === id);
    if (!found) throw notFound(`no log ${JSON.stringify(id)} here; /api/info lists them`);
    return found;
  }

  async projection(name: string): Promise<ProjectionEntry> {
    const all = await this.projections();
    const found = all.find((p) => p.name === name);
    if (!found)
      throw notFound(
        `no projection ${JSON.stringify(name)} here${all.length ? `; there are ${all.map((p) => JSON.stringify(p.name)).join(', ')}` : ''}`,
      );
    return found;
  }

  /** The log open for reading (beside its writer), opened on first use. */
  open(entry: LogEntry): Promise<OpenLog> {
    if (this.closed) return Promise.reject(new HttpError(503, 'the inspector is closing'));
    let opening = this.opened.get(entry.dir);
    if (!opening) {
      opening = openLogReader(entry.dir, entry === this.mainLog ? (this.options.index ?? {}) : {}, true);
      this.opened.set(entry.dir, opening);
      // A failed open is forgotten, so the next request tries again.
      opening.catch(() => this.opened.get(entry.dir) === opening && this.opened.delete(entry.dir));
    }
    return opening;
  }

  /** Looks once whether the main log is a projection's state log (a checkpoint under the reserved key). */
  private async detectStateLog(): Promise<void> {
    if (this.stateChecked || !this.mainLog) return;
    let opened: OpenLog;
    try {
      opened = await this.open(this.mainLog);
    } catch {
      return;
    }
    this.stateChecked = true;
    if (!opened.index.keyIndex) return;
    try {
      const record = await opened.log.getByKey(CHECKPOINT_KEY);
      const name = (JSON.parse(record.value?.toString('utf8') ?? 'null') as { projection?: unknown } | null)
        ?.projection;
      const stateLog: LogEntry = {
        ...this.mainLog,
        role: 'state',
        projection: typeof name === 'string' ? name : path.basename(this.dir),
      };
      this.stateOf = { name: stateLog.projection!, stateLog };
      const deadLetter = path.join(path.dirname(this.dir), 'dead-letter');
      if (isDirectory(deadLetter)) {
        this.stateOf.deadLetterLog = {
          id: `dead-letter:${stateLog.projection}`,
          label: `${stateLog.projection} dead letters`,
          dir: deadLetter,
          role: 'dead-letter',
          projection: stateLog.projection,
        };
      }
    } catch (err) {
      if (!isLogError(err, 'ERR_NOT_FOUND') && !(err instanceof SyntaxError)) throw err;
    }
  }

  private async release(dir: string): Promise<void> {
    const opening = this.opened.get(dir);
    this.opened.delete(dir);
    const o = await opening?.catch(() => undefined);
    await o?.log.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.opened.keys()].map((dir) => this.release(dir)));
  }
}
