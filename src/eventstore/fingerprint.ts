/**
 * What a command id is bound to: a SHA-256 of the command in canonical JSON
 * (object keys sorted at every depth), so a retry matches however its
 * object was built, and a different payload under the same id is caught.
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from '../storage/backend-kit.js';
import type { ValidatedEvent } from './registry.js';

/** JSON with every object's keys in sorted order; fails with ERR_INVALID_ARGUMENT naming `name`. */
export function canonicalJson(value: unknown, name: string): string {
  let text: string | undefined;
  try {
    // The replacer sees each value after its toJSON: a Date is already its string here.
    text = JSON.stringify(value, (_key, v: unknown) => (isObject(v) ? sortedCopy(v) : v));
  } catch (err) {
    throw invalidArgument(`${name} must be JSON (no cycles, no BigInt): ${(err as Error).message}`);
  }
  if (text === undefined) throw invalidArgument(`${name} must be JSON, got ${typeof value}`);
  return text;
}

/**
 * The fingerprint stored with a command id: of `command` when the caller
 * gave one (the command handler does), else of the events appended.
 */
export function commandFingerprint(command: unknown, events: readonly ValidatedEvent[]): string {
  const json =
    command !== undefined
      ? `command:${canonicalJson(command, 'command')}`
      : `events:${canonicalJson(
          events.map(({ type, data }) => ({ type, data })),
          'events',
        )}`;
  return createHash('sha256').update(json).digest('base64url');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sortedCopy(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v).sort()) out[key] = v[key];
  return out;
}
