/**
 * Opening a log directory to look at it: readonly with followWriter, so it
 * takes no lock and sees what a writer in another process appends, with the
 * index options settled from its files when not given.
 */
import fs from 'node:fs';
import { LogError, open, openBlocking } from '../storage/index.js';
import type { BlockingLog, Log, Options } from '../storage/index.js';
import { resolveIndex } from './log-files.js';
import type { IndexOptions, ResolvedIndex } from './log-files.js';

export interface Opened<L extends Log> {
  log: L;
  index: ResolvedIndex;
}

/** Options for a reader beside any writer: readonly, no lock, following what another process appends. */
export function readerOptions(index: ResolvedIndex): Options {
  return { readonly: true, followWriter: true, keyIndex: index.keyIndex, timeIndex: index.timeIndex };
}

/** A LogError ERR_NOT_FOUND when `dir` does not exist, ERR_INVALID_ARGUMENT when it is not a directory. */
export function requireLogDir(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new LogError('ERR_NOT_FOUND', `no log at ${dir}: the directory does not exist; check the path`);
  }
  if (!st.isDirectory())
    throw new LogError(
      'ERR_INVALID_ARGUMENT',
      `${dir} is not a directory; a klevdb log is a directory of segment files`,
    );
}

/** Opens an existing log to read beside a writer; a BlockingLog (consume waits for appends) with `follow`. */
export function openLogReader(dir: string, given: IndexOptions, follow: true): Promise<Opened<BlockingLog>>;
export function openLogReader(dir: string, given: IndexOptions, follow?: false): Promise<Opened<Log>>;
export async function openLogReader(dir: string, given: IndexOptions, follow = false): Promise<Opened<Log>> {
  requireLogDir(dir);
  const index = resolveIndex(dir, given);
  const log = follow ? await openBlocking(dir, readerOptions(index)) : await open(dir, readerOptions(index));
  return { log, index };
}
