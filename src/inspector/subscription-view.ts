/**
 * The subscriptions view: the durable subscriptions (klevdb/streams
 * openSubscription) whose offsets live in the directory given as
 * --subscriptions: each one's committed position and when it was committed,
 * its lag behind the source log, and whether a consumer holds its lock.
 *
 * The layout is openSubscription's with a directory as `offsets`: the log
 * `<dir>/<name>/` holds commits (key = name, value `{"nextOffset": n}`, the
 * record's time the commit's), the lock is `<dir>/<name>.lock`.
 */
import path from 'node:path';
import { isLogError } from '../storage/index.js';
import { formatTimeMicros } from '../log-tools/index.js';
import type { SubscriptionSummary } from './browser/api-types.js';
import type { Catalog, LogEntry } from './catalog.js';
import { lockHolder, readLockTable } from './lock-holder.js';
import { parseJson } from './render.js';

/** The committed position a commit record holds, or why it cannot be read. */
function committedOf(value: Buffer | null): number | string {
  const parsed = value === null ? undefined : parseJson(value.toString('utf8'));
  if (parsed === undefined) return 'the commit record is not JSON';
  const next = (parsed.value as { nextOffset?: unknown } | null)?.nextOffset;
  if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 0)
    return 'the commit record has no valid nextOffset';
  return next;
}

export class SubscriptionViews {
  constructor(private readonly catalog: Catalog) {}

  async list(): Promise<SubscriptionSummary[]> {
    const entries = this.catalog.subscriptions();
    if (entries.length === 0) return [];
    const source = this.catalog.source;
    const head = source === undefined ? null : await (await this.catalog.open(source)).log.nextOffset();
    const locks = readLockTable();
    return Promise.all(entries.map((e) => this.summary(e, head, locks)));
  }

  private async summary(entry: LogEntry, head: number | null, locks: string[] | null): Promise<SubscriptionSummary> {
    const name = path.basename(entry.dir);
    const consumer = lockHolder(path.join(path.dirname(entry.dir), `${name}.lock`), locks);
    const none: SubscriptionSummary = {
      name,
      committed: null,
      committedAt: null,
      committedAgo: null,
      lag: null,
      sourceHead: head,
      consumer,
    };
    const { log } = await this.catalog.open(entry);
    let record;
    try {
      record = await log.getByKey(name);
    } catch (err) {
      if (isLogError(err, 'ERR_NOT_FOUND')) return none;
      throw err;
    }
    const committed = committedOf(record.value);
    if (typeof committed === 'string') return { ...none, problem: `${committed} (offset ${record.offset})` };
    return {
      ...none,
      committed,
      committedAt: formatTimeMicros(record.timeMicros),
      committedAgo: Math.max(0, Date.now() / 1000 - record.timeMicros / 1e6),
      lag: head === null ? null : Math.max(0, head - committed),
    };
  }
}
