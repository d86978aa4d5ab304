// Shared setup of the delete-multi, trim and compact specs: the format and
// index matrix, logs of gen() messages split into small segments, and a way to
// fail a Log method of a real log.
import { expect } from 'chai';
import { isLogError, V1, V2 } from '../../src/index.js';
import type { Log, Message, Options, PublishMessage, Version } from '../../src/index.js';
import { open } from '../helpers/api.js';
import { useTempDirs } from '../helpers/fs.js';
import { GEN_V1_SIZE, GEN_V2_SIZE, gen, publishBatched, view } from '../helpers/messages.js';
import type { MessageView } from '../helpers/messages.js';

export interface Variant {
  name: string;
  version: Version;
  keyIndex: boolean;
  timeIndex: boolean;
}

export const VARIANTS: Variant[] = [V1, V2].flatMap((version) =>
  [false, true].map((indexed) => ({
    name: `${version.name}${indexed ? ' with key+time index' : ' without index'}`,
    version,
    keyIndex: indexed,
    timeIndex: indexed,
  })),
);

/** Rollover that puts exactly two gen() messages in each segment. */
export function twoPerSegment(version: Version): number {
  return 2 * (version === V1 ? GEN_V1_SIZE : GEN_V2_SIZE) - 1;
}

export function options(v: Variant, extra: Options = {}): Options {
  return { keyIndex: v.keyIndex, timeIndex: v.timeIndex, version: { newSegmentsVersion: v.version }, ...extra };
}

/** Opens a log and publishes msgs one by one, so a small rollover splits them. */
export async function openWith(dir: string, opts: Options, msgs: PublishMessage[]): Promise<Log> {
  const log = await open(dir, opts);
  await publishBatched(log, msgs, 1);
  return log;
}

/** `count` gen() messages, two per segment. */
export async function openSegmented(dir: string, v: Variant, count: number): Promise<Log> {
  const log = await openWith(dir, options(v, { rollover: twoPerSegment(v.version) }), gen(count));
  expect((await log.stat()).segments, 'two messages per segment').to.equal(Math.ceil(count / 2));
  return log;
}

export const offsetsOf = (ms: Message[]): number[] => ms.map((m) => m.offset).sort((a, b) => a - b);

export const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);

export const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

export const viewsByOffset = (ms: Message[]): MessageView[] => ms.map(view).sort((a, b) => a.offset - b.offset);

const LOG_METHODS = [
  'publish',
  'nextOffset',
  'consume',
  'consumeByKey',
  'get',
  'getByKey',
  'offsetByKey',
  'getByTime',
  'offsetByTime',
  'delete',
  'size',
  'stat',
  'backup',
  'sync',
  'gc',
  'close',
] as const;

/** A Log that forwards to `log` except for the methods in `overrides`. */
export function wrapLog(log: Log, overrides: Partial<Log>): Log {
  const wrapped: Record<string, unknown> = {};
  for (const m of LOG_METHODS) wrapped[m] = (log[m] as (...a: unknown[]) => unknown).bind(log);
  return Object.assign(wrapped, overrides) as unknown as Log;
}

/** Counts the calls of log.delete and what each deleted. */
export function countDeletes(log: Log): { log: Log; rounds: number[][] } {
  const rounds: number[][] = [];
  const counted = wrapLog(log, {
    delete: async (offsets) => {
      const res = await log.delete(offsets);
      rounds.push(offsetsOf(res.deleted));
      return res;
    },
  });
  return { log: counted, rounds };
}

/**
 * Temp directories and logs for a describe block: `keep(log)` closes the log
 * after the test, before its directory is removed.
 */
export function useLogs(): { tempDir: () => Promise<string>; keep: (log: Log) => Log } {
  const logs: Log[] = [];
  // Registered before useTempDirs' hook, so it runs first.
  afterEach(async () => {
    for (const log of logs.splice(0)) {
      await log.close().catch((err: unknown) => {
        if (!isLogError(err, 'ERR_CLOSED')) throw err;
      });
    }
  });
  const tempDir = useTempDirs();
  return {
    tempDir,
    keep: (log) => {
      logs.push(log);
      return log;
    },
  };
}
