/**
 * Keys as subject tokens. A key is arbitrary bytes; a NATS subject token may
 * not hold '.', whitespace or a lone '*' / '>', so the key's bytes are written
 * as unpadded base64url (A-Z a-z 0-9 - _). The empty (= null) key, which has
 * no base64url spelling, is the token '~', a character base64url never uses.
 */
import { invalidArgument } from '../storage/backend-kit.js';

export const NULL_KEY_TOKEN = '~';
/** Token of the placeholders the mirror publishes (and purges) to keep offsets aligned across gaps. */
export const GAP_TOKEN = '~gap';

export function keyToken(key: Buffer | null): string {
  return key === null || key.length === 0 ? NULL_KEY_TOKEN : key.toString('base64url');
}

/** The key of a subject token; null for the empty key (and for the mirror's gap placeholders). */
export function tokenKey(token: string): Buffer | null {
  if (token === NULL_KEY_TOKEN || token === GAP_TOKEN) return null;
  const key = Buffer.from(token, 'base64url');
  return key.length === 0 ? null : key;
}

const TOKEN = /^[^\s.*>]+$/;

/** A subject prefix of one or more tokens without wildcards, e.g. "klevdb.orders". */
export function checkSubjectPrefix(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || !v.split('.').every((t) => TOKEN.test(t))) {
    throw invalidArgument(
      `${name} must be subject tokens without wildcards or spaces (like "klevdb.orders"), got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** A JetStream stream name: no spaces, '.', '*', '>', path separators. */
export function checkStreamName(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 255 || /[\s.*>/\\]/.test(v)) {
    throw invalidArgument(
      `${name} must be a JetStream stream name (no spaces, '.', '*', '>', '/' or '\\'), got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

export class Subjects {
  /** Every message of the log: `<prefix>.*`. */
  readonly all: string;
  readonly gap: string;

  constructor(
    readonly prefix: string,
    readonly maxKeyBytes: number,
  ) {
    this.all = `${prefix}.*`;
    this.gap = `${prefix}.${GAP_TOKEN}`;
  }

  /** The subject of a key; keys longer than maxKeyBytes are refused (the subject must fit NATS's control line). */
  forKey(name: string, key: Buffer | null): string {
    if (key !== null && key.length > this.maxKeyBytes) {
      throw invalidArgument(
        `${name} is ${key.length} bytes; on JetStream a key becomes a subject token and may be at most ${this.maxKeyBytes} bytes (option maxKeyBytes; NATS limits a protocol line to max_control_line, 4 KiB by default)`,
      );
    }
    return `${this.prefix}.${keyToken(key)}`;
  }

  /** The key of a stored subject (the part after the prefix). */
  keyOf(subject: string): Buffer | null {
    return tokenKey(subject.slice(this.prefix.length + 1));
  }
}
