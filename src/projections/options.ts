/** Options of a projection and of its queries, checked once: each failure names the option. */
import { invalidArgument } from '../storage/backend-kit.js';
import type { CompactionOptions } from './compactor.js';
import type { CacheOptions } from './generation.js';

export type RestoringPolicy = 'wait' | 'fail';

export interface ProjectionOptions {
  /** Where a projection with no state yet starts: the oldest event (default) or the source's current end. */
  startAt?: 'beginning' | 'end';
  /** Most events per source read (default 1000). */
  batchSize?: number;
  /**
   * While catching up, commit once `maxDelayMs` passed since the first event
   * not yet committed (default 1000), or `maxKeys` keys have changed (default
   * 50,000: what a commit holds in memory and writes), or `maxEvents` events
   * were read (default 1,000,000). Fewer commits write fewer states: a key
   * changed many times between two commits is written once. Caught up, every
   * batch is committed at once. Behind the head the next events are read
   * while a commit is written, so up to twice maxKeys states are held.
   */
  commit?: { maxEvents?: number; maxKeys?: number; maxDelayMs?: number };
  /** The hot-state cache: entries or bytes (default 10,000 entries). */
  cache?: CacheOptions;
  /** Background compaction of the state log; off unless given. */
  compaction?: CompactionOptions;
  /** An event that cannot be applied: 'stop' (default, the projection fails naming its offset) or 'skip' (recorded as a dead letter). */
  onError?: 'stop' | 'skip';
  /** What a query without upTo does while the projection catches up, unless it says otherwise: 'fail' (default) or 'wait'. */
  whileRestoring?: RestoringPolicy;
  /** fdatasync each commit before it counts (default true). Without it a crash of the process is still safe, a power loss is not. */
  sync?: boolean;
}

/**
 * When a query answers. Every refusal is a ProjectionNotReadyError naming the
 * state the projection is in (`restoring`, `running`, `stopped`, `failed` or
 * `closed`) and how far it has committed.
 */
export interface QueryOptions {
  /**
   * A query without upTo, while the projection catches up (`restoring`):
   * 'wait' until it has caught up, or 'fail' at once. Default: the
   * projection's whileRestoring. Running, it answers at once from what is
   * committed (which may not hold your last write yet: use upTo for that);
   * stopped, failed or closed, it fails.
   */
  whileRestoring?: RestoringPolicy;
  /**
   * Read your writes: answer once the projection has applied and committed
   * the source through this position (the `meta.position` of the last event
   * you appended, or the offset you published), as `waitFor(upTo)` does: at
   * once when it has, in any state but closed; else waiting, while it
   * restores (whatever whileRestoring says) or runs (also during a rebuild);
   * a stopped or failed projection short of it fails at once.
   */
  upTo?: number;
  /** Most ms to wait, for the catch-up or for upTo; then ProjectionNotReadyError. Default: no limit. */
  timeoutMs?: number;
  /** Aborting it ends the wait with ProjectionNotReadyError (its `cause` is the signal's reason). */
  signal?: AbortSignal;
}

export interface ResolvedOptions {
  startAt: 'beginning' | 'end';
  batchSize: number;
  maxEvents: number;
  maxKeys: number;
  maxDelayMs: number;
  cache: CacheOptions;
  compaction: CompactionOptions | undefined;
  onError: 'stop' | 'skip';
  whileRestoring: RestoringPolicy;
  sync: boolean;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  // Objects are named above, so String(v) only meets primitives and functions.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(v);
}

function object(name: string, v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw invalidArgument(`${name} must be an object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!allowed.includes(v as T))
    throw invalidArgument(`${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${describe(v)}`);
  return v as T;
}

function integer(name: string, v: unknown, min: number, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    throw invalidArgument(`${name} must be an integer >= ${min}, got ${describe(v)}`);
  return v;
}

function optionalInteger(name: string, v: unknown, min: number): number | undefined {
  return v === undefined ? undefined : integer(name, v, min);
}

export function resolveOptions(options: unknown, name = 'options'): ResolvedOptions {
  const o = object(name, options);
  const commit = object(`${name}.commit`, o.commit);
  const cache = object(`${name}.cache`, o.cache);
  if (o.sync !== undefined && typeof o.sync !== 'boolean')
    throw invalidArgument(`${name}.sync must be a boolean, got ${describe(o.sync)}`);
  let compaction: CompactionOptions | undefined;
  if (o.compaction !== undefined) {
    const c = object(`${name}.compaction`, o.compaction);
    compaction = {
      everyMs: integer(`${name}.compaction.everyMs`, c.everyMs, 1),
      ageMs: integer(`${name}.compaction.ageMs`, c.ageMs, 0, 0),
      backoffMs: integer(`${name}.compaction.backoffMs`, c.backoffMs, 0, 10),
    };
  }
  return {
    startAt: oneOf(`${name}.startAt`, o.startAt, ['beginning', 'end'], 'beginning'),
    batchSize: integer(`${name}.batchSize`, o.batchSize, 1, 1000),
    maxEvents: integer(`${name}.commit.maxEvents`, commit.maxEvents, 1, 1_000_000),
    maxKeys: integer(`${name}.commit.maxKeys`, commit.maxKeys, 1, 50_000),
    maxDelayMs: integer(`${name}.commit.maxDelayMs`, commit.maxDelayMs, 0, 1000),
    cache: {
      maxEntries: optionalInteger(`${name}.cache.maxEntries`, cache.maxEntries, 1),
      maxBytes: optionalInteger(`${name}.cache.maxBytes`, cache.maxBytes, 1),
    },
    compaction,
    onError: oneOf(`${name}.onError`, o.onError, ['stop', 'skip'], 'stop'),
    whileRestoring: oneOf(`${name}.whileRestoring`, o.whileRestoring, ['wait', 'fail'], 'fail'),
    sync: o.sync ?? true,
  };
}

export function resolveQueryOptions(
  options: unknown,
  fallback: RestoringPolicy,
  name = 'options',
): Required<Pick<QueryOptions, 'whileRestoring'>> & Omit<QueryOptions, 'whileRestoring'> {
  const o = object(name, options);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw invalidArgument(`${name}.signal must be an AbortSignal`);
  return {
    whileRestoring: oneOf(`${name}.whileRestoring`, o.whileRestoring, ['wait', 'fail'], fallback),
    timeoutMs: optionalInteger(`${name}.timeoutMs`, o.timeoutMs, 0),
    signal: o.signal,
    upTo: optionalInteger(`${name}.upTo`, o.upTo, 0),
  };
}

/** A key argument of a query. */
export function checkKey(name: string, key: unknown): string {
  if (typeof key !== 'string' || key.length === 0)
    throw invalidArgument(`${name} must be a non-empty string, got ${describe(key)}`);
  return key;
}
