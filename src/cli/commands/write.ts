/**
 * Write commands: publish and delete. They open the log for writing and so
 * take its lock: another writer makes them fail with exit code 4.
 */
import readline from 'node:readline';
import type { Command } from 'commander';
import type { Log, PublishMessage } from '../../storage/index.js';
import { deleteMultiOffsets } from '../../storage/index.js';
import { parseBytes, parseOffsetList, parseTimeMicros } from '../args.js';
import { action, indexOptions, withLogOptions } from '../common.js';
import type { CommonOptions } from '../common.js';
import { CliError, EXIT, usageError } from '../errors.js';
import { formatSize } from '../../log-tools/index.js';
import { formatOffsets, plural } from '../format.js';
import { refuseOnEventStore, withForceOption, type ForceOption } from '../eventstore-guard.js';
import { openWriter, withLog } from '../log-open.js';
import { writeJson, writeLines } from '../output.js';

const PUBLISH_BATCH = 500;

// ---------------------------------------------------------------- publish

interface PublishOptions extends CommonOptions {
  time?: string;
  tombstone?: boolean;
  base64?: boolean;
}

const LINE_SHAPE = 'each line must be a JSON object like {"key": "k", "value": "v", "time": "2024-05-01T12:00:00Z"}';

/** A key or value from a JSON line: string (UTF-8, or base64 with --base64), {"base64": ...}, or null. */
function lineBytes(v: unknown, base64: boolean, field: string): Buffer | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return parseBytes(v, base64, `"${field}"`);
  if (typeof v === 'object' && typeof (v as { base64?: unknown }).base64 === 'string' && Object.keys(v).length === 1) {
    return parseBytes((v as { base64: string }).base64, true, `"${field}".base64`);
  }
  throw usageError(`"${field}" must be a string, {"base64": "..."} or null`);
}

/** One line of stdin as a message. */
export function parseLine(line: string, base64: boolean): PublishMessage {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (err) {
    throw usageError(`not JSON (${(err as Error).message})`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw usageError('not a JSON object');
  const o = obj as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !['key', 'value', 'time', 'timeMicros', 'offset'].includes(k));
  if (unknown.length > 0) throw usageError(`unknown field ${JSON.stringify(unknown[0])}`);
  const m: PublishMessage = { key: lineBytes(o.key, base64, 'key'), value: lineBytes(o.value, base64, 'value') };
  if (o.timeMicros !== undefined) {
    if (typeof o.timeMicros !== 'number' || !Number.isSafeInteger(o.timeMicros))
      throw usageError('"timeMicros" must be an integer');
    m.timeMicros = o.timeMicros;
  } else if (o.time !== undefined) {
    if (typeof o.time !== 'string') throw usageError('"time" must be an ISO 8601 string');
    m.timeMicros = parseTimeMicros(o.time, '"time"');
  }
  return m;
}

interface Published {
  count: number;
  firstOffset: number | null;
  nextOffset: number;
}

async function publishBatch(log: Log, batch: PublishMessage[], done: Published): Promise<void> {
  if (batch.length === 0) return;
  done.nextOffset = await log.publish(batch);
  done.firstOffset ??= done.nextOffset - batch.length;
  done.count += batch.length;
  batch.length = 0;
}

/** Publishes JSON lines from stdin in batches; a bad line stops it, saying what was published before. */
async function publishStdin(log: Log, base64: boolean, done: Published): Promise<void> {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  const batch: PublishMessage[] = [];
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    try {
      batch.push(parseLine(line, base64));
    } catch (err) {
      await publishBatch(log, batch, done);
      const before =
        done.count === 0
          ? 'nothing was published'
          : `the ${plural(done.count, 'message')} before it were published (offsets ${done.firstOffset}..${done.nextOffset - 1})`;
      throw usageError(`stdin line ${lineNo}: ${(err as Error).message}; ${LINE_SHAPE}; ${before}`);
    }
    if (batch.length >= PUBLISH_BATCH) await publishBatch(log, batch, done);
  }
  await publishBatch(log, batch, done);
}

async function publish(
  dir: string,
  key: string | undefined,
  value: string | undefined,
  o: PublishOptions,
): Promise<void> {
  const base64 = o.base64 === true;
  let single: PublishMessage | undefined;
  if (key !== undefined) {
    if (value === undefined && !o.tombstone)
      throw usageError('give a value after the key, or --tombstone to publish the key with no value');
    if (value !== undefined && o.tombstone) throw usageError('--tombstone publishes no value: leave the value out');
    single = {
      key: parseBytes(key, base64, 'key'),
      value: value === undefined ? null : parseBytes(value, base64, 'value'),
    };
    if (o.time !== undefined) single.timeMicros = parseTimeMicros(o.time, '--time');
  } else {
    if (o.time !== undefined || o.tombstone)
      throw usageError('--time and --tombstone go with a key given as an argument; JSON lines carry their own "time"');
    if (process.stdin.isTTY) throw usageError(`give <key> <value>, or pipe JSON lines on stdin (${LINE_SHAPE})`);
  }
  await withLog(openWriter(dir, indexOptions(o), true), async ({ log }) => {
    const done: Published = { count: 0, firstOffset: null, nextOffset: await log.nextOffset() };
    if (single) await publishBatch(log, [single], done);
    else await publishStdin(log, base64, done);
    if (o.json) {
      await writeJson({ published: done.count, firstOffset: done.firstOffset, nextOffset: done.nextOffset });
    } else if (done.count === 0) {
      await writeLines([`published nothing to ${dir}: stdin had no messages (next offset ${done.nextOffset})`]);
    } else {
      const at =
        done.count === 1 ? `at offset ${done.firstOffset}` : `at offsets ${done.firstOffset}..${done.nextOffset - 1}`;
      await writeLines([`published ${plural(done.count, 'message')} to ${dir} ${at} (next offset ${done.nextOffset})`]);
    }
  });
}

// ---------------------------------------------------------------- delete

type DeleteOptions = CommonOptions & ForceOption;

async function deleteOffsets(dir: string, offsetArgs: string[], o: DeleteOptions): Promise<void> {
  const wanted = parseOffsetList(offsetArgs);
  await withLog(openWriter(dir, indexOptions(o)), async ({ log }) => {
    await refuseOnEventStore('delete', dir, log, async () => new Set(wanted), o.force);
    const { deleted, deletedSize } = await deleteMultiOffsets(log, wanted);
    const missing = [...new Set(wanted)].filter((off) => !deleted.has(off));
    if (o.json) {
      await writeJson({ deleted: [...deleted].sort((a, b) => a - b), deletedSize, notFound: missing });
    } else if (deleted.size > 0) {
      await writeLines([
        `deleted ${plural(deleted.size, 'message')} (${formatSize(deletedSize)}) from ${dir}: offsets ${formatOffsets(deleted)}`,
      ]);
    }
    if (missing.length > 0) {
      throw new CliError(
        EXIT.NOT_FOUND,
        `${missing.length === 1 ? 'offset' : 'offsets'} ${formatOffsets(missing)} not in ${dir} (past the end or already deleted)` +
          `${deleted.size === 0 ? '; nothing was deleted' : deleted.size === 1 ? '; the other one was deleted' : `; the other ${deleted.size} were deleted`}`,
      );
    }
  });
}

// ---------------------------------------------------------------- registration

export function registerWriteCommands(program: Command): void {
  withLogOptions(program.command('publish').argument('<dir>', 'log directory (created when missing)'))
    .argument('[key]', 'the key of one message ("" for none); leave key and value out to read JSON lines from stdin')
    .argument('[value]', 'its value')
    .description(
      'publish one message from the arguments, or JSON lines from stdin: {"key": ..., "value": ..., "time": ...}',
    )
    .option('--time <iso>', 'time of the message (default: now)')
    .option('--tombstone', 'publish the key with no value (a tombstone that compact removes)')
    .option('--base64', 'keys and values (arguments and JSON lines) are base64')
    .action(action(publish));

  const deleteCommand = withLogOptions(program.command('delete').argument('<dir>', 'log directory'))
    .argument('<offsets...>', 'offsets to delete: 7, 3-9, or 1,4,5')
    .description('delete messages by offset (rewriting the segments that hold them)');
  withForceOption(deleteCommand).action(action(deleteOffsets));
}
