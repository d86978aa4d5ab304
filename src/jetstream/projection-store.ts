/**
 * jetStreamProjectionStore: a projection runner's state in JetStream instead
 * of a local directory, so it lives on the cluster rather than on one
 * machine:
 *
 *   new ProjectionRunner({ store: jetStreamProjectionStore({ servers, replicas: 3 }) })
 *
 * Every projection of the runner shares one connection, made when the first
 * one opens and closed when the last one closes (a connection passed in is
 * never closed). Streams are laid out as projection-names.ts describes.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { GenerationStore, ProjectionStore } from '../projections/backend-kit.js';
import { invalidArgument, describeValue } from '../storage/backend-kit.js';
import { Api } from './api.js';
import { openJetStream } from './open.js';
import { connectWith, positive, storageKind, type ConnectionOptions } from './options.js';
import { Catalog } from './projection-catalog.js';
import { JetStreamGenerations, listGenerations, readPointer, type StoreContext } from './projection-generations.js';
import { checkProjectionName, checkStorePrefix, ProjectionNames, type GenerationPlaces } from './projection-names.js';

export interface JetStreamProjectionStoreOptions extends ConnectionOptions {
  /** Starts the name of every stream and subject of the store (default "klevdb-projections"). */
  prefix?: string;
  /** Replicas of the streams the store creates (default 1; 3 or 5 on a cluster). */
  replicas?: number;
  /** Storage of the streams the store creates (default 'file'). */
  storage?: 'file' | 'memory';
  /** How long one request may take (default 5000 ms). */
  timeoutMs?: number;
}

/** What the store holds for one projection. */
export interface StoredProjection {
  /** The generation in use; undefined when none is. */
  current: number | undefined;
  /** Every generation that has streams (a rebuild under way adds one). */
  generations: number[];
}

interface Session {
  nc: NatsConnection;
  owns: boolean;
  ctx: StoreContext;
}

export class JetStreamProjectionStore implements ProjectionStore {
  readonly names: ProjectionNames;
  private session: Promise<Session> | undefined;
  private users = 0;

  /** Use jetStreamProjectionStore(options), which checks them. */
  constructor(private readonly options: JetStreamProjectionStoreOptions & { prefix: string; timeoutMs: number }) {
    this.names = new ProjectionNames(options.prefix);
  }

  /** Takes projection `name`'s state for the caller (ERR_LOCKED when another runner holds it). */
  async open(name: string): Promise<GenerationStore> {
    checkProjectionName('name', name);
    const { ctx } = await this.acquire();
    try {
      return await JetStreamGenerations.open(ctx, name, () => this.release());
    } catch (err) {
      await this.release();
      throw err;
    }
  }

  /** What the store holds for projection `name`, read without taking it. */
  async describe(name: string): Promise<StoredProjection> {
    checkProjectionName('name', name);
    const { ctx } = await this.acquire();
    try {
      const [pointer, generations] = await Promise.all([readPointer(ctx, name), listGenerations(ctx, name)]);
      return { current: pointer.current, generations };
    } finally {
      await this.release();
    }
  }

  /** The streams of generation `id` of projection `name` (for tools such as the nats CLI). */
  streams(name: string, id: number): GenerationPlaces {
    checkProjectionName('name', name);
    if (!Number.isSafeInteger(id) || id < 1)
      throw invalidArgument(`id must be a generation number (an integer >= 1), got ${describeValue(id)}`);
    return this.names.generation(name, id);
  }

  private acquire(): Promise<Session> {
    this.users++;
    this.session ??= this.connect().catch((err: unknown) => {
      this.session = undefined;
      throw err;
    });
    return this.session.catch((err: unknown) => {
      this.users--;
      throw err;
    });
  }

  private async release(): Promise<void> {
    if (--this.users > 0 || !this.session) return;
    const session = this.session;
    this.session = undefined;
    const { nc, owns, ctx } = await session;
    await ctx.catalog.log.close();
    if (owns) await nc.close().catch(() => undefined);
  }

  private async connect(): Promise<Session> {
    const { nc, owns } = await connectWith(this.options);
    try {
      const { replicas, storage, timeoutMs } = this.options;
      const logOptions = { connection: nc, replicas, storage, timeoutMs };
      // One record per key: a catalog record is replaced, never appended to.
      const log = await openJetStream({ ...logOptions, ...this.names.catalog, limits: { maxMessagesPerKey: 1 } });
      return {
        nc,
        owns,
        ctx: { catalog: new Catalog(log, this.names), api: new Api(nc, timeoutMs, 30_000), logOptions },
      };
    } catch (err) {
      if (owns) await nc.close().catch(() => undefined);
      throw err;
    }
  }
}

/** A ProjectionRunner's `store` keeping every projection's state in JetStream streams. */
export function jetStreamProjectionStore(options: JetStreamProjectionStoreOptions = {}): JetStreamProjectionStore {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument(`options must be an object, got ${describeValue(options)}`);
  positive('options.replicas', options.replicas, 1);
  storageKind('options.storage', options.storage);
  if (
    options.connection !== undefined &&
    (typeof options.connection !== 'object' ||
      options.connection === null ||
      typeof options.connection.request !== 'function')
  ) {
    throw invalidArgument(`options.connection must be a NATS connection, got ${describeValue(options.connection)}`);
  }
  return new JetStreamProjectionStore({
    ...options,
    prefix: checkStorePrefix('options.prefix', options.prefix ?? 'klevdb-projections'),
    timeoutMs: positive('options.timeoutMs', options.timeoutMs, 5000),
  });
}
