/**
 * Issue 18's workload, standalone: a bank-account decider (Deposited /
 * Withdrawn) driven through commandHandler (load, decide, append with the
 * loaded version) on our three stores: a log with default options, a log
 * with autoSync, and the in-memory store. Every figure is the median of the
 * rounds; every target is a ratio measured within this run.
 *
 *   npx tsc -p . && node dist/bench/decider.js
 *   BENCH_ROUNDS=1 node dist/bench/decider.js          # a quick run
 *
 * The Emmett peers of the issue's table (@event-driven-io/emmett and
 * emmett-sqlite) are not installed yet: their goals print as SKIP.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { commandHandler, openSnapshotStore, type Decider } from '../src/aggregates/index.js';
import {
  defineEvent,
  inMemoryEventStore,
  openEventStore,
  type EventsOf,
  type LogEventStore,
} from '../src/eventstore/index.js';
import { BenchRun, envCount, ratioTarget, renderTargets, type TargetResult } from './report.js';

const ROUNDS = envCount('BENCH_ROUNDS', 3);
const LONG = 100_000;

const Deposited = defineEvent('Deposited', z.object({ amount: z.number().int().positive() }));
const Withdrawn = defineEvent('Withdrawn', z.object({ amount: z.number().int().positive() }));
const events = [Deposited, Withdrawn] as const;
type BankEvent = EventsOf<typeof events>;
type Command = { type: 'Deposit'; amount: number } | { type: 'Withdraw'; amount: number };
const bank: Decider<{ balance: number }, Command, BankEvent> = {
  initialState: () => ({ balance: 0 }),
  evolve: (s, e) => ({ balance: s.balance + (e.type === 'Deposited' ? e.data.amount : -e.data.amount) }),
  decide: (c, s) => {
    if (c.type === 'Withdraw' && c.amount > s.balance) throw new Error('insufficient funds');
    return c.type === 'Deposit' ? Deposited({ amount: c.amount }) : Withdrawn({ amount: c.amount });
  },
};
/** Three deposits, then a withdrawal: every fourth command reads the balance it must not overdraw. */
const commandAt = (i: number): Command =>
  i % 4 === 3 ? { type: 'Withdraw', amount: 1 } : { type: 'Deposit', amount: 1 };

type Kind = 'log' | 'autoSync' | 'memory';
const KINDS: Kind[] = ['log', 'autoSync', 'memory'];
const LABELS: Record<Kind, string> = {
  log: 'klevdb (log, default)',
  autoSync: 'klevdb autoSync',
  memory: 'klevdb in-memory',
};

const run = new BenchRun('decider');
let stores = 0;
async function openStore(kind: Kind): Promise<LogEventStore<BankEvent>> {
  if (kind === 'memory') return inMemoryEventStore({ events });
  return openEventStore(path.join(run.dir, `events-${++stores}`), { events, log: { autoSync: kind === 'autoSync' } });
}

const perSecond = (count: number, began: bigint): number => count / (Number(process.hrtime.bigint() - began) / 1e9);

/** Commands/s: `commands` of them over `streams` streams, round robin, `inFlight` at a time. */
async function commands(kind: Kind, streams: number, commands: number, inFlight = 1): Promise<number> {
  const store = await openStore(kind);
  try {
    const handle = commandHandler(bank, store, { retries: 100 });
    let next = 0;
    const began = process.hrtime.bigint();
    const worker = async () => {
      for (let i = next++; i < commands; i = next++)
        await handle(`account-${i % streams}`, commandAt(Math.floor(i / streams)));
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    return perSecond(commands, began);
  } finally {
    await store.close();
  }
}

/**
 * Commands on a stream of LONG events and on one of 4, taking turns in
 * slices so that load on the machine slows both alike; both streams loaded
 * once before. Returns [long, short] commands per CPU second.
 */
async function longVsShort(kind: Kind, withSnapshots: boolean, count: number): Promise<[number, number]> {
  const store = await openStore(kind);
  const snapshots = withSnapshots ? await openSnapshotStore(path.join(run.dir, `snapshots-${++stores}`)) : undefined;
  try {
    const batch = Array.from({ length: 1000 }, () => Deposited({ amount: 1 }));
    for (let i = 0; i < LONG / batch.length; i++) await store.appendToStream('long', batch);
    await store.appendToStream('short', batch.slice(0, 4));
    const handle = commandHandler(bank, store, snapshots ? { snapshots: { store: snapshots, every: 100 } } : {});
    await handle('long', commandAt(0));
    await handle('short', commandAt(0));
    // CPU seconds of this process: other work on a loaded machine takes wall-clock time, not these.
    const seconds = [0, 0];
    for (let done = 0; done < count; done += 50) {
      for (const [k, stream] of ['long', 'short'].entries()) {
        const began = process.cpuUsage();
        for (let i = done; i < done + 50; i++) await handle(stream, commandAt(i));
        const used = process.cpuUsage(began);
        seconds[k]! += (used.user + used.system) / 1e6;
      }
    }
    return [count / seconds[0]!, count / seconds[1]!];
  } finally {
    await Promise.all([store.close(), snapshots?.close()]);
  }
}

/** Whole-stream reads/s of a stream of `length` events (after a first, unmeasured read). */
async function wholeStreamReads(kind: Kind, length: number, reads: number): Promise<number> {
  const store = await openStore(kind);
  try {
    await store.appendToStream(
      's',
      Array.from({ length }, (_, i) => Deposited({ amount: i + 1 })),
    );
    await store.readStream('s');
    const began = process.hrtime.bigint();
    for (let i = 0; i < reads; i++)
      if ((await store.readStream('s')).events.length !== length) throw new Error('short read');
    return perSecond(reads, began);
  } finally {
    await store.close();
  }
}

interface Row {
  id: string;
  label: string;
  kinds: Kind[];
  measure: (kind: Kind) => Promise<number>;
}

/** autoSync waits for the disk on every command: fewer of them, the rate is what counts. */
const sized = (kind: Kind, n: number) => (kind === 'autoSync' ? Math.ceil(n / 4) : n);
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
    measure: (k) => commands(k, 1, sized(k, 1500)),
  },
  {
    id: 'r2000',
    label: 'whole-stream reads/s, 2,000-event stream',
    kinds: ['log', 'memory'],
    measure: (k) => wholeStreamReads(k, 2000, 1000),
  },
  {
    id: 'r1000',
    label: 'whole-stream reads/s, 1,000-event stream',
    kinds: ['log', 'memory'],
    measure: (k) => wholeStreamReads(k, 1000, 1000),
  },
];

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const figures = new Map<string, number[]>();
  const add = (key: string, value: number) => figures.set(key, [...(figures.get(key) ?? []), value]);
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      process.stdout.write(`round ${round}/${ROUNDS}:`);
      for (const row of ROWS) {
        // Systems take turns within a row: load on the machine falls on all of them alike.
        for (const kind of row.kinds) add(`${row.id}/${kind}`, await row.measure(kind));
        process.stdout.write(` ${row.id}`);
      }
      for (const kind of ['log', 'memory'] as const) {
        for (const snapshots of [false, true]) {
          const [long, short] = await longVsShort(kind, snapshots, 2000);
          const id = `long/${kind}${snapshots ? '/snapshots' : ''}`;
          add(`${id}/long`, long);
          add(`${id}/short`, short);
          add(`${id}/ratio`, long / short);
        }
      }
      process.stdout.write(' long-vs-short\n');
    }
  } finally {
    run.removeData();
  }
  const fig = (key: string): number => median(figures.get(key) ?? [NaN]);
  const fmt = (n: number): string => (Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));
  console.log(`\n| row | ${KINDS.map((k) => LABELS[k]).join(' | ')} |\n|---|${KINDS.map(() => '--:').join('|')}|`);
  for (const row of ROWS) console.log(`| ${row.label} | ${KINDS.map((k) => fmt(fig(`${row.id}/${k}`))).join(' | ')} |`);
  console.log(
    '\ncommands per CPU second on a stream of 100,000 events vs one of 4 (taking turns, both loaded once before):',
  );
  for (const id of ['long/log', 'long/log/snapshots', 'long/memory', 'long/memory/snapshots']) {
    console.log(
      `  ${id.slice(5).padEnd(18)} ${fmt(fig(`${id}/long`))} vs ${fmt(fig(`${id}/short`))}: ${fig(`${id}/ratio`).toFixed(2)}x`,
    );
  }
  const targets: TargetResult[] = [
    ...['log', 'log/snapshots', 'memory', 'memory/snapshots'].map((id) =>
      ratioTarget(
        `a command on a 100,000-event stream vs a 4-event stream (${id})`,
        fig(`long/${id}/ratio`),
        { atLeast: 0.8 },
        'commands per CPU second, long / short',
      ),
    ),
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
    ...[
      'commands on the log store at least 1.5x Emmett in-memory on every command row',
      'autoSync sequential commands at least 10x Emmett SQLite',
      'autoSync with 32 in flight at least Emmett in-memory (needs group commit)',
      'whole-stream reads from the in-memory store at least Emmett in-memory',
    ].map((label): TargetResult => ({
      label,
      pass: undefined,
      detail: 'needs the Emmett peers (@event-driven-io/emmett, emmett-sqlite), not installed yet',
    })),
  ];
  console.log(`\n${renderTargets(targets)}\n`);
  run.finish({
    rounds: ROUNDS,
    figures: Object.fromEntries([...figures].map(([k, v]) => [k, { median: fig(k), rounds: v }])),
    targets,
  });
  if (targets.some((t) => t.pass === false)) process.exitCode = 1;
}

await main();
