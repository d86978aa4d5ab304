/**
 * The event store benchmark (issue 5), standalone:
 *
 *   npx tsc -p . && node dist/bench/eventstore.js
 *   BENCH_ROUNDS=1 node dist/bench/eventstore.js      # a quick run
 *
 * Measures, in one run and on the same disk: single-message publishes on a
 * raw log (the baseline); command handling (load + decide + append) on
 * streams of 10 and of 10,000 events, with and without snapshots; and
 * loading a 10,000-event stream with and without a snapshot. Figures are
 * the best of the rounds (noise only ever slows a round down); a target's
 * ratio is the median over rounds of the ratio within each round, where
 * both sides ran under the same load.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  aggregateStream,
  commandHandler,
  openSnapshotStore,
  type Decider,
  type SnapshotStore,
} from '../src/aggregates/index.js';
import { defineEvent, openEventStore, type EventsOf, type LogEventStore } from '../src/eventstore/index.js';
import { open } from '../src/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SHORT_STREAMS = 2000; // commands on 10-event streams: one per stream per round
const LONG_STREAM = 10_000;
const SNAPSHOT_EVERY = 100;
const WARMUP = 200; // calls of each measured operation before it is measured
const out = path.join(fileURLToPath(new URL('../../bench/', import.meta.url)), 'eventstore-results.json');

// A counter-like account: small events, as most domains have.
const Opened = defineEvent('Opened', z.object({ owner: z.string() }));
const Deposited = defineEvent('Deposited', z.object({ amount: z.number().int().positive(), note: z.string() }));
const events = [Opened, Deposited] as const;
type BenchEvent = EventsOf<typeof events>;
type State = { balance: number; deposits: number };
const decider: Decider<State, { amount: number }, BenchEvent> = {
  initialState: () => ({ balance: 0, deposits: 0 }),
  evolve: (s, e) => (e.type === 'Deposited' ? { balance: s.balance + e.data.amount, deposits: s.deposits + 1 } : s),
  decide: (c) => Deposited({ amount: c.amount, note: 'salary' }),
};

interface Stores {
  store: LogEventStore<BenchEvent>;
  snapshots: SnapshotStore;
  close(): Promise<void>;
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'klevdb-bench-es-'));
}

async function openStores(dir: string, caches = true): Promise<Stores> {
  const store = await openEventStore(path.join(dir, 'events'), { events, ...(caches ? {} : { cachedStreams: 0 }) });
  const snapshots = await openSnapshotStore(path.join(dir, 'snapshots'), caches ? {} : { cachedStreams: 0 });
  return { store, snapshots, close: async () => void (await Promise.all([store.close(), snapshots.close()])) };
}

/** How fast an operation ran: by the wall clock, and per second of this process's CPU time. */
interface Rate {
  wall: number;
  cpu: number;
}

type Op = (i: number) => Promise<unknown>;

/**
 * Rates of `ops` taking turns in slices of `slice` calls until each made
 * `count`: a machine shared with other work slows them alike, so the
 * ratios between them hold even when the absolute figures swing.
 */
async function rates(count: number, slice: number, warmup: number, ...ops: Op[]): Promise<Rate[]> {
  // Warm-up calls (i from count on) first: the figures are for steady state, not for the JIT compiler.
  for (const op of ops) for (let i = count; i < count + warmup; i++) await op(i);
  const wall = ops.map(() => 0);
  const cpu = ops.map(() => 0);
  for (let done = 0; done < count; done += slice) {
    for (const [k, op] of ops.entries()) {
      const cpuStart = process.cpuUsage();
      const start = process.hrtime.bigint();
      for (let i = done; i < Math.min(done + slice, count); i++) await op(i);
      wall[k]! += Number(process.hrtime.bigint() - start) / 1e9;
      const used = process.cpuUsage(cpuStart);
      cpu[k]! += (used.user + used.system) / 1e6;
    }
  }
  return ops.map((_, k) => ({ wall: count / wall[k]!, cpu: count / cpu[k]! }));
}

const rate = async (count: number, op: Op, warmup = WARMUP): Promise<Rate> =>
  (await rates(count, count, warmup, op))[0]!;

/** Stores with SHORT_STREAMS streams of 10 events each. */
async function shortStreams(dir: string): Promise<Stores> {
  const s = await openStores(dir);
  for (let i = 0; i < SHORT_STREAMS + WARMUP; i++) {
    await s.store.appendToStream(`account-${i}`, [
      Opened({ owner: `o${i}` }),
      ...Array.from({ length: 9 }, () => Deposited({ amount: 1, note: 'seed' })),
    ]);
  }
  return s;
}

/**
 * The baseline and the first target's subject, taking turns: single-message
 * publishes on a raw log (key and value the size of a stored event), and
 * commands that each load a 10-event stream, decide and append the 11th.
 */
async function publishesAndCommands(dir: string): Promise<{ publish: Rate; command: Rate }> {
  const log = await open(path.join(dir, 'raw'), { createDirs: true, keyIndex: true });
  const s = await shortStreams(path.join(dir, 'store'));
  const value = JSON.stringify({
    type: 'Deposited',
    schemaVersion: 1,
    data: { amount: 42, note: 'salary' },
    meta: { eventId: '6f1c8f0e-8a53-4a55-9a39-7f5a4e3c2b1d', recordedAt: new Date().toISOString(), streamVersion: 11 },
  });
  try {
    const handle = commandHandler(decider, s.store);
    const [publish, command] = await rates(
      SHORT_STREAMS,
      100,
      WARMUP,
      (i) => log.publish([{ key: `account-${i}`, value }]),
      (i) => handle(`account-${i}`, { amount: 5 }),
    );
    return { publish: publish, command: command };
  } finally {
    await Promise.all([log.close(), s.close()]);
  }
}

/** Commands on 10-event streams, with snapshots on or with command ids. */
async function shortStreamCommands(dir: string, withSnapshots: boolean, withIds: boolean): Promise<Rate> {
  const s = await shortStreams(dir);
  try {
    const handle = commandHandler(
      decider,
      s.store,
      withSnapshots ? { snapshots: { store: s.snapshots, every: SNAPSHOT_EVERY } } : {},
    );
    return await rate(SHORT_STREAMS, (i) =>
      handle(`account-${i}`, { amount: 5 }, withIds ? { commandId: `cmd-${i}` } : {}),
    );
  } finally {
    await s.close();
  }
}

async function seedLongStream(s: Stores): Promise<void> {
  const batch = Array.from({ length: 1000 }, () => Deposited({ amount: 1, note: 'seed' }));
  for (let i = 0; i < LONG_STREAM / batch.length; i++) await s.store.appendToStream('long', batch);
}

/** One stream of 10,000 events; with snapshots, a first (unmeasured) command takes one. */
async function longStreamCommands(dir: string, withSnapshots: boolean, count: number): Promise<Rate> {
  const s = await openStores(dir);
  try {
    await seedLongStream(s);
    const handle = commandHandler(
      decider,
      s.store,
      withSnapshots ? { snapshots: { store: s.snapshots, every: SNAPSHOT_EVERY } } : {},
    );
    await handle('long', { amount: 1 });
    return await rate(count, () => handle('long', { amount: 1 }), withSnapshots ? WARMUP : 2);
  } finally {
    await s.close();
  }
}

interface Loads {
  full: Rate;
  snapshot: Rate;
}

/**
 * Loads of the 10,000-event stream from the start, and from a snapshot 50
 * events back: with the stores' memory caches, and reopened without them,
 * so that the snapshot load reads its snapshot and tail from the logs too.
 */
async function longStreamLoads(dir: string): Promise<{ cached: Loads; uncached: Loads }> {
  const seeded = await openStores(dir);
  try {
    await seedLongStream(seeded);
    await commandHandler(decider, seeded.store, { snapshots: { store: seeded.snapshots, every: SNAPSHOT_EVERY } })(
      'long',
      { amount: 1 },
    );
    await seeded.store.appendToStream(
      'long',
      Array.from({ length: SNAPSHOT_EVERY / 2 }, () => Deposited({ amount: 1, note: 'tail' })),
    );
  } finally {
    await seeded.close();
  }
  const measure = async (caches: boolean): Promise<Loads> => {
    const s = await openStores(dir, caches);
    try {
      const full = await rate(20, () => aggregateStream(s.store, 'long', decider), 2);
      const snapshot = await rate(500, () =>
        aggregateStream(s.store, 'long', decider, { snapshots: { store: s.snapshots } }),
      );
      return { full, snapshot };
    } finally {
      await s.close();
    }
  };
  return { cached: await measure(true), uncached: await measure(false) };
}

interface Result {
  id: string;
  label: string;
  unit: 'msg/s' | 'commands/s' | 'loads/s';
  /** Per round, by the wall clock. */
  rounds: number[];
  /** Per round, per second of CPU time: what the figure would be on an otherwise idle machine. */
  cpuRounds: number[];
  best: number;
  bestCpu: number;
}

async function main(): Promise<void> {
  const results = new Map<string, Result>();
  const record = (id: string, label: string, unit: Result['unit'], value: Rate): void => {
    const r = results.get(id) ?? { id, label, unit, rounds: [], cpuRounds: [], best: 0, bestCpu: 0 };
    r.rounds.push(Math.round(value.wall));
    r.cpuRounds.push(Math.round(value.cpu));
    r.best = Math.max(...r.rounds);
    r.bestCpu = Math.max(...r.cpuRounds);
    results.set(id, r);
  };
  for (let round = 1; round <= ROUNDS; round++) {
    const dir = tempDir();
    const sub = (name: string) => path.join(dir, name);
    try {
      process.stdout.write(`round ${round}/${ROUNDS}: `);
      const measures: Array<[string, () => Promise<void>]> = [
        [
          'publish+cmd-10',
          async () => {
            const { publish, command } = await publishesAndCommands(sub('c10'));
            record('publish-1', 'single-message publish (raw log, baseline)', 'msg/s', publish);
            record('command-10', 'command on a 10-event stream', 'commands/s', command);
          },
        ],
        [
          'cmd-10-snap',
          async () =>
            record(
              'command-10-snapshots',
              'command on a 10-event stream, snapshots on',
              'commands/s',
              await shortStreamCommands(sub('c10s'), true, false),
            ),
        ],
        [
          'cmd-10-id',
          async () =>
            record(
              'command-10-ids',
              'command on a 10-event stream, with command id',
              'commands/s',
              await shortStreamCommands(sub('c10i'), false, true),
            ),
        ],
        [
          'cmd-10k',
          async () =>
            record(
              'command-10k',
              'command on a 10,000-event stream',
              'commands/s',
              await longStreamCommands(sub('c10k'), false, 20),
            ),
        ],
        [
          'cmd-10k-snap',
          async () =>
            record(
              'command-10k-snapshots',
              `command on a 10,000-event stream, snapshot every ${SNAPSHOT_EVERY}`,
              'commands/s',
              await longStreamCommands(sub('c10ks'), true, 1000),
            ),
        ],
        [
          'load-10k',
          async () => {
            const { cached, uncached } = await longStreamLoads(sub('l10k'));
            record('load-10k', 'load a 10,000-event stream (full replay)', 'loads/s', uncached.full);
            record(
              'load-10k-snapshot',
              'load a 10,000-event stream (snapshot + 50 events, from the logs)',
              'loads/s',
              uncached.snapshot,
            );
            record('load-10k-cached', 'load a 10,000-event stream (full replay, caches on)', 'loads/s', cached.full);
            record(
              'load-10k-snapshot-cached',
              'load a 10,000-event stream (snapshot + 50 events, caches on)',
              'loads/s',
              cached.snapshot,
            );
          },
        ],
      ];
      for (const [name, measure] of measures) {
        process.stdout.write(`${name} `);
        await measure();
      }
      process.stdout.write('\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  report([...results.values()]);
}

function report(results: Result[]): void {
  const get = (id: string): Result | undefined => results.find((r) => r.id === id);
  const ratio = (a: string, b: string, cpu: boolean): number => {
    const [x, y] = [get(a), get(b)];
    return !x || !y ? NaN : cpu ? x.bestCpu / y.bestCpu : x.best / y.best;
  };
  const targets = [
    {
      label: 'commands on 10-event streams vs single-message publishes',
      subject: 'command-10',
      baseline: 'publish-1',
      atLeast: 0.25,
    },
    {
      label: 'loading 10,000 events: snapshot vs full replay',
      subject: 'load-10k-snapshot',
      baseline: 'load-10k',
      atLeast: 20,
    },
  ].map((t) => {
    // Both sides of a round ran under the same load: the ratio within a round is the sound one.
    const perRound = get(t.subject)?.rounds.map((v, i) => v / get(t.baseline)!.rounds[i]!) ?? [];
    return {
      ...t,
      ratio: median(perRound),
      ofBests: ratio(t.subject, t.baseline, false),
      cpuRatio: ratio(t.subject, t.baseline, true),
      perRound,
    };
  });
  const pad = Math.max(...results.map((r) => r.label.length));
  console.log(
    `\n${'figure'.padEnd(pad)}  ${'best'.padStart(9)}  ${'per CPU-s'.padStart(9)}  unit        rounds (wall clock)`,
  );
  for (const r of results) {
    console.log(
      `${r.label.padEnd(pad)}  ${String(r.best).padStart(9)}  ${String(r.bestCpu).padStart(9)}  ${r.unit.padEnd(10)}  ${r.rounds.join(', ')}`,
    );
  }
  console.log('\ntargets: the median over rounds of the ratio within each round (wall clock);');
  console.log(
    '         also the ratio of the best figures, and per second of CPU time (what load on the machine took away)',
  );
  for (const t of targets) {
    const verdict = t.ratio >= t.atLeast ? 'PASS' : 'FAIL';
    const rounds = t.perRound.map((r) => r.toFixed(2)).join(', ');
    console.log(
      `  ${verdict}  ${t.label}: ${t.ratio.toFixed(2)}x (target >= ${t.atLeast}x; rounds ${rounds}; of bests ${t.ofBests.toFixed(2)}x; per CPU-s ${t.cpuRatio.toFixed(2)}x)`,
    );
  }
  const json = {
    date: new Date().toISOString(),
    node: process.version,
    rounds: ROUNDS,
    loadAverage: os.loadavg(),
    results,
    targets: targets.map((t) => ({
      ...t,
      ratio: round3(t.ratio),
      ofBests: round3(t.ofBests),
      cpuRatio: round3(t.cpuRatio),
      perRound: t.perRound.map(round3),
      pass: t.ratio >= t.atLeast,
    })),
  };
  fs.writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
  if (targets.some((t) => !(t.ratio >= t.atLeast))) process.exitCode = 1;
}

const round3 = (n: number): number => Number(n.toFixed(3));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

await main();
