/** The checks the given/when/then helpers share. */
import assert from 'node:assert/strict';
import { invalidArgument } from '../../storage/backend-kit.js';

/** An error class, a pattern its message must match, or a predicate. */
// Any error class, whatever its constructor takes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ExpectedError = (abstract new (...args: any[]) => Error) | RegExp | ((error: unknown) => boolean);

export function matchesError(error: unknown, expected: ExpectedError | undefined): void {
  if (expected === undefined) return;
  if (expected instanceof RegExp) {
    assert.match(error instanceof Error ? error.message : String(error), expected);
  } else if (expected.prototype instanceof Error || expected === Error) {
    if (!(error instanceof (expected as abstract new () => Error))) {
      assert.fail(`expected a ${expected.name}, got ${describe(error)}`);
    }
  } else if (!(expected as (error: unknown) => boolean)(error)) {
    assert.fail(`the error did not pass the check: ${describe(error)}`);
  }
}

/**
 * `then` makes a spec object look like a promise: `await spec.when(...)`
 * calls it with two functions. Thrown synchronously, this error is what
 * that await rejects with, instead of a comparison against functions.
 */
export function checkExpectedEvents<T>(expected: T): T {
  if (typeof expected === 'function') {
    throw invalidArgument(
      'then() takes the expected events; do not await the result of when(), await then([...]) instead',
    );
  }
  return expected;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
