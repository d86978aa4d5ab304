/**
 * The state log's records. A projection's state log holds, per key, its
 * states as JSON `{"o": <source offset>, "s": <state>}` (the offset of the
 * event that produced it) or a tombstone (null value: the key was deleted),
 * and, under one reserved key, the checkpoint records:
 *
 *   {"projection": name, "version": n, "next": <source offset to resume at>,
 *    "last": <offset of the last event applied, or -1>, "at": <this record's own
 *    offset in the state log>, "writes": <state records in its publish>}
 *
 * Every commit is one publish: the changed keys' states, then the checkpoint,
 * last. The newest checkpoint therefore marks the end of the state that is
 * committed; anything after it is a torn publish and is rolled back.
 */
import type { PublishMessage } from '../storage/index.js';
import { corrupted } from '../storage/backend-kit.js';

/** Starts with NUL, which no projection key may, so it never meets a state's key. */
export const CHECKPOINT_KEY = '\u0000klevdb.checkpoint';

export interface Checkpoint {
  projection: string;
  version: number;
  /** The source offset to resume at: every event before it is in the state. */
  next: number;
  /** The offset of the last event applied (-1: none yet). */
  last: number;
  /** The checkpoint record's own offset in the state log. */
  at: number;
  /** How many state records the same publish wrote before it. */
  writes: number;
}

export function encodeState(offset: number, json: unknown): string {
  const s = JSON.stringify(json);
  // The projection's toJSON broke its contract: the cause of the projection's failure (ProjectionNotReadyError 'failed').
  if (s === undefined) throw new TypeError('the state (after toJSON) cannot be written as JSON');
  return `{"o":${offset},"s":${s}}`;
}

/** The stored JSON of a state record; throws ERR_CORRUPTED when it is not one. */
export function decodeState(value: Buffer, key: string): { offset: number; json: unknown } {
  let parsed: { o?: unknown; s?: unknown };
  try {
    parsed = JSON.parse(value.toString('utf8')) as typeof parsed;
  } catch (err) {
    throw corrupted(`projection state of key ${JSON.stringify(key)} is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || !Number.isSafeInteger(parsed.o) || !('s' in parsed)) {
    throw corrupted(`projection state of key ${JSON.stringify(key)} is not a state record`);
  }
  return { offset: parsed.o as number, json: parsed.s };
}

export function checkpointMessage(checkpoint: Checkpoint): PublishMessage {
  return { key: CHECKPOINT_KEY, value: JSON.stringify(checkpoint) };
}

/** The checkpoint a record holds, or a reason it cannot be trusted. */
export function parseCheckpoint(value: Buffer | null, offset: number): Checkpoint | string {
  if (value === null) return 'the checkpoint record is empty';
  let c: Partial<Checkpoint>;
  try {
    c = JSON.parse(value.toString('utf8')) as Partial<Checkpoint>;
  } catch {
    return 'the checkpoint record is not JSON';
  }
  if (typeof c !== 'object' || c === null || typeof c.projection !== 'string')
    return 'the checkpoint record has no projection name';
  for (const field of ['version', 'next', 'last', 'at', 'writes'] as const) {
    if (!Number.isSafeInteger(c[field])) return `the checkpoint record's ${field} is not an integer`;
  }
  if (c.at !== offset) return `the checkpoint record says it is at offset ${c.at} but sits at ${offset}`;
  if (c.writes! < 0 || c.next! < 0 || c.last! < -1 || c.last! >= c.next!)
    return 'the checkpoint record is inconsistent';
  return c as Checkpoint;
}
