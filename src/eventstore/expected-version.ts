/**
 * Expected versions: the type, its argument check, the check against a
 * stream's version, and the error when that fails. ConcurrencyError lives
 * here rather than in errors.ts (which re-exports it) so that the two files
 * do not import each other.
 */
import { KlevdbError } from '../storage/index.js';
import { invalidArgument } from '../storage/backend-kit.js';

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

/** An append whose expected version did not match the stream's version: reload and decide again. */
export class ConcurrencyError extends KlevdbError<'ERR_CONCURRENCY'> {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(
      'ERR_CONCURRENCY',
      `concurrency conflict on stream "${streamId}": expected version ${describeExpected(expected)}, ` +
        `actual version ${actual}; reload the stream and decide again`,
    );
    this.name = 'ConcurrencyError';
  }
}

function describeExpected(expected: ExpectedVersion): string {
  if (expected === 'no-stream') return '"no-stream" (a new stream)';
  if (expected === 'stream-exists') return '"stream-exists"';
  return String(expected);
}
