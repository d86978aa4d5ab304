/**
 * Key and value codecs for typed logs, byte for byte those of klevdb's
 * typed_codec.go, so a typed log written by Go reads back here and the other
 * way round.
 *
 * Errors: bad input to encode is ERR_INVALID_ARGUMENT; stored bytes the codec
 * could not have written are ERR_CORRUPTED; well-formed stored values the
 * chosen TypeScript type cannot hold are ERR_RANGE. Messages start with the
 * codec's name and never mention an offset: the typed log knows the offset
 * and prefixes it (see typed.ts).
 */
import type { z, ZodType } from 'zod';
import { LogError, corrupted, invalidArgument } from './errors.js';

export interface Codec<T> {
  encode(t: T, empty: boolean): Buffer | null;
  decode(b: Buffer | null): { value: T; empty: boolean };
}

// The log reads zero stored bytes back as null, so a zero-length buffer is
// treated as null too (Go never sees the difference either).
const isAbsent = (b: Buffer | null): b is null => b === null || b.length === 0;

function describe(t: unknown): string {
  if (typeof t === 'number' || typeof t === 'bigint') return `${typeof t} ${String(t)}`;
  if (t === null) return 'null';
  return Array.isArray(t) ? 'an array' : typeof t;
}

function checkEmptyFlag(codec: string, empty: unknown): asserts empty is boolean {
  if (typeof empty !== 'boolean') {
    throw invalidArgument(
      `${codec}.encode: empty must be a boolean (false: encode the key you pass; true: no key, as published with a null key), got ${describe(empty)}`,
    );
  }
}

function checkBuffer(codec: string, b: unknown): asserts b is Buffer | null {
  if (b !== null && !Buffer.isBuffer(b)) {
    throw invalidArgument(`${codec}.decode: b must be a Buffer or null, got ${describe(b)}`);
  }
}

// --- JSON as Go's json.Marshal writes it -------------------------------------

const htmlSafe: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * JSON.stringify already escapes strings as Go does (\" \\ \b \f \n \r \t,
 * other controls as lowercase \u00xx) and formats numbers alike. Go differs
 * in escaping <, >, &, U+2028 and U+2029, and in writing invalid UTF-8 as
 * U+FFFD where JSON.stringify writes a lone surrogate as \udxxx. An escaped
 * backslash is matched first so that `\\ud800` (a literal backslash) stays.
 */
function goEscape(json: string): string {
  return json.replace(/\\\\|\\u(d[89a-f][0-9a-f]{2})|[<>&\u2028\u2029]/g, (match, surrogate?: string) => {
    if (surrogate !== undefined) return '\ufffd';
    return htmlSafe[match] ?? match;
  });
}

function childPath(parent: string, key: string, inArray: boolean): string {
  if (inArray) return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** JSON text of `t` exactly as Go's json.Marshal would write the same data. */
function marshal(codec: string, t: unknown): string {
  // Go refuses NaN, ±Inf and types JSON has no place for; JSON.stringify would
  // silently write null or throw a bare TypeError, so both are caught here with
  // the path of the offending field.
  const paths = new Map<object, string>();
  let text: string | undefined;
  try {
    text = JSON.stringify(t, function (this: object, key: string, v: unknown) {
      const path = paths.has(this) ? childPath(paths.get(this)!, key, Array.isArray(this)) : 't';
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw invalidArgument(`${codec}.encode: ${path} is ${v}, which JSON cannot hold`);
      }
      if (typeof v === 'bigint') {
        throw invalidArgument(
          `${codec}.encode: ${path} is a bigint, which JSON cannot hold; convert it to a string or number`,
        );
      }
      if (typeof v === 'object' && v !== null) paths.set(v, path);
      return v;
    });
  } catch (err) {
    if (err instanceof LogError) throw err;
    throw new LogError(
      'ERR_INVALID_ARGUMENT',
      `${codec}.encode: t cannot be written as JSON: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (text === undefined) {
    throw invalidArgument(
      `${codec}.encode: t is ${describe(t)}, which JSON cannot hold; pass empty=true to store no value`,
    );
  }
  return goEscape(text);
}

function unmarshal(codec: string, b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch (err) {
    throw new LogError('ERR_CORRUPTED', `${codec}.decode: stored bytes are not JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

// --- the codecs ---------------------------------------------------------------

/** UTF-8 bytes; ignores `empty` (as Go does), so "" is stored as no bytes. */
export const stringCodec: Codec<string> = {
  encode(t, empty) {
    checkEmptyFlag('stringCodec', empty);
    if (typeof t !== 'string') throw invalidArgument(`stringCodec.encode: t must be a string, got ${describe(t)}`);
    return Buffer.from(t, 'utf8');
  },
  decode(b) {
    checkBuffer('stringCodec', b);
    return { value: isAbsent(b) ? '' : b.toString('utf8'), empty: false };
  },
};

/** A JSON string, so "" (stored as `""`) and no string (stored as no bytes) differ. */
export const stringOptCodec: Codec<string> = {
  encode(t, empty) {
    checkEmptyFlag('stringOptCodec', empty);
    if (empty) return null;
    if (typeof t !== 'string') throw invalidArgument(`stringOptCodec.encode: t must be a string, got ${describe(t)}`);
    return Buffer.from(marshal('stringOptCodec', t), 'utf8');
  },
  decode(b) {
    checkBuffer('stringOptCodec', b);
    if (isAbsent(b)) return { value: '', empty: true };
    const parsed = unmarshal('stringOptCodec', b);
    // Go's json.Unmarshal leaves the string untouched for a JSON null.
    if (parsed === null) return { value: '', empty: false };
    if (typeof parsed !== 'string')
      throw corrupted(`stringOptCodec.decode: stored JSON is ${describe(parsed)}, not a string`);
    return { value: parsed, empty: false };
  },
};

// --- varints: Go's binary.AppendVarint / binary.Varint ------------------------

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const SMALL = 2 ** 30; // zigzag of |n| < 2^30 fits 32-bit integer arithmetic

function appendUvarint(ux: bigint): Buffer {
  const bytes: number[] = [];
  while (ux >= 0x80n) {
    bytes.push(Number(ux & 0x7fn) | 0x80);
    ux >>= 7n;
  }
  bytes.push(Number(ux));
  return Buffer.from(bytes);
}

function encodeVarint(n: number | bigint): Buffer {
  if (typeof n === 'number' && n > -SMALL && n < SMALL) {
    let ux = ((n << 1) ^ (n >> 31)) >>> 0;
    const bytes: number[] = [];
    while (ux >= 0x80) {
      bytes.push((ux & 0x7f) | 0x80);
      ux >>>= 7;
    }
    bytes.push(ux);
    return Buffer.from(bytes);
  }
  const v = BigInt(n);
  return appendUvarint(v < 0n ? ~(v << 1n) : v << 1n);
}

/** binary.Varint: at most 10 bytes; bytes after the varint are ignored, as in Go. */
function decodeVarint(codec: string, b: Buffer): bigint {
  let ux = 0n;
  for (let i = 0, shift = 0n; i < b.length; i++, shift += 7n) {
    const byte = b[i]!;
    if (i === 10 || (i === 9 && byte > 1)) {
      throw corrupted(`${codec}.decode: varint overflows 64 bits`);
    }
    ux |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return ux & 1n ? ~(ux >> 1n) : ux >> 1n;
  }
  throw corrupted(`${codec}.decode: varint is truncated (short buffer)`);
}

/** Zig-zag varint of a safe integer; values beyond ±(2^53-1) need varintBigCodec. */
export const varintCodec: Codec<number> = {
  encode(t, empty) {
    checkEmptyFlag('varintCodec', empty);
    if (empty) return null;
    if (!Number.isSafeInteger(t)) {
      throw invalidArgument(
        `varintCodec.encode: t must be a safe integer, got ${describe(t)}; use varintBigCodec for the full int64 range`,
      );
    }
    return encodeVarint(t);
  },
  decode(b) {
    checkBuffer('varintCodec', b);
    if (isAbsent(b)) return { value: 0, empty: true };
    if (b[0]! < 0x80) return { value: b[0]! & 1 ? -((b[0]! >> 1) + 1) : b[0]! >> 1, empty: false };
    const v = decodeVarint('varintCodec', b);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new LogError(
        'ERR_RANGE',
        `varintCodec.decode: ${v} is beyond Number's safe integer range; use varintBigCodec`,
      );
    }
    return { value: Number(v), empty: false };
  },
};

/** The bytes of varintCodec as bigint, over the whole int64 range. */
export const varintBigCodec: Codec<bigint> = {
  encode(t, empty) {
    checkEmptyFlag('varintBigCodec', empty);
    if (empty) return null;
    if (typeof t !== 'bigint' || t < INT64_MIN || t > INT64_MAX) {
      throw invalidArgument(`varintBigCodec.encode: t must be a bigint within int64 range, got ${describe(t)}`);
    }
    return encodeVarint(t);
  },
  decode(b) {
    checkBuffer('varintBigCodec', b);
    if (isAbsent(b)) return { value: 0n, empty: true };
    return { value: decodeVarint('varintBigCodec', b), empty: false };
  },
};

// --- JSON values ---------------------------------------------------------------

/**
 * JSON as Go's json.Marshal writes it. Object keys keep their insertion order
 * (a Go struct keeps declaration order; Go sorts map keys, so write maps with
 * sorted keys to get Go's bytes). An empty value decodes as null, the closest
 * thing TypeScript has to Go's zero T.
 */
export function jsonCodec<T>(): Codec<T> {
  return {
    encode(t, empty) {
      checkEmptyFlag('jsonCodec', empty);
      return empty ? null : Buffer.from(marshal('jsonCodec', t), 'utf8');
    },
    decode(b) {
      checkBuffer('jsonCodec', b);
      if (isAbsent(b)) return { value: null as T, empty: true };
      return { value: unmarshal('jsonCodec', b) as T, empty: false };
    },
  };
}

function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.reduce<string>(
      (parent, key) => childPath(parent, String(key), typeof key === 'number'),
      't',
    );
    return `at ${path}: ${issue.message}`;
  });
  const more = error.issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more issue(s)` : '');
}

/**
 * jsonCodec checked against a zod schema both ways. Encode stores what the
 * schema outputs (unknown keys stripped, defaults filled), so use schemas
 * whose output parses again (no transforms). A stored value the schema
 * rejects is ERR_RANGE: the bytes are fine, the type cannot hold them.
 */
export function zodCodec<S extends ZodType>(schema: S): Codec<z.infer<S>> {
  if (schema === null || typeof schema !== 'object' || typeof (schema as ZodType).safeParse !== 'function') {
    throw invalidArgument(`zodCodec: schema must be a zod schema, got ${describe(schema)}`);
  }
  return {
    encode(t, empty) {
      checkEmptyFlag('zodCodec', empty);
      if (empty) return null;
      const result = schema.safeParse(t);
      if (!result.success)
        throw invalidArgument(`zodCodec.encode: t does not match the schema ${describeIssues(result.error)}`);
      return Buffer.from(marshal('zodCodec', result.data), 'utf8');
    },
    decode(b) {
      checkBuffer('zodCodec', b);
      if (isAbsent(b)) return { value: null as z.infer<S>, empty: true };
      const result = schema.safeParse(unmarshal('zodCodec', b));
      if (!result.success) {
        throw new LogError(
          'ERR_RANGE',
          `zodCodec.decode: stored value does not match the schema ${describeIssues(result.error)}`,
        );
      }
      return { value: result.data, empty: false };
    },
  };
}
