// Assertions on the errors the library rejects with.
import { expect } from 'chai';
import { LogError } from '../../src/index.js';
import type { LogErrorCode } from '../../src/index.js';

/** Runs fn (sync throw or async rejection) and returns what it threw, or fails. */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  expect.fail('expected a rejection, but the call succeeded');
}

/**
 * Expects fn to reject with a LogError of one of `codes`; when `mentions` is
 * given, the message must match it (case-insensitive if it is a string).
 */
export async function expectLogError(
  fn: () => unknown,
  codes: LogErrorCode | LogErrorCode[],
  mentions?: string | RegExp,
): Promise<LogError> {
  const err = await caught(fn);
  const wanted = Array.isArray(codes) ? codes : [codes];
  if (!(err instanceof LogError)) {
    expect.fail(`expected a LogError ${wanted.join('|')}, got ${describeError(err)}`);
  }
  expect(wanted, `LogError code (message: ${err.message})`).to.include(err.code);
  if (mentions !== undefined) {
    const re = typeof mentions === 'string' ? new RegExp(escapeRegExp(mentions), 'i') : mentions;
    expect(err.message, `message of ${err.code}`).to.match(re);
  }
  return err;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.constructor.name}: ${err.message}`;
  return JSON.stringify(err);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
