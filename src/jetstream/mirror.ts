/**
 * mirror: copies one log into another with offsets, keys, values and times
 * preserved — a local log into a JetStream stream when moving to a cluster,
 * and back (JetStreamLog.backup uses it). It continues from the
 * destination's next offset, so an interrupted mirror is resumed by running
 * it again, and a later run brings the copy up to date. Offsets the source
 * no longer holds (deleted, trimmed) are skipped in the destination too:
 * JetStream moves its first sequence or publishes placeholders it purges at
 * once; a local log gets placeholders it deletes.
 */
import {
  deleteMulti,
  LogError,
  OffsetOldest,
  type Log,
  type Message,
  type ProgressCallback,
  type PublishMessage,
} from '../storage/index.js';
import { invalidArgument, checkCount, checkSignal, describeValue } from '../storage/backend-kit.js';
import { skipsOffsets } from './skips-offsets.js';

export interface MirrorOptions {
  /** Messages per read and per publish (default 1000). */
  batchSize?: number;
  /** Called after each batch: done / total in offsets. */
  onProgress?: ProgressCallback;
  /** Stops between batches with ERR_ABORTED; what was copied stays, and the next run continues there. */
  signal?: AbortSignal;
}

export interface MirrorResult {
  /** Messages copied by this run. */
  copied: number;
  /** Offsets skipped because the source no longer holds them. */
  skipped: number;
  /** The destination's next offset: the source's as of the run's last read (what is published later is for the next run). */
  nextOffset: number;
}

function checkLogArg(name: string, v: unknown): asserts v is Log {
  const l = v as Partial<Log> | null;
  if (typeof l !== 'object' || l === null || typeof l.consume !== 'function' || typeof l.publish !== 'function') {
    throw invalidArgument(`mirror: ${name} must be a Log, got ${describeValue(v)}`);
  }
}

const same = (a: Message, b: Message): boolean =>
  a.offset === b.offset &&
  a.timeMicros === b.timeMicros &&
  (a.key === null ? b.key === null : b.key !== null && a.key.equals(b.key)) &&
  (a.value === null ? b.value === null : b.value !== null && a.value.equals(b.value));

async function getOrNull(log: Log, offset: number): Promise<Message | null> {
  try {
    return await log.get(offset);
  } catch (err) {
    if (err instanceof LogError && (err.code === 'ERR_NOT_FOUND' || err.code === 'ERR_INVALID_OFFSET')) return null;
    throw err;
  }
}

/** Copies what `dst` does not have yet from `src`; see the module comment. */
export async function mirror(src: Log, dst: Log, options: MirrorOptions = {}): Promise<MirrorResult> {
  checkLogArg('src', src);
  checkLogArg('dst', dst);
  if (typeof options !== 'object' || options === null)
    throw invalidArgument(`mirror: options must be an object, got ${describeValue(options)}`);
  const batch = options.batchSize === undefined ? 1000 : checkCount('mirror: options.batchSize', options.batchSize);
  const signal = checkSignal('mirror: options.signal', options.signal);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw invalidArgument('mirror: options.onProgress must be a function');
  const aborted = (): void => {
    if (signal?.aborted)
      throw new LogError('ERR_ABORTED', 'mirror was aborted; run it again to continue', { cause: signal.reason });
  };

  let total = await src.nextOffset();
  let cur = await dst.nextOffset();
  // Placeholders of an interrupted run are purged before anything else.
  if (skipsOffsets(dst)) await dst.skipTo(cur);
  if (cur > total) {
    throw invalidArgument(
      `mirror: the destination is ahead of the source (next offsets ${cur} and ${total}); it is not a copy of it`,
    );
  }
  if (cur > 0) {
    const [a, b] = await Promise.all([getOrNull(src, cur - 1), getOrNull(dst, cur - 1)]);
    if (a && b && !same(a, b)) {
      throw invalidArgument(
        `mirror: the destination's offset ${cur - 1} differs from the source's; it is not a copy of it`,
      );
    }
  }

  let copied = 0;
  let skipped = 0;
  let lastTime = 0;
  const progress = (): void =>
    options.onProgress?.({ operation: 'mirror', done: cur, total: Math.max(total, cur), unit: 'messages' });

  const skip = async (to: number, timeMicros: number): Promise<void> => {
    if (to <= cur) return;
    skipped += to - cur;
    if (skipsOffsets(dst)) {
      await dst.skipTo(to, timeMicros);
    } else {
      const first = cur;
      const next = await dst.publish(Array.from({ length: to - cur }, () => ({ key: null, value: null, timeMicros })));
      if (next !== to)
        throw invalidArgument(
          `mirror: the destination was written while mirroring (next offset ${next}, expected ${to})`,
        );
      await deleteMulti(
        dst,
        Array.from({ length: to - first }, (_, i) => first + i),
      );
    }
    cur = to;
  };

  const flush = async (pending: PublishMessage[]): Promise<void> => {
    if (pending.length === 0) return;
    const next = await dst.publish(pending);
    if (next !== cur + pending.length) {
      throw invalidArgument(
        `mirror: the destination was written while mirroring (next offset ${next}, expected ${cur + pending.length})`,
      );
    }
    cur = next;
    copied += pending.length;
    pending.length = 0;
  };

  progress();
  let offset = cur === 0 ? OffsetOldest : cur;
  // Where the source's last read ended: offsets below it that it did not
  // return were deleted. (Its nextOffset() asked afterwards may already count
  // messages published since, which are copied by the next run, not skipped.)
  let end: number;
  for (;;) {
    aborted();
    const { nextOffset, messages } = await src.consume(offset, batch);
    end = nextOffset;
    const pending: PublishMessage[] = [];
    for (const m of messages) {
      if (m.offset > cur + pending.length) {
        await flush(pending);
        await skip(m.offset, m.timeMicros);
      }
      pending.push({ key: m.key, value: m.value, timeMicros: m.timeMicros });
      lastTime = m.timeMicros;
    }
    await flush(pending);
    total = Math.max(total, nextOffset);
    progress();
    if (messages.length === 0 && nextOffset <= offset) break;
    if (messages.length === 0 && nextOffset <= cur) break;
    offset = nextOffset;
  }
  if (end > cur) await skip(end, lastTime);
  total = Math.max(total, end);
  progress();
  return { copied, skipped, nextOffset: cur };
}
