/**
 * A projection's generations in JetStream (see projection-names.ts for the
 * layout): a state stream and a dead-letter stream per generation, and the
 * pointer to the one in use as a catalog record. The pointer switches with
 * one compare-and-set publish, acknowledged once the stream's replicas hold
 * it: atomic and durable, and refused to a runner that no longer holds the
 * projection. A generation the pointer does not name is a rebuild that never
 * finished; its streams are deleted when the projection opens.
 */
import type { GenerationLogs, GenerationStore } from '../projections/backend-kit.js';
import { LogError } from '../storage/index.js';
import type { Api } from './api.js';
import { ApiError, ErrCode, toPublicError } from './errors.js';
import type { JetStreamLog } from './log.js';
import { openJetStream, type JetStreamOptions } from './open.js';
import type { Catalog } from './projection-catalog.js';
import { ProjectionLock } from './projection-lock.js';
import type { StreamPlace } from './projection-names.js';

/** What the generations of every projection of one store share. */
export interface StoreContext {
  readonly catalog: Catalog;
  readonly api: Api;
  /** Options of every generation log the store opens (its connection, replicas, storage). */
  readonly logOptions: Omit<JetStreamOptions, 'stream' | 'subjectPrefix'>;
}

export interface Pointer {
  /** The generation the pointer names; undefined when there is none or it is unreadable (then nothing is trusted). */
  current: number | undefined;
  /** The pointer record's offset in the catalog, for the next compare-and-set. */
  offset: number | undefined;
}

export async function readPointer(ctx: StoreContext, projection: string): Promise<Pointer> {
  const record = await ctx.catalog.read(ctx.catalog.names.pointerKey(projection));
  const current = record?.value != null && /^\d+$/.test(record.value) ? Number(record.value) : undefined;
  return { current, offset: record?.offset };
}

/** The generations of `projection` that have streams, in order. */
export async function listGenerations(ctx: StoreContext, projection: string): Promise<number[]> {
  const names = ctx.catalog.names;
  const streams = await publicly('list the generations of projection ' + projection, () =>
    ctx.api.streamNames(names.generationsFilter(projection)),
  );
  const ids = new Set<number>();
  for (const stream of streams) {
    const id = names.generationOf(projection, stream);
    if (id !== undefined) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

export class JetStreamGenerations implements GenerationStore {
  private constructor(
    private readonly ctx: StoreContext,
    private readonly projection: string,
    private readonly lock: ProjectionLock,
    public current: number | undefined,
    private pointerOffset: number | undefined,
    private highest: number,
    private readonly closed: () => Promise<void>,
  ) {}

  /** Takes the projection (ERR_LOCKED when another runner holds it) and deletes unfinished rebuilds; `closed` runs after close. */
  static async open(ctx: StoreContext, projection: string, closed: () => Promise<void>): Promise<JetStreamGenerations> {
    const lock = await ProjectionLock.acquire(ctx.catalog, projection, ctx.logOptions.timeoutMs ?? 5000);
    try {
      const pointer = await readPointer(ctx, projection);
      // Every number seen counts, removed ones too, as in a directory: a generation number is not reused.
      const seen = await listGenerations(ctx, projection);
      for (const id of seen) if (id !== pointer.current) await deleteGeneration(ctx, projection, id);
      // A pointer to a generation that is gone is as good as none: start afresh.
      const current = seen.includes(pointer.current ?? NaN) ? pointer.current : undefined;
      const highest = Math.max(0, pointer.current ?? 0, ...seen);
      return new JetStreamGenerations(ctx, projection, lock, current, pointer.offset, highest, closed);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  fresh(): number {
    return ++this.highest;
  }

  async open(id: number): Promise<GenerationLogs> {
    const places = this.ctx.catalog.names.generation(this.projection, id);
    const state = await this.openLog(places.state);
    try {
      return { id, state, deadLetter: await this.openLog(places.deadLetter) };
    } catch (err) {
      await state.close();
      throw err;
    }
  }

  private openLog(place: StreamPlace): Promise<JetStreamLog> {
    // Single-writer: a runner that lost the projection to another cannot write beside it.
    return openJetStream({ ...this.ctx.logOptions, ...place, singleWriter: true });
  }

  async release(logs: GenerationLogs): Promise<void> {
    await Promise.all([logs.state.close(), logs.deadLetter.close()]);
  }

  async switchTo(id: number): Promise<void> {
    const offset = await this.ctx.catalog.replace(
      this.ctx.catalog.names.pointerKey(this.projection),
      this.pointerOffset,
      String(id),
    );
    if (offset === undefined) {
      throw new LogError(
        'ERR_LOCKED',
        `the generation pointer of projection "${this.projection}" was moved by another runner: this one no longer holds the projection`,
      );
    }
    this.pointerOffset = offset;
    this.current = id;
  }

  async remove(id: number): Promise<void> {
    // An invariant of the runner, which switches to a new generation before removing the old: never a user's error.
    if (id === this.current) throw new Error(`generation ${id} is in use`);
    await deleteGeneration(this.ctx, this.projection, id);
  }

  async close(): Promise<void> {
    try {
      await this.lock.release();
    } finally {
      await this.closed();
    }
  }
}

async function deleteGeneration(ctx: StoreContext, projection: string, id: number): Promise<void> {
  const places = ctx.catalog.names.generation(projection, id);
  for (const { stream } of [places.state, places.deadLetter]) {
    await publicly(`delete stream ${stream}`, async () => {
      try {
        await ctx.api.streamDelete(stream);
      } catch (err) {
        if (!(err instanceof ApiError && err.errCode === ErrCode.StreamNotFound)) throw err;
      }
    });
  }
}

async function publicly<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toPublicError(err, false, what);
  }
}
