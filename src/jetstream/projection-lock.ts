/**
 * Who runs a projection: the runner whose owner record stands in the
 * catalog. The holder answers on its own subject for as long as its
 * connection lives; a runner that finds the record held asks the holder,
 * and replaces the record (compare-and-set) only when nobody answers: the
 * holder closed without letting go, its process died, or the server dropped
 * its connection. No clocks and no lease to renew: a crashed runner's
 * projection can be taken over at once.
 *
 * The limit: a holder cut off from the servers until they drop its
 * connection loses the projection without knowing it. Its writes are then
 * refused by the server (state logs are single-writer, the generation pointer
 * is compare-and-set), so it fails with ERR_LOCKED instead of writing beside
 * the new holder.
 */
import os from 'node:os';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { nuid } from './nats.js';
import { LogError } from '../storage/index.js';
import { isNoResponders, isRetryable } from './errors.js';
import type { Catalog } from './projection-catalog.js';

interface Holder {
  owner: string;
  host: string;
  pid: number;
  since: string;
}

/** Tries to take a record that changes under it this many times before giving up. */
const ATTEMPTS = 3;

export class ProjectionLock {
  private constructor(
    private readonly catalog: Catalog,
    private readonly key: string,
    private readonly subscription: Subscription,
    private readonly offset: number,
  ) {}

  /** Takes projection `projection` for this process; ERR_LOCKED when a live runner holds it. */
  static async acquire(catalog: Catalog, projection: string, timeoutMs: number): Promise<ProjectionLock> {
    const nc = catalog.log.connection;
    const me: Holder = { owner: nuid.next(), host: os.hostname(), pid: process.pid, since: new Date().toISOString() };
    const answer = JSON.stringify(me);
    const subscription = nc.subscribe(catalog.names.ownerSubject(me.owner), {
      callback: (_err, m) => void m.respond(answer),
    });
    try {
      // The server must know the subscription before anyone can read the record and ask.
      await nc.flush();
      const key = catalog.names.ownerKey(projection);
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const record = await catalog.read(key);
        const holder = parseHolder(record?.value ?? null);
        if (holder && (await answers(nc, catalog.names.ownerSubject(holder.owner), timeoutMs))) {
          throw new LogError(
            'ERR_LOCKED',
            `projection "${projection}" is run by another runner (process ${holder.pid} on ${holder.host}, since ${holder.since}); close that one first`,
          );
        }
        const offset = await catalog.replace(key, record?.offset, answer);
        if (offset !== undefined) return new ProjectionLock(catalog, key, subscription, offset);
      }
      throw new LogError(
        'ERR_LOCKED',
        `projection "${projection}" is being taken by other runners at the same time; try again`,
      );
    } catch (err) {
      subscription.unsubscribe();
      throw err;
    }
  }

  /** Lets the projection go: stops answering, then clears the record if it is still this runner's. */
  async release(): Promise<void> {
    // Best effort, both: once nobody answers (a closed connection answers nothing), the record is free to take anyway.
    try {
      this.subscription.unsubscribe();
    } catch {
      // the connection is already gone
    }
    await this.catalog.replace(this.key, this.offset, null).catch(() => undefined);
  }
}

function parseHolder(value: string | null): Holder | undefined {
  if (value === null) return undefined;
  try {
    const h = JSON.parse(value) as Partial<Holder>;
    return typeof h.owner === 'string' && h.owner.length > 0 ? (h as Holder) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether anyone answers on `subject`; one that does not answer in time is taken to be alive (and slow). */
async function answers(nc: NatsConnection, subject: string, timeoutMs: number): Promise<boolean> {
  try {
    await nc.request(subject, '', { timeout: timeoutMs });
    return true;
  } catch (err) {
    if (isNoResponders(err)) return false;
    if (isRetryable(err)) return true;
    throw err;
  }
}
