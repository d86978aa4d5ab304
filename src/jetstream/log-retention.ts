/**
 * A JetStreamLog's retention: deletes of single messages, purges (trim,
 * compaction of updates) and the stream limits JetStream applies itself.
 */
import { OffsetNewest, OffsetOldest, type DeleteResult } from '../storage/index.js';
import {
  checkDate,
  checkDeleteArgs,
  checkNonNegative,
  checkOffset,
  describeValue,
  invalidArgument,
} from '../storage/backend-kit.js';
import type { StreamInfoJson } from './api.js';
import type { ReadRange } from './log-reads.js';
import type { LogState } from './log-state.js';
import type { Decoded } from './messages.js';

export interface StreamLimits {
  maxAgeMs?: number;
  maxMessages?: number;
  maxBytes?: number;
  maxMessagesPerKey?: number;
}

/** The reads retention needs: the messages of a range. */
export interface RangeReader {
  readRange(filter: string, offset: number, maxCount: number, byKey: boolean): Promise<ReadRange>;
}

const READ_BATCH = 1000;
const DELETE_CONCURRENCY = 64;

/** Keeps at most `limit` calls of fn running at once. */
async function eachLimited<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

export class Retention {
  readonly #s: LogState;
  readonly #reads: RangeReader;

  constructor(state: LogState, reads: RangeReader) {
    this.#s = state;
    this.#reads = reads;
  }

  async delete(offsets: Iterable<number>): Promise<DeleteResult> {
    const s = this.#s;
    s.ensureWritable();
    const { offsets: set } = checkDeleteArgs(offsets);
    if (set.size === 0) return { deleted: [], deletedSize: 0 };
    const sorted = [...set].sort((a, b) => a - b);
    return s.run(async () => {
      const info = await s.info();
      const firstSeq = info.state.first_seq;
      const lastSeq = s.knownLast;
      // Offsets past the end name nothing, as in the local log.
      while (sorted.length > 0 && sorted[sorted.length - 1]! >= lastSeq) sorted.pop();
      if (sorted.length === 0) return { deleted: [], deletedSize: 0 };
      const lo = sorted[0]!;
      const hi = sorted[sorted.length - 1]!;
      const found: Decoded[] = [];
      let coversHead = false;
      if (hi - lo + 1 <= 4 * sorted.length) {
        // Mostly contiguous: read the range. If it holds nothing but what goes and starts
        // at the stream's first message, one purge removes it all.
        let all = true;
        let offset = lo;
        while (offset <= hi) {
          const batch = await this.#reads.readRange(
            s.subjects.all,
            offset,
            Math.min(READ_BATCH, hi - offset + 1),
            false,
          );
          for (const d of batch.decoded) {
            if (d.message.offset > hi) break;
            if (set.has(d.message.offset)) found.push(d);
            else all = false;
          }
          if (batch.decoded.length === 0 || batch.nextOffset <= offset) break;
          offset = batch.nextOffset;
        }
        coversHead = all && lo + 1 <= firstSeq && found.length > 0;
      } else {
        await eachLimited(sorted, DELETE_CONCURRENCY, async (o) => {
          const raw = await s.get({ seq: o + 1 }, true);
          if (s.ours(raw)) found.push(s.decode(raw));
        });
        found.sort((a, b) => a.message.offset - b.message.offset);
      }
      let deleted = found;
      if (coversHead) {
        await s.api.purge(s.stream, { seq: found[found.length - 1]!.message.offset + 2 });
      } else {
        const gone = new Set<Decoded>();
        await eachLimited(found, DELETE_CONCURRENCY, async (d) => {
          if (!(await s.api.deleteMsg(s.stream, d.message.offset + 1))) gone.add(d);
        });
        deleted = found.filter((d) => !gone.has(d));
      }
      return { deleted: deleted.map((d) => d.message), deletedSize: deleted.reduce((n, d) => n + d.size, 0) };
    });
  }

  async trimBefore(offset: number): Promise<number> {
    const s = this.#s;
    s.ensureWritable();
    checkOffset('offset', offset);
    if (offset === OffsetOldest) return 0;
    return s.run(async () => {
      const seq = offset === OffsetNewest ? (await s.refreshLast()) + 1 : offset + 1;
      return s.api.purge(s.stream, { seq });
    });
  }

  async trimToCount(count: number): Promise<number> {
    const s = this.#s;
    s.ensureWritable();
    checkNonNegative('count', count);
    return s.run(() => s.api.purge(s.stream, { keep: count }));
  }

  /** See JetStreamLog.compactUpdates. */
  async compactUpdates(before?: Date): Promise<number> {
    const s = this.#s;
    s.ensureWritable();
    if (before !== undefined) checkDate('before', before);
    return s.run(async () => {
      let purged = 0;
      if (before === undefined) {
        const info = await s.info(s.subjects.all);
        const many = Object.entries(info.state.subjects ?? {}).filter(
          ([subject, n]) => n > 1 && subject !== s.subjects.gap,
        );
        await eachLimited(many, 16, async ([filter]) => {
          purged += await s.api.purge(s.stream, { filter, keep: 1 });
        });
        return purged;
      }
      const limit = before.getTime() * 1000;
      const newest = new Map<string, { subject: string; offset: number; count: number }>();
      let offset: number = OffsetOldest;
      scan: for (;;) {
        const r = await this.#reads.readRange(s.subjects.all, offset, READ_BATCH, false);
        for (const { message: m } of r.decoded) {
          if (m.timeMicros > limit) break scan;
          const subject = s.subjects.forKey('key', m.key);
          const e = newest.get(subject);
          if (e) {
            e.offset = m.offset;
            e.count++;
          } else newest.set(subject, { subject, offset: m.offset, count: 1 });
        }
        if (r.decoded.length === 0 || r.nextOffset <= offset) break;
        offset = r.nextOffset;
      }
      const many = [...newest.values()].filter((e) => e.count > 1);
      await eachLimited(many, 16, async (e) => {
        purged += await s.api.purge(s.stream, { filter: e.subject, seq: e.offset + 1 });
      });
      return purged;
    });
  }

  async setLimits(limits: StreamLimits): Promise<void> {
    const s = this.#s;
    s.ensureWritable();
    const cfg = limitsConfig(limits);
    await s.run(async () => {
      const info = await s.info();
      await s.api.streamUpdate({ ...info.config, ...cfg });
    });
  }
}

export function limitsConfig(limits: StreamLimits): Partial<StreamInfoJson['config']> {
  if (typeof limits !== 'object' || limits === null)
    throw invalidArgument(`limits must be an object, got ${describeValue(limits)}`);
  const out: Partial<StreamInfoJson['config']> = {};
  if (limits.maxAgeMs !== undefined)
    out.max_age = Math.round(checkNonNegative('limits.maxAgeMs', limits.maxAgeMs) * 1e6);
  if (limits.maxMessages !== undefined) out.max_msgs = checkNonNegative('limits.maxMessages', limits.maxMessages) || -1;
  if (limits.maxBytes !== undefined) out.max_bytes = checkNonNegative('limits.maxBytes', limits.maxBytes) || -1;
  if (limits.maxMessagesPerKey !== undefined)
    out.max_msgs_per_subject = checkNonNegative('limits.maxMessagesPerKey', limits.maxMessagesPerKey) || -1;
  return out;
}
