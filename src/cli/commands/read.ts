/**
 * Read commands: stat, consume, get. They open the log readonly with
 * followWriter, so they take no lock and work beside a writer in another
 * process.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { OffsetNewest, OffsetOldest, isLogError } from '../../storage/index.js';
import type { BlockingLog, ConsumeResult, Log, Message } from '../../storage/index.js';
import { parseBytes, parseCount, parseOffset, parseStartOffset, parseTimeMicros } from '../args.js';
import { action, indexOptions, withLogOptions } from '../common.js';
import type { CommonOptions } from '../common.js';
import { notFoundError, usageError } from '../errors.js';
import { MESSAGE_ALIGN, MESSAGE_HEADER, fields, jsonMessage, messageRow, showBytes, table } from '../format.js';
import { fileSizeOrNull, fileVersion, formatSize, formatTimeMicros, listSegments } from '../../log-tools/index.js';
import type { ResolvedIndex } from '../../log-tools/index.js';
import { openFollower, openReader, withLog } from '../log-open.js';
import { PATIENCE_MS, snapshot } from '../stat-snapshot.js';
import { isStdoutClosed, writeJson, writeLines } from '../output.js';

const BATCH = 1000;

// ---------------------------------------------------------------- stat

type StatOptions = CommonOptions;

function segmentInfo(dir: string) {
  return listSegments(dir).map((s) => ({
    offset: s.offset,
    file: path.basename(s.logPath),
    logVersion: fileVersion(s.logPath, 'log'),
    logSize: fileSizeOrNull(s.logPath) ?? 0,
    indexVersion: fileVersion(s.indexPath, 'index'),
    indexSize: fileSizeOrNull(s.indexPath),
  }));
}

function indexText(index: ResolvedIndex): string {
  const kinds = [index.keyIndex ? 'key' : '', index.timeIndex ? 'time' : ''].filter(Boolean).join(', ') || 'none';
  const from = {
    options: 'as given',
    header: 'from the index header',
    inferred: 'inferred from V1 index items',
    default: 'default',
  }[index.source];
  return `${kinds} (${from})`;
}

async function stat(dir: string, o: StatOptions): Promise<void> {
  await withLog(openReader(dir, indexOptions(o)), async ({ log, index }) => {
    const { stats, nextOffset, first, publishedDuring } = await snapshot(log);
    const segments = segmentInfo(dir);
    if (o.json) {
      await writeJson({
        dir,
        messages: stats.messages,
        segments: stats.segments,
        size: stats.size,
        nextOffset,
        firstOffset: first?.offset ?? null,
        firstTime: first ? formatTimeMicros(first.timeMicros) : null,
        keyIndex: index.keyIndex,
        timeIndex: index.timeIndex,
        indexFrom: index.source,
        publishedDuringReading: publishedDuring,
        segmentFiles: segments,
      });
      return;
    }
    const lines = fields([
      ['log', dir],
      ['messages', `${stats.messages}${first ? ` (offsets ${first.offset}..${nextOffset - 1})` : ''}`],
      ['next offset', String(nextOffset)],
      ['first time', first ? formatTimeMicros(first.timeMicros) : '-'],
      ['segments', String(stats.segments)],
      ['size', `${formatSize(stats.size)} (${stats.size} bytes)`],
      ['indexes', indexText(index)],
    ]);
    if (publishedDuring > 0) {
      lines.push(
        `note: a writer published ${publishedDuring} messages while this was read, without a pause for ${PATIENCE_MS / 1000} s: the counts above are that far apart`,
      );
    }
    if (segments.length > 0) {
      lines.push(
        '',
        ...table(
          ['SEGMENT', 'LOG', 'LOG SIZE', 'INDEX', 'INDEX SIZE'],
          segments.map((s) => [
            s.file.replace(/\.log$/, ''),
            s.logVersion ?? '-',
            formatSize(s.logSize),
            s.indexVersion ?? 'missing',
            s.indexSize === null ? '-' : formatSize(s.indexSize),
          ]),
          ['left', 'left', 'right', 'left', 'right'],
        ),
      );
    }
    await writeLines(lines);
  });
}

// ---------------------------------------------------------------- consume

interface ConsumeOptions extends CommonOptions {
  from: string;
  key?: string;
  max?: string;
  follow?: boolean;
  base64?: boolean;
}

/** Where a consume goes next: the storage calls for the options, with a key filter when there is no key index. */
function reader(
  log: Log | BlockingLog,
  index: ResolvedIndex,
  key: Buffer | undefined,
  follow: boolean,
  signal: AbortSignal,
) {
  const blocking = log as BlockingLog;
  const byIndex = key !== undefined && index.keyIndex;
  const read = (offset: number, max: number): Promise<ConsumeResult> => {
    if (byIndex)
      return follow ? blocking.consumeByKeyBlocking(key, offset, max, signal) : log.consumeByKey(key, offset, max);
    return follow ? blocking.consumeBlocking(offset, max, signal) : log.consume(offset, max);
  };
  const keep = (m: Message): boolean => key === undefined || byIndex || (m.key ?? Buffer.alloc(0)).equals(key);
  return { read, keep };
}

async function consume(dir: string, o: ConsumeOptions): Promise<void> {
  const from = parseStartOffset(o.from);
  const max = o.max === undefined ? Infinity : parseCount(o.max, '--max', 1);
  const key = o.key === undefined ? undefined : parseBytes(o.key, o.base64 === true, '--key');
  const follow = o.follow === true;
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  if (follow) {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  const opened = follow ? openFollower(dir, indexOptions(o)) : openReader(dir, indexOptions(o));
  try {
    await withLog<Log, void>(opened, async ({ log, index }) => {
      const { read, keep } = reader(log, index, key, follow, controller.signal);
      const end = follow ? Infinity : await log.nextOffset();
      // Past the end is a mistake (a mistyped offset, another log), not "nothing new": the storage refuses it too.
      if (from > end)
        throw notFoundError(
          `offset ${from} is past the end of ${dir} (next offset ${end}); run \`klevdb stat ${dir}\` to see which offsets it holds, or add --follow to wait for it`,
        );
      let offset = from;
      let printed = 0;
      let header = !o.json;
      while (printed < max && !isStdoutClosed()) {
        if (!follow && (offset === OffsetNewest || offset >= end)) break;
        let result: ConsumeResult;
        try {
          result = await read(offset, Math.min(BATCH, max - printed));
        } catch (err) {
          if (follow && isLogError(err, 'ERR_ABORTED')) break;
          throw err;
        }
        const messages = result.messages.filter(keep).slice(0, max - printed);
        if (messages.length > 0) {
          if (o.json) {
            await writeLines(messages.map((m) => JSON.stringify(jsonMessage(m, o.base64 === true))));
          } else {
            const rows = table(MESSAGE_HEADER, messages.map(messageRow), MESSAGE_ALIGN);
            await writeLines(header ? rows : rows.slice(1));
            header = false;
          }
          printed += messages.length;
        }
        const stuck = result.messages.length === 0 && result.nextOffset <= offset;
        offset = result.nextOffset;
        if (stuck) {
          if (!follow) break;
          // Nothing new although the wait said so (a rewrite by another process): look again shortly.
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

// ---------------------------------------------------------------- get

interface GetOptions extends CommonOptions {
  offset?: string;
  key?: string;
  time?: string;
  base64?: boolean;
}

/** Reads from `start` to the end; `pick` sees each message and says whether to stop. */
async function scan(log: Log, pick: (m: Message) => boolean, start = OffsetOldest): Promise<void> {
  const end = await log.nextOffset();
  for (let offset = start; offset < end;) {
    const { nextOffset, messages } = await log.consume(offset, BATCH);
    for (const m of messages) if (pick(m)) return;
    if (messages.length === 0 && nextOffset <= offset) return;
    offset = nextOffset;
  }
}

async function getByKey(log: Log, index: ResolvedIndex, key: Buffer, dir: string, shown: string): Promise<Message> {
  let found: Message | undefined;
  if (index.keyIndex) {
    try {
      found = await log.getByKey(key);
    } catch (err) {
      if (!isLogError(err, 'ERR_NOT_FOUND')) throw err;
    }
  } else {
    // No key index: the last message with the key, as getByKey would find it.
    await scan(log, (m) => {
      if ((m.key ?? Buffer.alloc(0)).equals(key)) found = m;
      return false;
    });
  }
  if (!found)
    throw notFoundError(
      `no message with key ${shown} in ${dir}; run \`klevdb consume ${dir}\` to see its keys (a key is matched byte for byte)`,
    );
  return found;
}

async function getByTime(log: Log, index: ResolvedIndex, micros: number, dir: string, shown: string): Promise<Message> {
  let found: Message | undefined;
  if (index.timeIndex) {
    try {
      found = await log.getByTime(new Date(Math.floor(micros / 1000)));
    } catch (err) {
      if (!isLogError(err, 'ERR_NOT_FOUND') && !isLogError(err, 'ERR_INVALID_OFFSET')) throw err;
    }
    // The index works in milliseconds: move on to the first message at or after the exact time.
    if (found && found.timeMicros < micros) {
      const start = found.offset;
      found = undefined;
      await scan(log, (m) => (m.timeMicros >= micros ? ((found = m), true) : false), start);
    }
  } else {
    await scan(log, (m) => (m.timeMicros >= micros ? ((found = m), true) : false));
  }
  if (!found) throw notFoundError(`no message at or after ${shown} in ${dir}`);
  return found;
}

async function get(dir: string, o: GetOptions): Promise<void> {
  const given = [o.offset, o.key, o.time].filter((v) => v !== undefined).length;
  if (given !== 1) throw usageError('get needs exactly one of --offset <n>, --key <key> or --time <iso>');
  const offset = o.offset === undefined ? undefined : parseOffset(o.offset, '--offset');
  const key = o.key === undefined ? undefined : parseBytes(o.key, o.base64 === true, '--key');
  const micros = o.time === undefined ? undefined : parseTimeMicros(o.time, '--time');
  await withLog(openReader(dir, indexOptions(o)), async ({ log, index }) => {
    let m: Message;
    if (offset !== undefined) {
      try {
        m = await log.get(offset);
      } catch (err) {
        if (isLogError(err, 'ERR_INVALID_OFFSET')) {
          throw notFoundError(
            `offset ${offset} is not in ${dir} (next offset ${await log.nextOffset()}); run \`klevdb stat ${dir}\` to see which offsets it holds`,
          );
        }
        if (isLogError(err, 'ERR_NOT_FOUND'))
          throw notFoundError(`offset ${offset} was deleted from ${dir} (by delete, trim or compact)`);
        throw err;
      }
    } else if (key !== undefined) {
      m = await getByKey(log, index, key, dir, JSON.stringify(o.key));
    } else {
      m = await getByTime(log, index, micros!, dir, formatTimeMicros(micros!));
    }
    if (o.json) {
      await writeJson({ ...jsonMessage(m, o.base64 === true), size: log.size(m) });
      return;
    }
    await writeLines(
      fields([
        ['offset', String(m.offset)],
        ['time', formatTimeMicros(m.timeMicros)],
        ['key', showBytes(m.key, '(no key)')],
        ['value', showBytes(m.value, '(tombstone)')],
        ['size', `${log.size(m)} bytes`],
      ]),
    );
  });
}

// ---------------------------------------------------------------- registration

export function registerReadCommands(program: Command): void {
  withLogOptions(program.command('stat').argument('<dir>', 'log directory'))
    .description('show the messages, offsets, size, segments and index options of a log')
    .action(action(stat));

  withLogOptions(program.command('consume').argument('<dir>', 'log directory'))
    .description('print messages from an offset on (one JSON object per line with --json)')
    .option('--from <offset>', "offset to start at, or 'oldest' / 'newest'", 'oldest')
    .option('--key <key>', 'only messages with this key')
    .option('--max <n>', 'stop after this many messages')
    .option('-f, --follow', 'keep printing new messages as they are published, also by another process (Ctrl-C stops)')
    .option('--base64', '--key is base64, and --json shows keys and values as base64')
    .action(action(consume));

  withLogOptions(program.command('get').argument('<dir>', 'log directory'))
    .description('print one message: by offset, the latest with a key, or the first at or after a time')
    .option('--offset <n>', 'the message at this offset')
    .option('--key <key>', 'the latest message with this key')
    .option('--time <iso>', 'the first message at or after this time (ISO 8601, e.g. 2024-05-01T12:00:00Z)')
    .option('--base64', '--key is base64, and --json shows keys and values as base64')
    .action(action(get));
}
