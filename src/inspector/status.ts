/**
 * The HTTP status the inspector answers a failure with, from the error's
 * code: the LogError codes of the storage contract, and the Node errno codes
 * of the files under it. What the caller asked for and is not there is a
 * 404, what it asked wrongly a 400; anything else (corruption, a lock, a
 * failing disk) is the server's 500, with the error's message. The reply
 * also carries a `code` to switch on (codeOf).
 */
import { indexMismatch } from '../log-tools/index.js';

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  ERR_NOT_FOUND: 404,
  ERR_INVALID_OFFSET: 404,
  ERR_NO_INDEX: 400,
  ERR_INVALID_ARGUMENT: 400,
  // A directory or file that went away between the listing and the read.
  ENOENT: 404,
};

/** The `code` field of the error, when it has a string one. */
function ownCode(err: unknown): string | undefined {
  const code = err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

export function statusOf(err: unknown): number {
  // Index options that contradict the log: the storage calls it corruption, but it is a wrong request.
  if (indexMismatch(err)) return 400;
  const code = ownCode(err);
  return (code !== undefined && STATUS_BY_CODE[code]) || 500;
}

/**
 * The `code` of an error reply (the inspector's own HttpErrors aside, see
 * http.ts): the KlevdbError's code, or Node's errno code
 * (ENOENT, EACCES, ...); ERR_INVALID_ARGUMENT for index options that
 * contradict the log (answered 400, as statusOf); ERR_INTERNAL for an error
 * with no code, which is a bug.
 */
export function codeOf(err: unknown): string {
  if (indexMismatch(err)) return 'ERR_INVALID_ARGUMENT';
  return ownCode(err) ?? 'ERR_INTERNAL';
}
