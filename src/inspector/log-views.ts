/**
 * The log views of the inspector's API: overview (segments, counts, a
 * histogram of messages over time), pages of messages by offset, one
 * message, messages by key and the first message at or after a time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OffsetNewest, OffsetOldest, isLogError } from '../storage/index.js';
import type { Log, Message } from '../storage/index.js';
import { fileSizeOrNull, fileVersion, formatTimeMicros, listSegments } from '../log-tools/index.js';
import type { OpenLog } from './catalog.js';
import { notFound } from './http.js';
import { showBytes, showMessage } from './render.js';
import type {
  KeyResult,
  Overview,
  Page,
  SegmentView,
  ShownMessage,
  TimeResult,
  Timeline,
} from './browser/api-types.js';

const BATCH = 1000;
/** Most messages a key or time search reads without an index before it answers (with a place to continue). */
export const SCAN_BUDGET = 200_000;

// ---------------------------------------------------------------- overview

function segmentViews(dir: string): SegmentView[] {
  const segs = listSegments(dir);
  return segs.map((s, i) => {
    const next = segs[i + 1];
    return {
      offset: s.offset,
      file: path.basename(s.logPath),
      ...(next && { lastOffset: next.offset - 1 }),
      head: next === undefined,
      logVersion: fileVersion(s.logPath, 'log'),
      logSize: fileSizeOrNull(s.logPath) ?? 0,
      indexVersion: fileVersion(s.indexPath, 'index'),
      indexSize: fileSizeOrNull(s.indexPath),
      indexFlags: indexFlags(s.indexPath),
    };
  });
}

/** Flags byte of a V2 index header (after the 6-byte magic and a version byte): bit 0 times, bit 1 keys. */
function indexFlags(file: string): { keys: boolean; times: boolean } | null {
  if (fileVersion(file, 'index') !== 'V2') return null;
  const head = Buffer.alloc(8);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    if (fs.readSync(fd, head, 0, 8, 0) < 8) return null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return { keys: (head[7]! & 2) !== 0, times: (head[7]! & 1) !== 0 };
}

/** Logs with up to this many messages (and bytes) are counted exactly; larger ones from a sample. */
const EXACT_TIMELINE = 20_000;
const EXACT_TIMELINE_BYTES = 64 << 20;
const SAMPLES = 2000;
const BUCKETS = 60;

async function messageTimes(
  log: Log,
  first: number,
  end: number,
  messages: number,
  bytes: number,
): Promise<{ times: number[]; sampled: boolean }> {
  const times: number[] = [];
  if (messages <= EXACT_TIMELINE && bytes <= EXACT_TIMELINE_BYTES) {
    for (let offset = first; offset < end;) {
      const r = await log.consume(offset, BATCH);
      for (const m of r.messages) times.push(m.timeMicros);
      if (r.messages.length === 0 && r.nextOffset <= offset) break;
      offset = r.nextOffset;
    }
    return { times, sampled: false };
  }
  const step = (end - first) / SAMPLES;
  let last = -1;
  for (let i = 0; i < SAMPLES; i++) {
    const at = Math.max(first + Math.floor(i * step), last + 1);
    if (at >= end) break;
    const m = (await log.consume(at, 1)).messages[0];
    if (!m) continue;
    times.push(m.timeMicros);
    last = m.offset;
  }
  return { times, sampled: true };
}

/** A histogram of `messages` messages (`bytes` in all) over time, in BUCKETS buckets between the first and last time. */
export async function timeline(
  log: Log,
  first: number | null,
  end: number,
  messages: number,
  bytes: number,
): Promise<Timeline> {
  const empty: Timeline = {
    fromMicros: 0,
    bucketMicros: 0,
    counts: [],
    sampled: false,
    firstTime: null,
    lastTime: null,
  };
  if (first === null || messages === 0) return empty;
  const { times, sampled } = await messageTimes(log, first, end, messages, bytes);
  if (times.length === 0) return empty;
  let min = Infinity;
  let max = -Infinity;
  for (const t of times) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const bucketMicros = Math.max(1, Math.ceil((max - min + 1) / BUCKETS));
  const counts = new Array<number>(BUCKETS).fill(0);
  const weight = messages / times.length;
  for (const t of times) counts[Math.min(BUCKETS - 1, Math.floor((t - min) / bucketMicros))]! += weight;
  return {
    fromMicros: min,
    bucketMicros,
    counts: counts.map((c) => Math.round(c)),
    sampled,
    firstTime: formatTimeMicros(min),
    lastTime: formatTimeMicros(max),
  };
}

/** The offset of the oldest message still stored, or null when there is none. */
export async function firstOffset(log: Log): Promise<number | null> {
  return (await log.consume(OffsetOldest, 1)).messages[0]?.offset ?? null;
}

export class OverviewCache {
  private readonly cached = new Map<string, { stamp: string; timeline: Timeline }>();

  async overview(dir: string, { log, index }: OpenLog): Promise<Overview> {
    const stats = await log.stat();
    const nextOffset = await log.nextOffset();
    const first = await firstOffset(log);
    const stamp = `${stats.messages}/${stats.size}/${nextOffset}/${first}`;
    let hit = this.cached.get(dir);
    if (hit?.stamp !== stamp) {
      hit = { stamp, timeline: await timeline(log, first, nextOffset, stats.messages, stats.size) };
      this.cached.set(dir, hit);
    }
    return {
      dir,
      messages: stats.messages,
      size: stats.size,
      segments: stats.segments,
      firstOffset: first,
      nextOffset,
      keyIndex: index.keyIndex,
      timeIndex: index.timeIndex,
      indexFrom: index.source,
      segmentFiles: segmentViews(dir),
      timeline: hit.timeline,
    };
  }
}

// ---------------------------------------------------------------- pages

/** Up to `limit` messages from `from` on, reading across segments. */
async function readFrom(
  log: Log,
  from: number,
  end: number,
  limit: number,
): Promise<{ messages: Message[]; nextOffset: number }> {
  const messages: Message[] = [];
  let offset = from;
  while (messages.length < limit && offset < end) {
    const r = await log.consume(offset, limit - messages.length);
    messages.push(...r.messages);
    if (r.messages.length === 0 && r.nextOffset <= offset) break;
    offset = r.nextOffset;
  }
  return { messages, nextOffset: offset };
}

/** A page of `limit` messages from `from` (an offset, OffsetOldest, or OffsetNewest for the last page). */
export async function page(log: Log, from: number, limit: number): Promise<Page> {
  const end = await log.nextOffset();
  const first = await firstOffset(log);
  if (from > end) throw notFound(`offset ${from} is past the end of the log (next offset ${end})`);
  let start: number;
  if (from === OffsetOldest) start = first ?? end;
  else if (from === OffsetNewest) start = Math.max(first ?? end, end - limit);
  else start = Math.max(from, first ?? from);
  const { messages, nextOffset } = await readFrom(log, start, end, limit);
  return {
    from: start,
    messages: messages.map((m) => showMessage(log, m)),
    nextOffset,
    prevOffset: first === null || start <= first ? null : Math.max(first, start - limit),
    firstOffset: first,
    endOffset: end,
  };
}

/** One message, whole. */
export async function message(log: Log, offset: number): Promise<ShownMessage> {
  try {
    return showMessage(log, await log.get(offset), Infinity);
  } catch (err) {
    if (isLogError(err, 'ERR_NOT_FOUND'))
      throw notFound(`offset ${offset} is not in the log (deleted by delete, trim or compaction)`);
    if (isLogError(err, 'ERR_INVALID_OFFSET'))
      throw notFound(`offset ${offset} is not in the log (next offset ${await log.nextOffset()})`);
    throw err;
  }
}

// ---------------------------------------------------------------- searches

/** Reads from `from` until `limit` messages pass `keep`, or to the end, or to the scan budget. */
async function scan(
  log: Log,
  from: number,
  limit: number,
  keep: (m: Message) => boolean,
): Promise<{ found: Message[]; nextOffset: number; done: boolean }> {
  const end = await log.nextOffset();
  const found: Message[] = [];
  let offset = from;
  let read = 0;
  while (offset < end && read < SCAN_BUDGET) {
    const r = await log.consume(offset, BATCH);
    read += r.messages.length;
    for (const m of r.messages) {
      if (!keep(m)) continue;
      found.push(m);
      if (found.length >= limit) return { found, nextOffset: m.offset + 1, done: m.offset + 1 >= end };
    }
    if (r.messages.length === 0 && r.nextOffset <= offset) break;
    offset = r.nextOffset;
  }
  return { found, nextOffset: Math.max(offset, from), done: offset >= end || read < SCAN_BUDGET };
}

/** Messages with `key` from `from` on, and the newest one. */
export async function byKey({ log, index }: OpenLog, key: Buffer, from: number, limit: number): Promise<KeyResult> {
  const start = from === OffsetOldest ? OffsetOldest : from;
  if (index.keyIndex) {
    let latest: ShownMessage | null = null;
    try {
      latest = showMessage(log, await log.getByKey(key));
    } catch (err) {
      if (!isLogError(err, 'ERR_NOT_FOUND')) throw err;
    }
    const end = await log.nextOffset();
    const messages: Message[] = [];
    let offset = start;
    for (;;) {
      const r = await log.consumeByKey(key, offset, limit - messages.length);
      messages.push(...r.messages);
      const stuck = r.nextOffset <= offset;
      offset = r.nextOffset;
      if (messages.length >= limit || offset >= end || stuck) break;
    }
    return {
      key: showBytes(key, 512),
      indexed: true,
      latest,
      messages: messages.map((m) => showMessage(log, m)),
      nextOffset: offset,
      done: offset >= end,
    };
  }
  const { found, nextOffset, done } = await scan(
    log,
    start === OffsetOldest ? ((await firstOffset(log)) ?? 0) : start,
    limit,
    (m) => (m.key ?? Buffer.alloc(0)).equals(key),
  );
  return {
    key: showBytes(key, 512),
    indexed: false,
    latest: null,
    messages: found.map((m) => showMessage(log, m)),
    nextOffset,
    done,
  };
}

/** The first message stored at or after `micros` (microseconds since the epoch), searching from `from`. */
export async function byTime({ log, index }: OpenLog, micros: number, from: number): Promise<TimeResult> {
  let start = from === OffsetOldest ? ((await firstOffset(log)) ?? (await log.nextOffset())) : from;
  if (index.timeIndex && from === OffsetOldest) {
    try {
      // The index works in milliseconds; the scan below finds the exact microsecond.
      start = (await log.offsetByTime(new Date(Math.floor(micros / 1000)))).offset;
    } catch (err) {
      if (!isLogError(err, 'ERR_NOT_FOUND') && !isLogError(err, 'ERR_INVALID_OFFSET')) throw err;
      start = await log.nextOffset();
    }
  }
  const { found, nextOffset, done } = await scan(log, start, 1, (m) => m.timeMicros >= micros);
  const m = found[0];
  return {
    time: formatTimeMicros(micros),
    timeMicros: micros,
    indexed: index.timeIndex,
    found: m ? showMessage(log, m) : null,
    nextOffset,
    done: m !== undefined || done,
  };
}
