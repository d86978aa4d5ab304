/** Argument checks shared by the public functions: each failure names the argument. */
import { invalidArgument } from './errors.js';
import { MAX_BODY_SIZE } from './format/message-format.js';

const describe = (v: unknown): string => {
  if (v === null) return 'null';
  if (typeof v === 'number') return String(v);
  // The string itself, cut short: "got a string" would not show which one was wrong.
  if (typeof v === 'string')
    return v === '' ? 'an empty string' : `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (Array.isArray(v)) return 'an array';
  if (v === undefined || typeof v === 'boolean') return String(v);
  if (v instanceof Date && Number.isNaN(v.getTime())) return 'an invalid Date (its time is NaN)';
  const name = typeof v === 'object' ? (v.constructor?.name ?? 'Object') : typeof v;
  // A plain object reads as "an object", an instance by its class ("a Map"), never "a Object".
  if (name === 'Object') return 'an object';
  return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
};

/**
 * Refuses keys of `o` that are not among `names` (a misspelt option would
 * otherwise leave its default on without a word): `<where>.<key> is not an
 * option<of>; the options are ...`.
 */
export function refuseUnknownKeys(o: object, names: readonly string[], where: string, of = ''): void {
  for (const key of Object.keys(o)) {
    if ((o as Record<string, unknown>)[key] !== undefined && !names.includes(key))
      throw invalidArgument(`${where}.${key} is not an option${of}; the options are ${names.join(', ')}`);
  }
}

/** An offset as consume takes it: a safe integer >= 0, or OffsetOldest (-2) / OffsetNewest (-1). */
export function checkOffset(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < -2) {
    throw invalidArgument(
      `${name} must be an offset (an integer >= 0, or OffsetOldest / OffsetNewest), got ${describe(v)}`,
    );
  }
  return v;
}

export function checkInteger(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw invalidArgument(`${name} must be an integer, got ${describe(v)}`);
  return v;
}

/** A count of at least `min`. */
export function checkCount(name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw invalidArgument(`${name} must be an integer >= ${min}, got ${describe(v)}`);
  }
  return v;
}

/** A non-negative duration or size; fractions allowed where `integer` is false. */
export function checkNonNegative(name: string, v: unknown, integer = true): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isSafeInteger(v))) {
    throw invalidArgument(`${name} must be a non-negative ${integer ? 'integer' : 'number'}, got ${describe(v)}`);
  }
  return v;
}

export function checkDate(name: string, v: unknown): Date {
  if (!(v instanceof Date) || Number.isNaN(v.getTime()))
    throw invalidArgument(`${name} must be a valid Date, got ${describe(v)}`);
  return v;
}

export function checkString(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0)
    throw invalidArgument(`${name} must be a non-empty string, got ${describe(v)}`);
  return v;
}

export function checkSignal(name: string, v: unknown): AbortSignal | undefined {
  if (v === undefined) return undefined;
  if (!(v instanceof AbortSignal)) throw invalidArgument(`${name} must be an AbortSignal, got ${describe(v)}`);
  return v;
}

/** Bytes from a Uint8Array or a UTF-8 string; null and undefined are "no bytes". */
export function toBytes(name: string, v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v.length === 0 ? null : Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) {
    if (v.length === 0) return null;
    return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  throw invalidArgument(`${name} must be a Uint8Array, a string or null, got ${describe(v)}`);
}

/** A key argument of a lookup: bytes or a string (empty allowed: it is the null key). */
export function checkKey(name: string, v: unknown): Buffer | null {
  if (v === null || v === undefined)
    throw invalidArgument(`${name} must be a Uint8Array or a string, got ${describe(v)}`);
  return toBytes(name, v);
}

export function checkBodySize(name: string, key: Buffer | null, value: Buffer | null): void {
  const size = (key?.length ?? 0) + (value?.length ?? 0);
  if (size > MAX_BODY_SIZE) {
    throw invalidArgument(
      `${name}: key and value are ${size} bytes, over klevdb's limit of ${MAX_BODY_SIZE} bytes (64 MiB) per message; split the value`,
    );
  }
}

/** Microseconds since the epoch that every part of the system can hold exactly. */
export function checkTimeMicros(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw invalidArgument(`${name} must be a safe integer of microseconds since the epoch, got ${describe(v)}`);
  return v;
}

export { describe as describeValue };
