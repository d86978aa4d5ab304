/**
 * Retention commands: trim (by age, count, offset or size) and compact (by
 * key). Both open the log for writing and delete segment by segment.
 */
import type { Command } from 'commander';
import type { Log, Stats } from '../../storage/index.js';
import {
  findByAge,
  findByCount,
  findByOffset,
  findBySize,
  trimByAgeMultiOffsets,
  trimByCountMultiOffsets,
  trimByOffsetMultiOffsets,
  trimBySizeMultiOffsets,
  compact,
  findDeletes,
  findUpdates,
  type MultiOptions,
} from '../../storage/index.js';
import { parseBefore, parseCount, parseDuration, parseOffset, parseSize } from '../args.js';
import { action, indexOptions, withLogOptions, withProgressOption } from '../common.js';
import type { CommonOptions, ProgressOption } from '../common.js';
import { usageError } from '../errors.js';
import { formatSize } from '../../log-tools/index.js';
import { formatOffsets, plural } from '../format.js';
import { refuseOnEventStore, withForceOption, type ForceOption } from '../eventstore-guard.js';
import { openWriter, withLog } from '../log-open.js';
import { ProgressBar, progressWanted, writeJson, writeLines } from '../output.js';

// ---------------------------------------------------------------- trim

interface TrimOptions extends CommonOptions, ProgressOption, ForceOption {
  age?: string;
  count?: string;
  offset?: string;
  size?: string;
  dryRun?: boolean;
}

interface Rule {
  describe: string;
  find: (log: Log) => Promise<Set<number>>;
  trim: (log: Log, options: MultiOptions) => Promise<{ deleted: Set<number>; deletedSize: number }>;
}

/** The one retention rule the options name. */
function trimRule(o: TrimOptions): Rule {
  const given = (['age', 'count', 'offset', 'size'] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) {
    throw usageError('trim needs exactly one of --age <duration|time>, --count <n>, --offset <n> or --size <bytes>');
  }
  if (o.age !== undefined) {
    const before = parseBefore(o.age, '--age');
    return {
      describe: `older than ${before.toISOString()}`,
      find: (log) => findByAge(log, before),
      trim: (log, opts) => trimByAgeMultiOffsets(log, before, undefined, undefined, opts),
    };
  }
  if (o.count !== undefined) {
    const max = parseCount(o.count, '--count');
    return {
      describe: `beyond the newest ${max}`,
      find: (log) => findByCount(log, max),
      trim: (log, opts) => trimByCountMultiOffsets(log, max, undefined, undefined, opts),
    };
  }
  if (o.offset !== undefined) {
    const before = parseOffset(o.offset, '--offset');
    return {
      describe: `before offset ${before}`,
      find: (log) => findByOffset(log, before),
      trim: (log, opts) => trimByOffsetMultiOffsets(log, before, undefined, undefined, opts),
    };
  }
  const size = parseSize(o.size!, '--size');
  return {
    describe: `until the log is under ${formatSize(size)}`,
    find: (log) => findBySize(log, size),
    trim: (log, opts) => trimBySizeMultiOffsets(log, size, undefined, undefined, opts),
  };
}

function span(offsets: Set<number>): { firstOffset: number | null; lastOffset: number | null } {
  if (offsets.size === 0) return { firstOffset: null, lastOffset: null };
  let first = Infinity;
  let last = -Infinity;
  for (const o of offsets) {
    first = Math.min(first, o);
    last = Math.max(last, o);
  }
  return { firstOffset: first, lastOffset: last };
}

async function trim(dir: string, o: TrimOptions): Promise<void> {
  const rule = trimRule(o);
  const bar = new ProgressBar(progressWanted(o.progress));
  await withLog(openWriter(dir, indexOptions(o)), async ({ log }) => {
    let offsets: Set<number>;
    let deletedSize: number | null = null;
    if (o.dryRun) {
      offsets = await rule.find(log);
    } else {
      await refuseOnEventStore('trim', dir, log, () => rule.find(log), o.force);
      try {
        ({ deleted: offsets, deletedSize } = await rule.trim(log, { onProgress: bar.onProgress }));
      } finally {
        bar.stop();
      }
    }
    const after = await log.stat();
    if (o.json) {
      await writeJson({
        dryRun: o.dryRun === true,
        deleted: offsets.size,
        deletedSize,
        ...span(offsets),
        messages: after.messages,
        size: after.size,
      });
      return;
    }
    const what = offsets.size === 0 ? '' : `: offsets ${formatOffsets(offsets)}`;
    await writeLines([
      o.dryRun
        ? `would trim ${plural(offsets.size, 'message')} ${rule.describe} from ${dir}${what} (dry run: nothing deleted)`
        : `trimmed ${plural(offsets.size, 'message')} (${formatSize(deletedSize ?? 0)}) ${rule.describe} from ${dir}${what}; ${plural(after.messages, 'message')} remain`,
    ]);
  });
}

// ---------------------------------------------------------------- compact

interface CompactOptions extends CommonOptions, ProgressOption, ForceOption {
  age: string;
}

/** The offsets compact(log, ageMs) deletes: replaced values older than the age, tombstones older than twice it. */
async function compactedOffsets(log: Log, ageMs: number): Promise<Set<number>> {
  const ago = (ms: number) => new Date(Math.max(Date.now() - ms, -8.64e15));
  return new Set([...(await findUpdates(log, ago(ageMs))), ...(await findDeletes(log, ago(ageMs * 2)))]);
}

async function compactLog(dir: string, o: CompactOptions): Promise<void> {
  const ageMs = parseDuration(o.age, '--age');
  const bar = new ProgressBar(progressWanted(o.progress));
  await withLog(openWriter(dir, indexOptions(o)), async ({ log }) => {
    await refuseOnEventStore('compact', dir, log, () => compactedOffsets(log, ageMs), o.force);
    const before: Stats = await log.stat();
    try {
      await compact(log, ageMs, undefined, undefined, { onProgress: bar.onProgress });
    } finally {
      bar.stop();
    }
    const after = await log.stat();
    const removed = before.messages - after.messages;
    if (o.json) {
      await writeJson({
        removed,
        messagesBefore: before.messages,
        messages: after.messages,
        sizeBefore: before.size,
        size: after.size,
      });
      return;
    }
    await writeLines([
      `compacted ${dir}: removed ${plural(removed, 'message')} (replaced values and old tombstones); ` +
        `${before.messages} -> ${after.messages} messages, ${formatSize(before.size)} -> ${formatSize(after.size)}`,
    ]);
  });
}

// ---------------------------------------------------------------- registration

export function registerRetentionCommands(program: Command): void {
  const trimCommand = withProgressOption(withLogOptions(program.command('trim').argument('<dir>', 'log directory')))
    .description('delete the oldest messages: by age, to a count, before an offset, or down to a size')
    .option('--age <duration|time>', 'messages older than this (30s, 15m, 2h, 7d, 1w) or before this ISO time')
    .option('--count <n>', 'keep only the newest n messages')
    .option('--offset <n>', 'messages before this offset')
    .option('--size <bytes>', 'oldest messages until the log is smaller than this (4096, 512k, 10MiB, 1GB)')
    .option('--dry-run', 'only say what would be deleted');
  withForceOption(trimCommand).action(action(trim));

  const compactCommand = withProgressOption(
    withLogOptions(program.command('compact').argument('<dir>', 'log directory')),
  )
    .description(
      'keep the latest message of each key: remove replaced values older than --age, and tombstones older than twice that',
    )
    .option('--age <duration>', 'only compact messages older than this (30s, 15m, 2h, 7d, 1w)', '0');
  withForceOption(compactCommand).action(action(compactLog));
}
