import { invalidArgument } from '../storage/backend-kit.js';
import { ConcurrencyError } from './errors.js';

/**
 * What an append expects the stream's version to be. The version is the
 * number of events in the stream (its first event is version 1), so
 * `'no-stream'` is the same check as `0`.
 */
export type ExpectedVersion = number | 'any' | 'no-stream' | 'stream-exists';

export function checkExpectedVersion(expected: unknown): ExpectedVersion {
  if (expected === 'any' || expected === 'no-stream' || expected === 'stream-exists') return expected;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return expected;
  throw invalidArgument(
    `expectedVersion must be a version (an integer >= 0), 'any', 'no-stream' or 'stream-exists', got ${String(expected)}`,
  );
}

export function assertExpectedVersion(streamId: string, expected: ExpectedVersion, actual: number): void {
  const ok =
    expected === 'any' ||
    (expected === 'no-stream' && actual === 0) ||
    (expected === 'stream-exists' && actual > 0) ||
    expected === actual;
  if (!ok) throw new ConcurrencyError(streamId, expected, actual);
}
