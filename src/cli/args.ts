/**
 * Parsers for command-line arguments. Each throws a usage CliError naming
 * the option and the accepted forms.
 */
import { OffsetNewest, OffsetOldest } from '../storage/index.js';
import { parseTimeMicros as parseTime } from '../log-tools/index.js';
import { toCliError, usageError } from './errors.js';

/** A non-negative offset. */
export function parseOffset(text: string, what = 'offset'): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (Number.isSafeInteger(n)) return n;
  }
  throw usageError(`${what} must be a whole number >= 0, got '${text}'`);
}

/** An offset, or `oldest` / `newest`. */
export function parseStartOffset(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'oldest') return OffsetOldest;
  if (t === 'newest') return OffsetNewest;
  if (/^\d+$/.test(t) && Number.isSafeInteger(Number(t))) return Number(t);
  throw usageError(`--from must be an offset (a whole number >= 0), 'oldest' or 'newest', got '${text}'`);
}

/** A count >= min. */
export function parseCount(text: string, what: string, min = 0): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (Number.isSafeInteger(n) && n >= min) return n;
  }
  throw usageError(`${what} must be a whole number >= ${min}, got '${text}'`);
}

/** Offsets: `7`, `3-9` (inclusive), or several of them separated by commas. */
export function parseOffsetList(items: string[]): number[] {
  const out: number[] = [];
  for (const item of items.flatMap((i) => i.split(','))) {
    const t = item.trim();
    if (t === '') continue;
    const range = /^(\d+)(?:-|\.\.)(\d+)$/.exec(t);
    if (range) {
      const from = parseOffset(range[1]!);
      const to = parseOffset(range[2]!);
      if (to < from) throw usageError(`offset range '${item}' runs backwards; write it as ${to}-${from}`);
      if (to - from >= 10_000_000)
        throw usageError(`offset range '${item}' is too large for one delete; use trim --offset`);
      for (let o = from; o <= to; o++) out.push(o);
    } else {
      out.push(parseOffset(t));
    }
  }
  if (out.length === 0) throw usageError('give at least one offset to delete, like 7 or 3-9');
  return out;
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A duration in milliseconds: `500ms`, `30s`, `15m`, `2h`, `7d`, `1w`, or combined like `1h30m`. */
export function parseDuration(text: string, what: string): number {
  const t = text.trim().toLowerCase();
  const parts = t.match(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g);
  if (parts && parts.join('') === t) {
    let ms = 0;
    for (const p of parts) {
      const [, n, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(p)!;
      ms += Number(n) * DURATION_UNITS[unit]!;
    }
    return Math.round(ms);
  }
  if (t === '0') return 0;
  throw usageError(`${what} must be a duration like 30s, 15m, 2h, 7d or 1w, got '${text}'`);
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** A byte size: `4096`, `512k`, `10MiB`, `1GB`. */
export function parseSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw usageError(`${what} must be a size like 4096, 512k, 10MiB or 1GB, got '${text}'`);
  const n = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(n)) throw usageError(`${what} is too large: '${text}'`);
  return n;
}

/** A time as microseconds since the epoch (ISO 8601 or `now`, as log-tools parses it); a usage error naming `what` otherwise. */
export function parseTimeMicros(text: string, what: string): number {
  try {
    return parseTime(text, what);
  } catch (err) {
    throw toCliError(err);
  }
}

/** `--age`: a duration back from now, or an ISO time; the cut-off as a Date. */
export function parseBefore(text: string, what: string): Date {
  if (/^\d+(?:\.\d+)?(ms|s|m|h|d|w)/i.test(text.trim()) || text.trim() === '0') {
    return new Date(Date.now() - parseDuration(text, what));
  }
  try {
    return new Date(Math.floor(parseTimeMicros(text, what) / 1000));
  } catch {
    throw usageError(`${what} must be a duration like 30s, 2h or 7d, or an ISO 8601 time, got '${text}'`);
  }
}

/** A key or value given on the command line: UTF-8, or base64 with --base64. */
export function parseBytes(text: string, base64: boolean, what: string): Buffer {
  if (!base64) return Buffer.from(text, 'utf8');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text) || text.length % 4 === 1) {
    throw usageError(`${what} must be base64 with --base64, got '${text}'`);
  }
  return Buffer.from(text, 'base64');
}
