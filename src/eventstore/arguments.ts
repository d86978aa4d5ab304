/** Argument checks of the event store API: each failure names the argument. */
import { OffsetOldest } from '../storage/index.js';
import { invalidArgument } from '../storage/backend-kit.js';

export function checkStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw invalidArgument(`streamId must be a non-empty string, got ${describe(streamId)}`);
  }
}

export function checkOptionalId(name: string, id: unknown): void {
  if (id !== undefined && (typeof id !== 'string' || id.length === 0)) {
    throw invalidArgument(`${name} must be a non-empty string when given, got ${describe(id)}`);
  }
}

export function checkId(name: string, id: unknown): asserts id is string {
  if (id === undefined) throw invalidArgument(`${name} must be a non-empty string, got undefined`);
  checkOptionalId(name, id);
}

export function checkPositiveInteger(name: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw invalidArgument(`${name} must be an integer >= 1, got ${describe(n)}`);
  }
  return n;
}

export function checkCount(name: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw invalidArgument(`${name} must be an integer >= 0, got ${describe(n)}`);
  }
  return n;
}

/** A log offset, or OffsetOldest. */
export function checkPosition(name: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || (n < 0 && n !== OffsetOldest)) {
    throw invalidArgument(`${name} must be a log offset (an integer >= 0) or OffsetOldest, got ${describe(n)}`);
  }
  return n;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
