/**
 * One generation of a projection's state: its state log, the hot-state cache
 * in front of it, and the checkpoint it has committed. Commits are one
 * publish each (states, then the checkpoint); opening rolls back a publish a
 * crash tore, and refuses a checkpoint it cannot trust.
 */
import { LRUCache } from 'lru-cache';
import { deleteMulti, isLogError, OffsetOldest, type PublishMessage } from '../storage/index.js';
import { corrupted } from '../storage/backend-kit.js';
import type { ResolvedDefinition } from './definition.js';
import type { GenerationLogs } from './generations.js';
import {
  CHECKPOINT_KEY,
  checkpointMessage,
  decodeState,
  encodeState,
  parseCheckpoint,
  type Checkpoint,
} from './records.js';

export interface CacheOptions {
  /** Most keys held (default 10,000 when maxBytes is not given either). */
  maxEntries?: number;
  /** Most bytes of stored state held (each entry counts its JSON size). */
  maxBytes?: number;
}

/** A change the runner commits: the key's new state (null: deleted) and the event that made it. */
export interface PendingState<S> {
  state: S | null;
  offset: number;
}

const ABSENT = Symbol('absent');
/** What peek answers for a key the cache does not hold. */
export const NOT_CACHED = Symbol('not cached');
type Cached<S> = (S & {}) | typeof ABSENT;
const READ_BATCH = 1000;

export class Generation<S> {
  readonly cache: LRUCache<string, Cached<S>>;
  /** Bumped by every commit: a cache fill from a read that overlapped a commit is dropped. */
  private commits = 0;
  private reading = 0;
  /** Entries are weighed only when the cache is bounded in bytes (lru-cache refuses sizes otherwise). */
  private readonly sized: boolean;
  /**
   * True while the cache holds every state the log holds: the log had no
   * state when it opened (a new projection, a rebuild) and nothing was
   * evicted since. A miss then means "no state", with no lookup in the log:
   * a catch-up from scratch does not look up each new key in vain.
   */
  private complete: boolean;
  private drained: (() => void) | undefined;

  private constructor(
    readonly logs: GenerationLogs,
    private readonly def: ResolvedDefinition<S, unknown>,
    cache: CacheOptions,
    /** What is committed; undefined until the first commit. */
    public checkpoint: Checkpoint | undefined,
    private nextStateOffset: number,
    empty: boolean,
  ) {
    this.complete = empty;
    const max = cache.maxEntries ?? (cache.maxBytes === undefined ? 10_000 : undefined);
    // lru-cache wants each bound either set or absent, not undefined.
    const bounds = {
      ...(max !== undefined && { max }),
      ...(cache.maxBytes !== undefined && { maxSize: cache.maxBytes }),
      dispose: (_value: unknown, _key: string, reason: string) => {
        if (reason === 'evict') this.complete = false;
      },
      noDisposeOnSet: true,
    };
    this.cache = new LRUCache<string, Cached<S>>(bounds as LRUCache.Options<string, Cached<S>, unknown>);
    this.sized = cache.maxBytes !== undefined;
  }

  get id(): number {
    return this.logs.id;
  }

  /**
   * Opens the committed state: rolls back what follows the newest checkpoint
   * (a publish torn by a crash), then checks the checkpoint against the
   * definition and the source. Returns the reason instead when the state
   * cannot be trusted; the caller then rebuilds it.
   */
  static async open<S>(
    logs: GenerationLogs,
    def: ResolvedDefinition<S, unknown>,
    cache: CacheOptions,
  ): Promise<Generation<S> | string> {
    const log = logs.state;
    let checkpoint: Checkpoint | undefined;
    let at = -1;
    try {
      const record = await log.getByKey(CHECKPOINT_KEY);
      const parsed = parseCheckpoint(record.value, record.offset);
      if (typeof parsed === 'string') return parsed;
      checkpoint = parsed;
      at = record.offset;
    } catch (err) {
      if (!isLogError(err, 'ERR_NOT_FOUND')) throw err;
    }
    if (checkpoint && checkpoint.projection !== def.name)
      return `the state belongs to projection "${checkpoint.projection}"`;
    if (checkpoint && checkpoint.version !== def.version) {
      return `the state was written by version ${checkpoint.version} of the projection; this is version ${def.version}`;
    }
    const head = await def.source.head();
    if (checkpoint && checkpoint.next > head) {
      return `the checkpoint is at source offset ${checkpoint.next}, past the end of the source (${head}): the source is not the one the state was built from`;
    }
    await rollBackAfter(logs, at);
    const empty = (await log.stat()).messages === (checkpoint ? 1 : 0);
    return new Generation(logs, def, cache, checkpoint, await log.nextOffset(), empty);
  }

  /** The cached state of `key` (undefined: it has none), without reading the log. */
  peek(key: string): S | undefined | typeof NOT_CACHED {
    const hit = this.cache.get(key);
    if (hit === undefined) return this.complete ? undefined : NOT_CACHED;
    return hit === ABSENT ? undefined : hit;
  }

  /** The committed state of `key`; undefined when it has none. */
  async get(key: string): Promise<S | undefined> {
    const hit = this.peek(key);
    if (hit !== NOT_CACHED) return hit;
    const commits = this.commits;
    this.reading++;
    try {
      const { state, size } = await this.read(key);
      if (this.commits === commits) this.remember(key, state === undefined ? null : state, size);
      return state;
    } finally {
      if (--this.reading === 0) this.drained?.();
    }
  }

  /** Writes the changed states and the checkpoint `next`/`last` as one publish. */
  async commit(changes: ReadonlyMap<string, PendingState<S>>, next: number, last: number): Promise<Checkpoint> {
    const messages: PublishMessage[] = [];
    for (const [key, change] of changes) {
      messages.push({
        key,
        value: change.state === null ? null : encodeState(change.offset, this.def.toJSON(change.state)),
      });
    }
    const at = this.nextStateOffset + messages.length;
    const checkpoint: Checkpoint = {
      projection: this.def.name,
      version: this.def.version,
      next,
      last,
      at,
      writes: messages.length,
    };
    messages.push(checkpointMessage(checkpoint));
    const end = await this.logs.state.publish(messages);
    if (end !== at + 1) {
      throw corrupted(
        `the state log of projection "${this.def.name}" moved under the runner (expected next offset ${at + 1}, got ${end}): another writer?`,
      );
    }
    this.nextStateOffset = end;
    this.checkpoint = checkpoint;
    this.commits++;
    let i = 0;
    for (const [key, change] of changes)
      this.remember(key, change.state, key.length + ((messages[i++]!.value as string | null)?.length ?? 0));
    return checkpoint;
  }

  private remember(key: string, state: S | null, size: number): void {
    const value = state === null ? ABSENT : (state as S & {});
    if (!this.sized) {
      this.cache.set(key, value);
      return;
    }
    this.cache.set(key, value, { size });
    // An entry over the whole byte bound is not kept: the cache no longer holds every state.
    if (!this.cache.has(key)) this.complete = false;
  }

  /** Every committed state and the checkpoint they reflect, read from the state log. */
  async snapshot(): Promise<{ checkpoint: Checkpoint | undefined; states: Map<string, S> }> {
    const checkpoint = this.checkpoint;
    const states = new Map<string, S>();
    const end = checkpoint ? checkpoint.at : -1;
    for (let offset: number = OffsetOldest; ;) {
      const { messages, nextOffset } = await this.logs.state.consume(offset, READ_BATCH);
      for (const m of messages) {
        if (m.offset > end) return { checkpoint, states };
        const key = m.key?.toString('utf8') ?? '';
        if (key === CHECKPOINT_KEY) continue;
        if (m.value === null) states.delete(key);
        else states.set(key, this.def.fromJSON(decodeState(m.value, key).json));
      }
      if (messages.length === 0 || nextOffset > end) return { checkpoint, states };
      offset = nextOffset;
    }
  }

  /** Resolves once no query is reading the log, so it can be closed under none. */
  async drain(): Promise<void> {
    while (this.reading > 0) await new Promise<void>((resolve) => (this.drained = resolve));
  }

  private async read(key: string): Promise<{ state: S | undefined; size: number }> {
    let value: Buffer | null;
    try {
      value = (await this.logs.state.getByKey(key)).value;
    } catch (err) {
      if (isLogError(err, 'ERR_NOT_FOUND')) return { state: undefined, size: key.length };
      throw err;
    }
    if (value === null) return { state: undefined, size: key.length };
    return { state: this.def.fromJSON(decodeState(value, key).json), size: key.length + value.length };
  }
}

/** Deletes every record after the state log offset `at` (the newest checkpoint; -1: none). */
async function rollBackAfter(logs: GenerationLogs, at: number): Promise<void> {
  const log = logs.state;
  const end = await log.nextOffset();
  if (at + 1 >= end) return;
  const torn: number[] = [];
  for (let offset = at < 0 ? OffsetOldest : at + 1; ;) {
    const { messages, nextOffset } = await log.consume(offset, READ_BATCH);
    for (const m of messages) torn.push(m.offset);
    if (messages.length === 0 || nextOffset >= end) break;
    offset = nextOffset;
  }
  if (torn.length > 0) await deleteMulti(log, torn);
}
