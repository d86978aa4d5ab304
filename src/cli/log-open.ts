/**
 * How the CLI opens a log: the directory must exist (except for publish),
 * and the key/time index options must match what the log was created with:
 * taken from --key-index / --time-index when given, otherwise detected from
 * its files (log-tools). Every failure is a CliError phrased for the command line.
 */
import { open, openBlocking } from '../storage/index.js';
import type { BlockingLog, Log } from '../storage/index.js';
import { isLogError } from '../storage/index.js';
import { readerOptions, requireLogDir, resolveIndex as detectIndex } from '../log-tools/index.js';
import type { IndexOptions, Opened, ResolvedIndex } from '../log-tools/index.js';
import { notFoundError, toCliError } from './errors.js';

/** The index options to open `dir` with: the given ones, completed by detection; a usage error when they cannot be. */
export function resolveIndex(dir: string, given: IndexOptions): ResolvedIndex {
  try {
    return detectIndex(dir, given);
  } catch (err) {
    throw toCliError(err, dir);
  }
}

/** Fails with exit code 2 when `dir` does not exist, 1 when it is not a directory. */
export function requireDir(dir: string): void {
  try {
    requireLogDir(dir);
  } catch (err) {
    if (isLogError(err, 'ERR_NOT_FOUND')) throw notFoundError(`${err.message} (publish creates a new log)`);
    throw toCliError(err, dir);
  }
}

/** Settles the index options of `dir` and opens it with `opener`, errors phrased for the command line. */
async function openWith<L extends Log>(
  dir: string,
  given: IndexOptions,
  create: boolean,
  opener: (index: ResolvedIndex) => Promise<L>,
): Promise<Opened<L>> {
  if (!create) requireDir(dir);
  const index = resolveIndex(dir, given);
  try {
    return { log: await opener(index), index };
  } catch (err) {
    throw toCliError(err, dir);
  }
}

/** Opens an existing log to read, beside a writer if there is one. */
export function openReader(dir: string, given: IndexOptions): Promise<Opened<Log>> {
  return openWith(dir, given, false, (index) => open(dir, readerOptions(index)));
}

/** As openReader, with blocking consume woken by another process's appends (consume --follow). */
export function openFollower(dir: string, given: IndexOptions): Promise<Opened<BlockingLog>> {
  return openWith(dir, given, false, (index) => openBlocking(dir, readerOptions(index)));
}

/** Opens a log to write (taking its lock); `create` makes the directory when missing. */
export function openWriter(dir: string, given: IndexOptions, create = false): Promise<Opened<Log>> {
  return openWith(dir, given, create, (index) =>
    open(dir, { keyIndex: index.keyIndex, timeIndex: index.timeIndex, createDirs: create }),
  );
}

/** Runs `body` on an opened log and closes it whatever happens. */
export async function withLog<L extends Log, T>(
  opened: Promise<Opened<L>>,
  body: (o: Opened<L>) => Promise<T>,
): Promise<T> {
  const o = await opened;
  try {
    return await body(o);
  } finally {
    await o.log.close().catch(() => undefined);
  }
}
