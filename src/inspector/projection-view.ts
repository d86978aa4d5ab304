/**
 * The projection view: every key's committed state in a projection's state
 * log, searchable, with the checkpoint and how far it lags its source.
 *
 * The state log holds each key's states (JSON `{"o": <source offset>, "s":
 * <state>}`, a null value when the key was deleted) and the checkpoint
 * records under a reserved key (see src/projections/records.ts). What is
 * committed ends at the newest checkpoint; records after it are a commit
 * being written (or torn by a crash) and are not shown as state.
 *
 * The inspector keeps, per state log, where each key's newest committed
 * record is, and reads on from where it stopped as the projection commits;
 * states are read from the log only for the page shown.
 */
import { isLogError } from '../storage/index.js';
import type { Log, Message } from '../storage/index.js';
import { formatTimeMicros } from '../log-tools/index.js';
import { CHECKPOINT_KEY, parseCheckpoint, type Checkpoint } from '../projections/backend-kit.js';
import type { Catalog, ProjectionEntry } from './catalog.js';
import { PREVIEW, parseJson, showBytes } from './render.js';
import { processCheckpoint, type ProcessCheckpoint } from './process-checkpoint.js';
import type { Lag, ProjectionStates, ProjectionSummary, StateRow } from './browser/api-types.js';

const BATCH = 1000;
/** Most states read to search in them per request (the answer says where to go on). */
const VALUE_SEARCH_BUDGET = 5000;

/** Where every key's newest committed record is, kept up to date from one state log. */
class StateIndex {
  readonly keys = new Map<string, number>();
  private sorted: string[] | undefined;
  /** Next state log offset to read. */
  private next = 0;
  private reading: Promise<void> = Promise.resolve();

  constructor(readonly log: Log) {}

  /** Reads the committed records up to and including `through` (the checkpoint's own offset); one reader at a time. */
  advance(through: number): Promise<void> {
    const run = this.reading.then(() => this.read(through));
    this.reading = run.catch(() => undefined);
    return run;
  }

  private async read(through: number): Promise<void> {
    let offset = this.next;
    while (offset <= through) {
      const r = await this.log.consume(offset, BATCH);
      for (const m of r.messages) {
        if (m.offset > through) break;
        const key = m.key?.toString('utf8') ?? '';
        if (key === CHECKPOINT_KEY) continue;
        const had = this.keys.has(key);
        if (m.value === null) this.keys.delete(key);
        else this.keys.set(key, m.offset);
        if (had !== this.keys.has(key)) this.sorted = undefined;
      }
      if (r.messages.length === 0 && r.nextOffset <= offset) break;
      offset = Math.min(r.nextOffset, through + 1);
    }
    this.next = Math.max(this.next, offset);
  }

  get sortedKeys(): string[] {
    this.sorted ??= [...this.keys.keys()].sort();
    return this.sorted;
  }
}

async function newestCheckpoint(
  log: Log,
): Promise<{ checkpoint: Checkpoint | null; problem?: string; timeMicros?: number }> {
  try {
    const record = await log.getByKey(CHECKPOINT_KEY);
    const parsed = parseCheckpoint(record.value, record.offset);
    if (typeof parsed === 'string') return { checkpoint: null, problem: parsed, timeMicros: record.timeMicros };
    return { checkpoint: parsed, timeMicros: record.timeMicros };
  } catch (err) {
    if (isLogError(err, 'ERR_NOT_FOUND')) return { checkpoint: null };
    throw err;
  }
}

/** The state a record holds (its `s`, as JSON text), and the source offset `o` that produced it. */
function stateOf(value: Buffer | null): { json: Buffer | null; sourceOffset: number | null } {
  const parsed = value === null ? undefined : parseJson(value.toString('utf8'));
  const record = parsed?.value as { o?: unknown; s?: unknown } | undefined;
  if (typeof record !== 'object' || record === null || !Number.isSafeInteger(record.o) || !('s' in record)) {
    return { json: value, sourceOffset: null };
  }
  return { json: Buffer.from(JSON.stringify(record.s) ?? 'null', 'utf8'), sourceOffset: record.o as number };
}

export class ProjectionViews {
  private readonly indexes = new Map<Log, StateIndex>();

  constructor(private readonly catalog: Catalog) {}

  async list(): Promise<ProjectionSummary[]> {
    const all = await this.catalog.projections();
    return Promise.all(all.map(async (p) => (await this.summary(p)).summary));
  }

  /** A page of states, `limit` at most, after the key `after`, whose key (or with `inValues` state) contains `query`. */
  async states(
    name: string,
    query: string,
    inValues: boolean,
    after: string | undefined,
    limit: number,
  ): Promise<ProjectionStates> {
    const { summary, index } = await this.summary(await this.catalog.projection(name));
    const result: ProjectionStates = { ...summary, query, inValues, matched: null, states: [], nextAfter: null };
    if (!index) return result;
    const needle = query.toLowerCase();
    const keys = index.sortedKeys;
    let i = after === undefined ? 0 : upperBound(keys, after);
    if (!inValues) {
      const matching = needle === '' ? keys : keys.filter((k) => k.toLowerCase().includes(needle));
      result.matched = matching.length;
      const start = after === undefined ? 0 : upperBound(matching, after);
      const shown = matching.slice(start, start + limit);
      result.states = await Promise.all(shown.map(async (k) => this.row(k, await this.newest(index, k))));
      result.nextAfter = start + limit < matching.length ? shown[shown.length - 1]! : null;
      return result;
    }
    let read = 0;
    for (; i < keys.length && result.states.length < limit && read < VALUE_SEARCH_BUDGET; i++) {
      const key = keys[i]!;
      const m = await this.newest(index, key);
      read++;
      const { json } = stateOf(m.value);
      if (key.toLowerCase().includes(needle) || (json?.toString('utf8').toLowerCase().includes(needle) ?? false))
        result.states.push(this.row(key, m));
    }
    result.nextAfter = i < keys.length ? keys[i - 1]! : null;
    return result;
  }

  /** The key's newest committed record. */
  private async newest(index: StateIndex, key: string): Promise<Message> {
    try {
      return await index.log.get(index.keys.get(key)!);
    } catch (err) {
      // Compaction may have moved on under us: the key's newest record is what counts.
      if (!isLogError(err, 'ERR_NOT_FOUND')) throw err;
      return index.log.getByKey(key);
    }
  }

  private row(key: string, m: Message): StateRow {
    const { json, sourceOffset } = stateOf(m.value);
    return {
      key,
      state: showBytes(json, 2 * PREVIEW),
      sourceOffset,
      stateOffset: m.offset,
      time: formatTimeMicros(m.timeMicros),
    };
  }

  private async summary(p: ProjectionEntry): Promise<{ summary: ProjectionSummary; index?: StateIndex }> {
    const source = this.catalog.source;
    const summary: ProjectionSummary = {
      name: p.name,
      kind: 'projection',
      next: null,
      generation: p.generation ?? null,
      stateLog: p.stateLog?.id ?? null,
      deadLetterLog: p.deadLetterLog?.id ?? null,
      checkpoint: null,
      committedAt: null,
      committedAgo: null,
      uncommitted: 0,
      keys: 0,
      deadLetters: 0,
      lag: null,
      sourceLog: source?.id ?? null,
    };
    if (!p.stateLog) return { summary };
    const { log } = await this.catalog.open(p.stateLog);
    const { checkpoint, problem, timeMicros } = await newestCheckpoint(log);
    const process = checkpoint || problem !== undefined ? undefined : await processCheckpoint(log, p.name);
    if (process) return { summary: await this.processSummary(p, summary, process) };
    summary.checkpoint = checkpoint;
    summary.next = checkpoint?.next ?? null;
    if (problem !== undefined) summary.checkpointProblem = problem;
    if (timeMicros !== undefined) committed(summary, timeMicros);
    summary.uncommitted = Math.max(0, (await log.nextOffset()) - (checkpoint ? checkpoint.at + 1 : 0));
    let index = this.indexes.get(log);
    if (!index) {
      // A log this view has not seen: a new generation; the handles of old ones are gone.
      for (const known of this.indexes.keys())
        if (known !== log && (await this.stale(known))) this.indexes.delete(known);
      this.indexes.set(log, (index = new StateIndex(log)));
    }
    if (checkpoint) await index.advance(checkpoint.at);
    summary.keys = index.keys.size;
    await this.deadLettersAndLag(p, summary);
    return { summary, index };
  }

  /** A reactor or workflow: its checkpoint, dead letters and lag; it has no states. */
  private async processSummary(
    p: ProjectionEntry,
    summary: ProjectionSummary,
    process: ProcessCheckpoint,
  ): Promise<ProjectionSummary> {
    summary.kind = process.kind;
    summary.next = process.next;
    if (process.problem !== undefined) summary.checkpointProblem = process.problem;
    committed(summary, process.timeMicros);
    await this.deadLettersAndLag(p, summary);
    return summary;
  }

  /** The dead letters' count, and the lag of `summary.next` behind the source (when both are known). */
  private async deadLettersAndLag(p: ProjectionEntry, summary: ProjectionSummary): Promise<void> {
    if (p.deadLetterLog) summary.deadLetters = (await (await this.catalog.open(p.deadLetterLog)).log.stat()).messages;
    const source = this.catalog.source;
    if (source && summary.next !== null) summary.lag = await lag((await this.catalog.open(source)).log, summary.next);
  }

  /** A log that was closed (its generation replaced). */
  private async stale(log: Log): Promise<boolean> {
    try {
      await log.nextOffset();
      return false;
    } catch {
      return true;
    }
  }
}

function committed(summary: ProjectionSummary, timeMicros: number): void {
  summary.committedAt = formatTimeMicros(timeMicros);
  summary.committedAgo = Math.max(0, Math.round((Date.now() * 1000 - timeMicros) / 1e4) / 100);
}

/** How far `next` (a checkpoint) is behind the source's head, in events and in the age of the oldest one. */
async function lag(source: Log, next: number): Promise<Lag> {
  const head = await source.nextOffset();
  const events = Math.max(0, head - next);
  let seconds = 0;
  if (events > 0) {
    const oldest = (await source.consume(next, 1)).messages[0];
    if (oldest) seconds = Math.max(0, (Date.now() * 1000 - oldest.timeMicros) / 1e6);
  }
  return { sourceHead: head, events, seconds: Math.round(seconds * 100) / 100 };
}

/** The index of the first key greater than `key` in sorted `keys`. */
function upperBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
