/**
 * Maintenance commands on a log directory: check, recover, backup, migrate.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { OffsetOldest, V1, V2, check, isLogError, migrate, open, recover } from '../../storage/index.js';
import type { Log, Options } from '../../storage/index.js';
import { checkHead, repairedByNextOpen, underReadLock, type HeadCheck } from '../../storage/backend-kit.js';
import { action, indexOptions, withLogOptions, withProgressOption } from '../common.js';
import type { CommonOptions, ProgressOption } from '../common.js';
import { CliError, EXIT, toCliError, usageError } from '../errors.js';
import { plural } from '../format.js';
import { fileSizeOrNull, fileVersion, formatSize, listSegments, readerOptions } from '../../log-tools/index.js';
import type { ResolvedIndex } from '../../log-tools/index.js';
import { openReader, requireDir, resolveIndex, withLog } from '../log-open.js';
import { ProgressBar, progressWanted, writeJson, writeLines } from '../output.js';

type MaintenanceOptions = CommonOptions & ProgressOption;

/** Checks the directory and settles the index options, for the commands that take a closed directory. */
function prepare(dir: string, o: MaintenanceOptions): { index: ResolvedIndex; bar: ProgressBar } {
  requireDir(dir);
  return { index: resolveIndex(dir, indexOptions(o)), bar: new ProgressBar(progressWanted(o.progress)) };
}

/** What a readonly open sees (next offset and stats), or null when the log cannot be opened. */
async function peek(dir: string, index: ResolvedIndex): Promise<{ nextOffset: number; messages: number } | null> {
  try {
    const log = await open(dir, readerOptions(index));
    try {
      return { nextOffset: await log.nextOffset(), messages: (await log.stat()).messages };
    } finally {
      await log.close();
    }
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- check

interface CheckOptions extends MaintenanceOptions {
  all?: boolean;
}

/** The offset of the first message at or after `from` that cannot be read (one message at a time). */
async function firstUnreadable(log: Log, from: number, end: number): Promise<number> {
  for (let offset = from; offset < end;) {
    try {
      const { nextOffset } = await log.consume(offset, 1);
      if (nextOffset <= offset) break;
      offset = nextOffset;
    } catch {
      return offset;
    }
  }
  return from;
}

/** Reads every message of every segment; fails on the first that cannot be read. */
async function readAll(log: Log, dir: string, bar: ProgressBar): Promise<void> {
  const end = await log.nextOffset();
  const first = (await log.consume(OffsetOldest, 1)).messages[0]?.offset ?? end;
  for (let offset = first; offset < end;) {
    let result;
    try {
      result = await log.consume(offset, 1000);
    } catch (err) {
      if (!isLogError(err, 'ERR_CORRUPTED')) throw err;
      const bad = await firstUnreadable(log, offset, end);
      throw new CliError(
        EXIT.CORRUPTED,
        `log ${dir} is corrupted: the message at offset ${bad} cannot be read (${err.message}); ` +
          'recover only repairs the head segment: restore the segment that holds it from a backup',
      );
    }
    bar.update({
      operation: 'check',
      done: Math.min(result.nextOffset, end) - first,
      total: end - first,
      unit: 'messages',
    });
    if (result.messages.length === 0 && result.nextOffset <= offset) break;
    offset = result.nextOffset;
  }
}

async function checkLog(dir: string, o: CheckOptions): Promise<void> {
  const { index, bar } = prepare(dir, o);
  const opts: Options = { keyIndex: index.keyIndex, timeIndex: index.timeIndex };
  let besideWriter = false;
  let result: HeadCheck | null = null;
  const report = async (error: string | null): Promise<void> => {
    if (!o.json) return;
    const segments = result?.segments ?? listSegments(dir).length;
    await writeJson({
      ok: error === null,
      dir,
      checked: o.all ? 'all' : 'head',
      segments,
      besideWriter,
      head: result?.head ?? null,
      error,
    });
  };
  try {
    // Without a writer, under a shared lock (none can start meanwhile); beside one, the head up to a consistent point.
    await underReadLock(dir, async (writing) => {
      besideWriter = writing;
      result = await checkHead(dir, opts, writing);
      if (o.all) {
        try {
          await withLog(openReader(dir, indexOptions(index)), ({ log }) => readAll(log, dir, bar));
        } finally {
          bar.stop();
        }
      }
    });
  } catch (err) {
    let e = toCliError(err, dir);
    if (repairedByNextOpen(err)) {
      // Nothing is lost: starting the app (or `klevdb recover`, which keeps every whole message) repairs it.
      e = new CliError(
        EXIT.CORRUPTED,
        `log ${dir} was left by a writer killed in the middle of a publish: ${(err as Error).message}; starting your app (any open for writing) or \`klevdb recover ${dir}\` repairs it`,
      );
    } else if (isLogError(err, 'ERR_CORRUPTED') && e.exitCode === EXIT.CORRUPTED) {
      // recover rewrites the head: never beside a writer, which would go on appending after what it cut.
      const todo = besideWriter
        ? `a writer has the log open: stop it, then run \`klevdb recover ${dir}\` to keep the readable part of its head segment`
        : `run \`klevdb recover ${dir}\` to keep the readable part of its head segment`;
      e = new CliError(EXIT.CORRUPTED, `log ${dir} is corrupted: ${err.message}; ${todo}`);
    } else if (besideWriter && e.exitCode === EXIT.CORRUPTED) {
      e = new CliError(EXIT.CORRUPTED, `${e.message} (a writer has the log open: stop it before repairing anything)`);
    }
    if (e.exitCode === EXIT.CORRUPTED) await report(e.message);
    throw e;
  }
  await report(null);
  if (!o.json) await writeLines([`ok: ${dir}: ${checkSummary(result, o.all === true, besideWriter)}`]);
}

/** What a passing check looked at, in words. */
function checkSummary(result: HeadCheck | null, all: boolean, besideWriter: boolean): string {
  const head = result?.head;
  if (!head) return 'no segments';
  const segments = plural(result.segments, 'segment');
  const name = String(head.segment).padStart(20, '0');
  const live = besideWriter
    ? ` up to ${head.lastOffset === null ? 'its start' : `offset ${head.lastOffset}`} (${plural(head.messages, 'message')}, ${head.checkedBytes} of ${head.logBytes} bytes; a writer is appending, what it had not indexed yet was not checked)`
    : '';
  if (all)
    return `every message of its ${segments} is readable${besideWriter ? `; head segment ${name} is intact${live}` : ''}`;
  return `head segment ${name} is intact${live} (of ${segments}; --all reads every segment)`;
}

// ---------------------------------------------------------------- recover

async function recoverLog(dir: string, o: MaintenanceOptions): Promise<void> {
  const { index, bar } = prepare(dir, o);
  const before = await peek(dir, index);
  try {
    await recover(dir, { keyIndex: index.keyIndex, timeIndex: index.timeIndex, onProgress: bar.onProgress });
  } finally {
    bar.stop();
  }
  const after = await peek(dir, index);
  const dropped = before && after ? Math.max(0, before.messages - after.messages) : null;
  // Whole messages past the head's last index item (a writer killed mid-publish): a reader did not count them before.
  const indexed = before && after ? Math.max(0, after.messages - before.messages) : 0;
  if (o.json) {
    await writeJson({
      dir,
      dropped,
      indexed,
      nextOffsetBefore: before?.nextOffset ?? null,
      nextOffset: after?.nextOffset ?? null,
      messages: after?.messages ?? null,
    });
    return;
  }
  if (dropped === 0 && indexed > 0) {
    await writeLines([
      `recovered ${dir}: indexed ${plural(indexed, 'whole message')} a writer killed in the middle of a publish had written; next offset ${after!.nextOffset}`,
    ]);
  } else if (dropped === 0) {
    await writeLines([
      `ok: ${dir}: nothing to recover, the head segment was intact (next offset ${after!.nextOffset})`,
    ]);
  } else {
    const what =
      dropped === null
        ? 'the unreadable tail of the head segment'
        : `${plural(dropped, 'unreadable message')} at the end of the head segment`;
    await writeLines([`recovered ${dir}: dropped ${what}${after ? `; next offset ${after.nextOffset}` : ''}`]);
  }
}

// ---------------------------------------------------------------- backup

/** Adds up the sizes of the files in `dir` (what a backup has copied so far). */
function dirBytes(dir: string): number {
  try {
    return fs.readdirSync(dir).reduce((n, f) => n + (fileSizeOrNull(path.join(dir, f)) ?? 0), 0);
  } catch {
    return 0;
  }
}

/**
 * Copies a log into `dst`. Without a writer it holds a shared lock (no
 * writer can start meanwhile); beside a writer it copies what a follower
 * sees, then repairs a head segment cut in the middle of a record.
 */
async function backupLog(dir: string, dst: string, o: MaintenanceOptions): Promise<void> {
  const { index, bar } = prepare(dir, o);
  const src = path.resolve(dir);
  const target = path.resolve(dst);
  if (target === src || target.startsWith(src + path.sep))
    throw usageError(`back up ${dir} into a directory outside it, not ${dst}`);
  const opts: Options = { readonly: true, keyIndex: index.keyIndex, timeIndex: index.timeIndex };
  let log: Log;
  let besideWriter = false;
  try {
    log = await open(dir, opts);
  } catch (err) {
    if (!isLogError(err, 'ERR_LOCKED')) throw err;
    besideWriter = true;
    log = await open(dir, readerOptions(index));
  }
  const files = listSegments(dir).flatMap((s) => [s.logPath, s.indexPath]);
  const total = files.reduce((n, f) => n + (fileSizeOrNull(f) ?? 0), 0);
  const startBytes = dirBytes(target);
  const timer = setInterval(
    () =>
      bar.update({
        operation: 'backup',
        done: Math.min(total, Math.max(0, dirBytes(target) - startBytes)),
        total,
        unit: 'bytes',
      }),
    100,
  );
  let stats;
  try {
    bar.update({ operation: 'backup', done: 0, total, unit: 'bytes' });
    await log.backup(target);
    stats = { nextOffset: await log.nextOffset(), messages: (await log.stat()).messages };
    bar.update({ operation: 'backup', done: total, total, unit: 'bytes' });
  } finally {
    clearInterval(timer);
    bar.stop();
    await log.close();
  }
  let repaired = false;
  if (besideWriter) {
    const copyOpts = { keyIndex: index.keyIndex, timeIndex: index.timeIndex };
    try {
      await check(target, copyOpts);
    } catch (err) {
      if (!isLogError(err, 'ERR_CORRUPTED')) throw err;
      await recover(target, copyOpts);
      repaired = true;
    }
  }
  const copied = listSegments(target)
    .flatMap((s) => [s.logPath, s.indexPath])
    .filter((f) => fs.existsSync(f));
  const bytes = copied.reduce((n, f) => n + (fileSizeOrNull(f) ?? 0), 0);
  if (o.json) {
    await writeJson({
      dir,
      to: dst,
      files: copied.length,
      bytes,
      messages: stats.messages,
      nextOffset: stats.nextOffset,
      besideWriter,
      repaired,
    });
    return;
  }
  const note = besideWriter
    ? ` (a writer was active: the copy holds what was published when it started${repaired ? '; a record cut short was dropped' : ''})`
    : '';
  await writeLines([
    `backed up ${dir} to ${dst}: ${plural(copied.length, 'file')}, ${formatSize(bytes)}, ${plural(stats.messages, 'message')} (next offset ${stats.nextOffset})${note}`,
  ]);
}

// ---------------------------------------------------------------- migrate

interface MigrateOptions extends MaintenanceOptions {
  to: string;
}

async function migrateLog(dir: string, o: MigrateOptions): Promise<void> {
  const name = o.to.trim().toUpperCase();
  if (name !== 'V1' && name !== 'V2') throw usageError(`--to must be V1 or V2, got '${o.to}'`);
  const { index, bar } = prepare(dir, o);
  const segments = listSegments(dir);
  const rewritten = segments.filter(
    (s) => fileVersion(s.logPath, 'log') !== name || fileVersion(s.indexPath, 'index') !== name,
  ).length;
  try {
    await migrate(
      dir,
      { keyIndex: index.keyIndex, timeIndex: index.timeIndex, onProgress: bar.onProgress },
      name === 'V1' ? V1 : V2,
    );
  } finally {
    bar.stop();
  }
  if (o.json) {
    await writeJson({ dir, version: name, segments: segments.length, rewritten });
    return;
  }
  await writeLines([`migrated ${dir} to ${name}: ${rewritten} of ${plural(segments.length, 'segment')} rewritten`]);
}

// ---------------------------------------------------------------- registration

export function registerMaintenanceCommands(program: Command): void {
  withProgressOption(withLogOptions(program.command('check').argument('<dir>', 'log directory')))
    .description(
      "check the head segment: every record readable and the index matching (klevdb's Check); beside a writer, up to its last indexed message; exit 3 when corrupted",
    )
    .option('--all', 'also read every message of every segment')
    .action(action(checkLog));

  withProgressOption(withLogOptions(program.command('recover').argument('<dir>', 'log directory')))
    .description('repair the head segment: keep its readable records, drop a damaged tail, rebuild its index')
    .action(action(recoverLog));

  withProgressOption(withLogOptions(program.command('backup').argument('<dir>', 'log directory')))
    .argument('<dst>', 'directory to copy into (created when missing; unchanged files are skipped)')
    .description('copy a log into another directory, also while a writer is active')
    .action(action(backupLog));

  withProgressOption(withLogOptions(program.command('migrate').argument('<dir>', 'log directory')))
    .requiredOption('--to <version>', 'format to rewrite every segment in: V1 or V2')
    .description(
      'rewrite the segments of a log in another format version (V2 has CRC-checked records and index headers)',
    )
    .action(action(migrateLog));
}
