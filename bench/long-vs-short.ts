/**
 * The decider bench's long-vs-short rows: what a command costs on a stream
 * of 100,000 events against one on a stream of 4, on one store, per CPU
 * second of the process.
 *
 * Why it is measured this way: a command costs 15-50 µs, so the old rows'
 * 2,000 commands a stream were 40-130 ms of CPU, and a few slices of 50
 * commands that took 5-30x their median decided the ratio (on a loaded
 * machine: preemptions that leave the caches cold, the CPU of the GC and
 * JIT threads, which the process is charged with, a major GC of the heap
 * that holds the 100,000 events). The same row gave 0.59x-1.50x from run
 * to run; the ratio of the two streams' median slices 0.73x-1.20x, most
 * within 10% of 1. So: parts of PART commands, a long and a short one in every pair
 * (which goes first alternates), each after a full GC, and the figure is
 * the median of the pairs' ratios. The total CPU of each stream is kept
 * beside it, so a cost that comes back only now and then still shows.
 *
 * Each pair's short stream is a fresh one of 4 events (loaded once before,
 * like the long one), so it stays short: at most PART + 5 events.
 */
import { commandHandler, type SnapshotStore } from '../src/aggregates/index.js';
import type { LogEventStore } from '../src/eventstore/index.js';
import { bank, commandAt, Deposited, type BankEvent } from './decider-systems.js';

export const LONG = 100_000;
/** Commands in one timed part: about 10 ms of CPU, so one part is many scavenges, not one. */
export const PART = 400;

export interface LongVsShort {
  /** Long / short commands per CPU second of each pair, in pair order. */
  ratios: number[];
  /** Commands per CPU second over all parts of the long stream, and of the short ones. */
  long: number;
  short: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** CPU seconds of this process (all its threads) while `count` commands run one after another. */
async function timedPart(handle: (i: number) => Promise<unknown>, from: number, count: number): Promise<number> {
  // A full GC first: garbage of the part before (or of the setup) is not collected on this part's time.
  gc?.();
  const began = process.cpuUsage();
  for (let i = from; i < from + count; i++) await handle(i);
  const used = process.cpuUsage(began);
  return (used.user + used.system) / 1e6;
}

/** `pairs` pairs of parts on a stream of LONG events in `store` and a fresh 4-event stream each. */
export async function longVsShort(
  store: LogEventStore<BankEvent>,
  snapshots: SnapshotStore | undefined,
  pairs: number,
): Promise<LongVsShort> {
  if (!gc) throw new Error('run the decider bench with node --expose-gc (npm run bench does)');
  const batch = Array.from({ length: 1000 }, () => Deposited({ amount: 1 }));
  for (let i = 0; i < LONG / batch.length; i++) await store.appendToStream('long', batch);
  const shorts = Array.from({ length: pairs }, (_, p) => `short-${p}`);
  for (const stream of shorts) await store.appendToStream(stream, batch.slice(0, 4));
  const handle = commandHandler(bank, store, snapshots ? { snapshots: { store: snapshots, every: 100 } } : {});
  // Every stream loaded once before: a first load (a whole read, or a snapshot) is not what the rows compare.
  for (const stream of ['long', ...shorts]) await handle(stream, commandAt(0));
  const ratios: number[] = [];
  const seconds = { long: 0, short: 0 };
  for (let p = 0; p < pairs; p++) {
    const long = () => timedPart((i) => handle('long', commandAt(i)), 1 + p * PART, PART);
    const short = () => timedPart((i) => handle(shorts[p]!, commandAt(i)), 1, PART);
    // Which stream goes first alternates: whatever the first part of a pair leaves to the second falls on both alike.
    let l: number, s: number;
    if (p % 2 === 0) {
      l = await long();
      s = await short();
    } else {
      s = await short();
      l = await long();
    }
    ratios.push(s / l);
    seconds.long += l;
    seconds.short += s;
  }
  return { ratios, long: (pairs * PART) / seconds.long, short: (pairs * PART) / seconds.short };
}
