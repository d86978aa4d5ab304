/**
 * Issue 18's workload, standalone: a bank-account decider (Deposited /
 * Withdrawn) driven command by command (load, decide, append with the
 * loaded version) on our event store and commandHandler over three stores
 * (a log with default options, a log with autoSync, the in-memory store) and
 * on Emmett 0.38.5's DeciderCommandHandler over its SQLite and in-memory
 * stores (bench/decider-systems.ts). Systems take turns within each row, so
 * load on the machine falls on all alike; every figure is the median of the
 * rounds (of the long-vs-short rows: of their pairs, bench/long-vs-short.ts);
 * every target is a ratio measured within this run.
 *
 *   npx tsc -p . && node --expose-gc dist/bench/decider.js
 *   BENCH_ROUNDS=1 node --expose-gc dist/bench/decider.js          # a quick run
 *   BENCH_ROWS=long node --expose-gc dist/bench/decider.js         # the long-vs-short rows alone
 *
 * Emmett's SQLite store opens a connection per operation (about 200
 * commands/s): it runs a tenth of the commands and 20 reads per row, except
 * the growing-stream row, which needs its 1,500 commands to grow the stream.
 */
import os from 'node:os';
import { openSnapshotStore } from '../src/aggregates/index.js';
import { commandAt, KINDS, LABELS, openKlevdbStore, openSystem, type Kind } from './decider-systems.js';
import { BenchRun, envCount, ratioTarget, renderTargets, type TargetResult } from './report.js';
import { longVsShort, PART } from './long-vs-short.js';

const ROUNDS = envCount('BENCH_ROUNDS', 3);
/** Pairs of timed parts (one on each stream) per long-vs-short row and round. */
const PAIRS = envCount('BENCH_PAIRS', 12);
/** BENCH_ROWS=long: only the long-vs-short rows (and their targets); otherwise every row. */
const ONLY_LONG = process.env.BENCH_ROWS === 'long';
if (process.env.BENCH_ROWS !== undefined && !ONLY_LONG)
  throw new Error(`BENCH_ROWS must be 'long' (the long-vs-short rows alone) or unset, got ${process.env.BENCH_ROWS}`);
/** A row that has not finished in this long stalled (Emmett's SQLite store under concurrency): it is reported, not awaited. */
const STALL_MS = 60_000;

// The long rows alone write bench/decider-long-results.json: a whole run's file keeps every row.
const run = new BenchRun(ONLY_LONG ? 'decider-long' : 'decider');
let snapshotStores = 0;
const perSecond = (count: number, began: bigint): number => count / (Number(process.hrtime.bigint() - began) / 1e9);
/** Commands per CPU second of this process in the last commands() run: on a loaded machine, what each system's work costs. */
let lastPerCpuSecond = NaN;

/** Rejects with 'stalled' when `work` has not settled within STALL_MS. */
function guarded<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stalled (no result within ${STALL_MS / 1000} s)`)), STALL_MS);
  });
  return Promise.race([work, stall]).finally(() => clearTimeout(timer));
}

/** Commands/s: `commands` of them over `streams` streams, round robin, `inFlight` at a time. */
async function commands(kind: Kind, streams: number, commands: number, inFlight = 1): Promise<number> {
  const system = await openSystem(kind, run.dir);
  // Emmett's SQLite store console.logs every failed transaction (SQLITE_BUSY under concurrency): the table reports the failure once instead.
  const log = console.log;
  if (kind === 'emmettSqlite') console.log = () => {};
  try {
    let next = 0;
    const began = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const worker = async () => {
      for (let i = next++; i < commands; i = next++)
        await system.handle(`account-${i % streams}`, commandAt(Math.floor(i / streams)));
    };
    const workers = Array.from({ length: inFlight }, worker);
    try {
      await guarded(Promise.all(workers));
    } catch (err) {
      // The other workers stop after the command they are in, and are waited for: nothing of this row runs on into the next.
      next = commands;
      await guarded(Promise.allSettled(workers)).catch(() => {});
      throw err;
    }
    const rate = perSecond(commands, began);
    const cpu = process.cpuUsage(cpuBefore);
    lastPerCpuSecond = commands / ((cpu.user + cpu.system) / 1e6);
    return rate;
  } finally {
    console.log = log;
    await system.close();
  }
}

/** One long-vs-short row: a store with a stream of 100,000 events, measured in pairs of parts (long-vs-short.ts). */
async function longVsShortRow(kind: 'log' | 'memory', withSnapshots: boolean) {
  const store = await openKlevdbStore(kind, run.dir);
  const snapshots = withSnapshots
    ? await openSnapshotStore(`${run.dir}/snapshots-${kind}-${++snapshotStores}`)
    : undefined;
  try {
    return await longVsShort(store, snapshots, PAIRS);
  } finally {
    await Promise.all([store.close(), snapshots?.close()]);
  }
}

/** Whole-stream reads/s of a stream of `length` events (after a first, unmeasured read). */
async function wholeStreamReads(kind: Kind, length: number, reads: number): Promise<number> {
  const system = await openSystem(kind, run.dir);
  try {
    await system.fill('s', length);
    await system.read('s');
    const began = process.hrtime.bigint();
    for (let i = 0; i < reads; i++) if ((await system.read('s')) !== length) throw new Error('short read');
    return perSecond(reads, began);
  } finally {
    await system.close();
  }
}

interface Row {
  id: string;
  label: string;
  kinds: Kind[];
  measure: (kind: Kind) => Promise<number>;
}

/** autoSync waits for the disk on every command, Emmett's SQLite store opens a connection: fewer of them, the rate is what counts. */
const sized = (kind: Kind, n: number) =>
  kind === 'autoSync' ? Math.ceil(n / 4) : kind === 'emmettSqlite' ? Math.ceil(n / 10) : n;
const READERS: Kind[] = ['log', 'memory', 'emmettSqlite', 'emmettMemory'];
const readCount = (kind: Kind) => (kind === 'emmettSqlite' ? 20 : 1000);
const ROWS: Row[] = [
  {
    id: 'c1000x4',
    label: 'commands/s, 1000 streams × 4 events',
    kinds: KINDS,
    measure: (k) => commands(k, 1000, sized(k, 4000)),
  },
  {
    id: 'c100x40',
    label: 'commands/s, 100 streams × 40 events',
    kinds: KINDS,
    measure: (k) => commands(k, 100, sized(k, 4000)),
  },
  {
    id: 'c10x400',
    label: 'commands/s, 10 streams × 400 events',
    kinds: KINDS,
    measure: (k) => commands(k, 10, sized(k, 4000)),
  },
  {
    id: 'c32',
    label: 'commands/s, 32 in flight, 1000 streams',
    kinds: KINDS,
    measure: (k) => commands(k, 1000, sized(k, 4000), 32),
  },
  {
    id: 'c1x1500',
    label: 'commands/s, one stream growing to 1,500 events',
    kinds: KINDS,
    // The stream must grow to 1,500 events on Emmett's SQLite store too: its cost grows with the stream.
    measure: (k) => commands(k, 1, k === 'emmettSqlite' ? 1500 : sized(k, 1500)),
  },
  {
    id: 'r2000',
    label: 'whole-stream reads/s, 2,000-event stream',
    kinds: READERS,
    measure: (k) => wholeStreamReads(k, 2000, readCount(k)),
  },
  {
    id: 'r1000',
    label: 'whole-stream reads/s, 1,000-event stream',
    kinds: READERS,
    measure: (k) => wholeStreamReads(k, 1000, readCount(k)),
  },
];

const SEQUENTIAL_ROWS = ['c1000x4', 'c100x40', 'c10x400', 'c1x1500'];
const LONG_ROWS = ['long/log', 'long/log/snapshots', 'long/memory', 'long/memory/snapshots'];
const COMMAND_ROWS = [...SEQUENTIAL_ROWS, 'c32'];

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const figures = new Map<string, number[]>();
  const add = (key: string, value: number) => figures.set(key, [...(figures.get(key) ?? []), value]);
  /** Why a system failed a row (Emmett's SQLite store: SQLITE_BUSY or a stall under concurrency). */
  const failures = new Map<string, string[]>();
  try {
    // Unmeasured: every system's code is compiled by the JIT before the first row, so no system pays for it in round 1.
    process.stdout.write('warming up...');
    // Both shapes of the rows: code that runs only with commands in flight together (turns that wait, shared
    // publishes) was still cold in the 32-in-flight row of round 1 (a first run of it at a third of the rate of
    // the next). Emmett's SQLite store fails under concurrency (SQLITE_BUSY), so it warms up sequentially only.
    for (const kind of ONLY_LONG ? (['log', 'memory'] as const) : KINDS) {
      await commands(kind, 100, sized(kind, 2000));
      if (kind !== 'emmettSqlite') for (let i = 0; i < 2; i++) await commands(kind, 1000, sized(kind, 4000), 32);
    }
    process.stdout.write(' done\n');
    for (let round = 1; round <= ROUNDS; round++) {
      process.stdout.write(`round ${round}/${ROUNDS}:`);
      for (const row of ONLY_LONG ? [] : ROWS) {
        // Systems take turns within a row: load on the machine falls on all of them alike.
        for (const kind of row.kinds) {
          try {
            lastPerCpuSecond = NaN;
            add(`${row.id}/${kind}`, await row.measure(kind));
            if (!Number.isNaN(lastPerCpuSecond)) add(`${row.id}/${kind}/cpu`, lastPerCpuSecond);
          } catch (err) {
            const key = `${row.id}/${kind}`;
            failures.set(key, [...(failures.get(key) ?? []), (err as Error).message.split('\n')[0]!]);
          }
        }
        process.stdout.write(` ${row.id}`);
      }
      for (const kind of ['log', 'memory'] as const) {
        for (const snapshots of [false, true]) {
          const { ratios, long, short } = await longVsShortRow(kind, snapshots);
          const id = `long/${kind}${snapshots ? '/snapshots' : ''}`;
          add(`${id}/long`, long);
          add(`${id}/short`, short);
          // The figure is the median of every pair of every round; each round's median is shown beside it.
          for (const ratio of ratios) add(`${id}/pairs`, ratio);
          add(`${id}/ratio`, median(ratios));
        }
      }
      process.stdout.write(' long-vs-short\n');
    }
  } finally {
    run.removeData();
  }
  const fig = (key: string): number => median(figures.get(key) ?? [NaN]);
  const fmt = (n: number): string => (Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));
  // A system that failed some rounds shows the median of the others and how many failed; one that failed them all, why.
  const cell = (key: string): string => {
    const failed = failures.get(key);
    if (!failed) return fmt(fig(key));
    if (!figures.has(key)) return `fails: ${failed[0]}`;
    return `${fmt(fig(key))} (failed ${failed.length} of ${ROUNDS} rounds: ${failed[0]})`;
  };
  if (!ONLY_LONG) {
    console.log(`\n| row | ${KINDS.map((k) => LABELS[k]).join(' | ')} |\n|---|${KINDS.map(() => '--:').join('|')}|`);
    for (const row of ROWS) console.log(`| ${row.label} | ${KINDS.map((k) => cell(`${row.id}/${k}`)).join(' | ')} |`);
    // CPU time leaves out waits for the disk (autoSync's fdatasync): only the systems that do not wait are compared so.
    console.log(
      '\nper CPU second of the process (a loaded machine slows wall-clock rates unevenly), vs Emmett in-memory:',
    );
    for (const id of COMMAND_ROWS) {
      const ratio = (kind: Kind) => (fig(`${id}/${kind}/cpu`) / fig(`${id}/emmettMemory/cpu`)).toFixed(2);
      console.log(`  ${id.padEnd(8)} log ${ratio('log')}x, in-memory ${ratio('memory')}x`);
    }
  }
  console.log(
    `\ncommands per CPU second on a stream of 100,000 events vs one of 4, in ${PAIRS} pairs of ${PART} commands a round` +
      ' (a full GC before each part, which stream goes first alternating); long vs short over all parts, then the median' +
      " of the pairs' ratios (the range of the pairs; each round's median):",
  );
  for (const id of LONG_ROWS) {
    const pairs = figures.get(`${id}/pairs`) ?? [];
    const rounds = (figures.get(`${id}/ratio`) ?? []).map((r) => r.toFixed(2)).join(', ');
    console.log(
      `  ${id.slice(5).padEnd(18)} ${fmt(fig(`${id}/long`))} vs ${fmt(fig(`${id}/short`))} (${(fig(`${id}/long`) / fig(`${id}/short`)).toFixed(2)}x);` +
        ` ${fig(`${id}/pairs`).toFixed(2)}x (${Math.min(...pairs).toFixed(2)}-${Math.max(...pairs).toFixed(2)}; rounds ${rounds})`,
    );
  }
  /** `ours` / `theirs` on the worst of `rows`, at least `min`. */
  const worstRow = (label: string, rows: string[], ours: Kind, theirs: Kind, min: number): TargetResult => {
    // A row Emmett failed (SQLITE_BUSY) has no ratio: it is named, and the target stands on the other rows.
    const failed = rows.filter((id) => !figures.has(`${id}/${theirs}`));
    const ratios = rows
      .filter((id) => !failed.includes(id))
      .map((id) => ({ id, ratio: fig(`${id}/${ours}`) / fig(`${id}/${theirs}`) }));
    const note = failed.length > 0 ? `; ${LABELS[theirs]} failed ${failed.join(', ')}` : '';
    if (ratios.length === 0) return { label, pass: undefined, detail: `no row to compare${note}` };
    const worst = ratios.reduce((a, b) => (Number.isNaN(b.ratio) || b.ratio < a.ratio ? b : a));
    if (Number.isNaN(worst.ratio)) return { label, pass: false, detail: `${LABELS[ours]} failed ${worst.id}${note}` };
    const target = ratioTarget(label, worst.ratio, { atLeast: min }, `worst row ${worst.id}`);
    return { ...target, detail: target.detail + note };
  };
  const longTargets: TargetResult[] = LONG_ROWS.map((id) =>
    ratioTarget(
      `a command on a 100,000-event stream vs a 4-event stream (${id.slice(5)})`,
      fig(`${id}/pairs`),
      { atLeast: 0.8 },
      `commands per CPU second, long / short: the median of ${figures.get(`${id}/pairs`)?.length ?? 0} pairs of ${PART} commands`,
    ),
  );
  // The long rows alone (BENCH_ROWS=long): only their targets.
  const targets: TargetResult[] = ONLY_LONG
    ? longTargets
    : [
        ...longTargets,
        ratioTarget(
          'one stream growing to 1,500 events vs 1000 streams × 4 events (log)',
          fig('c1x1500/log') / fig('c1000x4/log'),
          { atLeast: 0.8 },
          'commands/s',
        ),
        {
          label: 'whole-stream reads of a 2,000-event stream from the log: at least 1,000,000 events/s',
          pass: fig('r2000/log') * 2000 >= 1_000_000,
          detail: `${fmt(fig('r2000/log') * 2000)} events/s (${fmt(fig('r2000/log'))} reads/s; an absolute figure: load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores)`,
        },
        worstRow(
          'commands on the log store (default options) at least 1.5x Emmett in-memory on every command row',
          COMMAND_ROWS,
          'log',
          'emmettMemory',
          1.5,
        ),
        worstRow(
          'autoSync sequential commands at least 10x Emmett SQLite',
          SEQUENTIAL_ROWS,
          'autoSync',
          'emmettSqlite',
          10,
        ),
        worstRow(
          'autoSync commands with 32 in flight at least Emmett in-memory (group commit)',
          ['c32'],
          'autoSync',
          'emmettMemory',
          1,
        ),
        worstRow(
          'whole-stream reads of a 2,000-event stream from the in-memory store at least Emmett in-memory',
          ['r2000'],
          'memory',
          'emmettMemory',
          1,
        ),
      ];
  console.log(`\n${renderTargets(targets)}\n`);
  run.finish({
    rounds: ROUNDS,
    figures: Object.fromEntries([...figures].map(([k, v]) => [k, { median: fig(k), rounds: v }])),
    failures: Object.fromEntries(failures),
    targets,
  });
  if (targets.some((t) => t.pass === false)) process.exitCode = 1;
}

await main();
