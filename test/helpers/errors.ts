// Assertions on the errors the library rejects with.
import { expect } from 'chai';
import { KlevdbError, LogError, isKlevdbError } from '../../src/index.js';
import type { KlevdbErrorCode, LogErrorCode } from '../../src/index.js';

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

/**
 * Expects each error to be a KlevdbError (not a LogError) with its code and
 * class name, and the codes to be exactly `moduleCodes` (the module's row of
 * KLEVDB_ERROR_CODES): a class missing from the table, or a code nothing uses, fails.
 */
export function expectModuleErrors(
  errors: [KlevdbError, KlevdbErrorCode, string][],
  moduleCodes: readonly KlevdbErrorCode[],
): void {
  for (const [err, code, name] of errors) {
    expect(err, name).to.be.instanceOf(KlevdbError).and.instanceOf(Error).and.not.instanceOf(LogError);
    expect(err).to.include({ code, name });
    expect(isKlevdbError(err), name).to.equal(true);
    expect(isKlevdbError(err, code), name).to.equal(true);
  }
  expect(errors.map(([, code]) => code).sort()).to.deep.equal([...moduleCodes].sort());
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.constructor.name}: ${err.message}`;
  return JSON.stringify(err);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
