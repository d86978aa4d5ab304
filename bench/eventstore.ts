/**
 * The event store benchmark (issue 5), standalone:
 *
 *   npx tsc -p . && node dist/bench/eventstore.js
 *   BENCH_ROUNDS=1 node dist/bench/eventstore.js      # a quick run
 *
 * Measures, in one run and on the same disk: single-message publishes on a
 * raw log (the baseline); command handling (load + decide + append) on
 * streams of 10 and of 10,000 events, with and without snapshots; and
 * loading a 10,000-event stream with and without a snapshot. The targets
 * are ratios within the run, so a slow machine slows both sides alike.
 * Figures are the best of the rounds: noise only ever slows a round down.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { aggregateStream, commandHandler, openSnapshotStore, type Decider, type SnapshotStore } from '../src/aggregates/index.js';
import { defineEvent, openEventStore, type EventsOf, type LogEventStore } from '../src/eventstore/index.js';
import { open } from '../src/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SHORT_STREAMS = 2000; // commands on 10-event streams: one per stream per round
const LONG_STREAM = 10_000;
const SNAPSHOT_EVERY = 100;
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

async function openStores(dir: string): Promise<Stores> {
  const store = await openEventStore(path.join(dir, 'events'), { events });
  const snapshots = await openSnapshotStore(path.join(dir, 'snapshots'));
  return { store, snapshots, close: async () => void (await Promise.all([store.close(), snapshots.close()])) };
}

/** Operations per second of `count` sequential calls of `op`. */
async function rate(count: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await op(i);
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** The baseline: one message per publish, key and value the size of a stored event. */
async function publishBaseline(dir: string, count: number): Promise<number> {
  const log = await open(path.join(dir, 'raw'), { createDirs: true, keyIndex: true });
  const value = JSON.stringify({
    type: 'Deposited',
    schemaVersion: 1,
    data: { amount: 42, note: 'salary' },
    meta: { eventId: '6f1c8f0e-8a53-4a55-9a39-7f5a4e3c2b1d', recordedAt: new Date().toISOString(), streamVersion: 11 },
  });
  try {
    return await rate(count, (i) => log.publish([{ key: `account-${i % SHORT_STREAMS}`, value }]));
  } finally {
    await log.close();
  }
}

/** Streams of 10 events: every command loads one, decides and appends the 11th. */
async function shortStreamCommands(dir: string, withSnapshots: boolean, withIds: boolean): Promise<number> {
  const s = await openStores(dir);
  try {
    for (let i = 0; i < SHORT_STREAMS; i++) {
      await s.store.appendToStream(`account-${i}`, [Opened({ owner: `o${i}` }), ...Array.from({ length: 9 }, () => Deposited({ amount: 1, note: 'seed' }))]);
    }
    const handle = commandHandler(decider, s.store, withSnapshots ? { snapshots: { store: s.snapshots, every: SNAPSHOT_EVERY } } : {});
    return await rate(SHORT_STREAMS, (i) => handle(`account-${i}`, { amount: 5 }, withIds ? { commandId: `cmd-${i}` } : {}));
  } finally {
    await s.close();
  }
}

async function seedLongStream(s: Stores): Promise<void> {
  const batch = Array.from({ length: 1000 }, () => Deposited({ amount: 1, note: 'seed' }));
  for (let i = 0; i < LONG_STREAM / batch.length; i++) await s.store.appendToStream('long', batch);
}

/** One stream of 10,000 events; with snapshots, a first (unmeasured) command takes one. */
async function longStreamCommands(dir: string, withSnapshots: boolean, count: number): Promise<number> {
  const s = await openStores(dir);
  try {
    await seedLongStream(s);
    const handle = commandHandler(decider, s.store, withSnapshots ? { snapshots: { store: s.snapshots, every: SNAPSHOT_EVERY } } : {});
    await handle('long', { amount: 1 });
    return await rate(count, () => handle('long', { amount: 1 }));
  } finally {
    await s.close();
  }
}

/** Loads per second of the 10,000-event stream, from a snapshot 50 events back or from the start. */
async function longStreamLoads(dir: string): Promise<{ full: number; snapshot: number }> {
  const s = await openStores(dir);
  try {
    await seedLongStream(s);
    const snapshots = { store: s.snapshots, every: SNAPSHOT_EVERY };
    await commandHandler(decider, s.store, { snapshots })('long', { amount: 1 });
    const tail = Array.from({ length: SNAPSHOT_EVERY / 2 }, () => Deposited({ amount: 1, note: 'tail' }));
    await s.store.appendToStream('long', tail);
    const full = await rate(20, () => aggregateStream(s.store, 'long', decider));
    const snapshot = await rate(500, () => aggregateStream(s.store, 'long', decider, { snapshots }));
    return { full, snapshot };
  } finally {
    await s.close();
  }
}

interface Result {
  id: string;
  label: string;
  unit: 'msg/s' | 'commands/s' | 'loads/s';
  rounds: number[];
  best: number;
}

async function main(): Promise<void> {
  const results = new Map<string, Result>();
  const record = (id: string, label: string, unit: Result['unit'], value: number): void => {
    const r = results.get(id) ?? { id, label, unit, rounds: [], best: 0 };
    r.rounds.push(Math.round(value));
    r.best = Math.max(...r.rounds);
    results.set(id, r);
  };
  for (let round = 1; round <= ROUNDS; round++) {
    const dir = tempDir();
    const sub = (name: string) => path.join(dir, name);
    try {
      process.stdout.write(`round ${round}/${ROUNDS}: `);
      const measures: Array<[string, () => Promise<void>]> = [
        ['publish', async () => record('publish-1', 'single-message publish (raw log, baseline)', 'msg/s', await publishBaseline(sub('raw'), 20_000))],
        ['cmd-10', async () => record('command-10', 'command on a 10-event stream', 'commands/s', await shortStreamCommands(sub('c10'), false, false))],
        ['cmd-10-snap', async () => record('command-10-snapshots', 'command on a 10-event stream, snapshots on', 'commands/s', await shortStreamCommands(sub('c10s'), true, false))],
        ['cmd-10-id', async () => record('command-10-ids', 'command on a 10-event stream, with command id', 'commands/s', await shortStreamCommands(sub('c10i'), false, true))],
        ['cmd-10k', async () => record('command-10k', 'command on a 10,000-event stream', 'commands/s', await longStreamCommands(sub('c10k'), false, 20))],
        ['cmd-10k-snap', async () => record('command-10k-snapshots', `command on a 10,000-event stream, snapshot every ${SNAPSHOT_EVERY}`, 'commands/s', await longStreamCommands(sub('c10ks'), true, 1000))],
        ['load-10k', async () => {
          const loads = await longStreamLoads(sub('l10k'));
          record('load-10k', 'load a 10,000-event stream (full replay)', 'loads/s', loads.full);
          record('load-10k-snapshot', 'load a 10,000-event stream (snapshot + 50 events)', 'loads/s', loads.snapshot);
        }],
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
  const best = (id: string): number => results.find((r) => r.id === id)?.best ?? NaN;
  const targets = [
    { label: 'commands on 10-event streams vs single-message publishes', ratio: best('command-10') / best('publish-1'), atLeast: 0.25 },
    { label: 'loading 10,000 events: snapshot vs full replay', ratio: best('load-10k-snapshot') / best('load-10k'), atLeast: 20 },
  ];
  const pad = Math.max(...results.map((r) => r.label.length));
  console.log(`\n${'figure'.padEnd(pad)}  ${'best'.padStart(10)}  unit        rounds`);
  for (const r of results) console.log(`${r.label.padEnd(pad)}  ${String(r.best).padStart(10)}  ${r.unit.padEnd(10)}  ${r.rounds.join(', ')}`);
  console.log('\ntargets (ratios within this run):');
  for (const t of targets) {
    console.log(`  ${t.ratio >= t.atLeast ? 'PASS' : 'FAIL'}  ${t.label}: ${t.ratio.toFixed(2)}x (target >= ${t.atLeast}x)`);
  }
  const json = {
    date: new Date().toISOString(),
    node: process.version,
    rounds: ROUNDS,
    loadAverage: os.loadavg(),
    results,
    targets: targets.map((t) => ({ ...t, ratio: Number(t.ratio.toFixed(3)), pass: t.ratio >= t.atLeast })),
  };
  fs.writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
  if (targets.some((t) => !(t.ratio >= t.atLeast))) process.exitCode = 1;
}

await main();
