/**
 * The HTTP status the inspector answers a failure with, from the error's
 * code: the LogError codes of the storage contract, and the Node errno codes
 * of the files under it. What the caller asked for and is not there is a
 * 404, what it asked wrongly a 400; anything else (corruption, a lock, a
 * failing disk) is the server's 500, with the error's message.
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

export function statusOf(err: unknown): number {
  // Index options that contradict the log: the storage calls it corruption, but it is a wrong request.
  if (indexMismatch(err)) return 400;
  const code = err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  return (typeof code === 'string' && STATUS_BY_CODE[code]) || 500;
}
