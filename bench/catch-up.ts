/**
 * Issue 18's projection catch-up row, standalone: one projection (balance
 * per account) from nothing to caught up over the event store's events,
 * against, in the same run:
 *  - a plain consume loop over the store's log that decodes the same
 *    envelopes (JSON.parse of every value), the floor any reader pays;
 *  - Emmett 0.38.5's SQLite projections: a consumer with one projection
 *    processor (each event an upsert in the processor's transaction, as its
 *    SQLite projections run), from the beginning to its last event, with
 *    its default pulling (batches of 100, 50 ms apart) and tuned (batches of
 *    1,000, no pause).
 *
 *   npx tsc -p . && node dist/bench/catch-up.js
 *   BENCH_EVENTS=100000 BENCH_ROUNDS=1 node dist/bench/catch-up.js   # a quick run
 *
 * 1,000,000 events over 10,000 accounts by default (BENCH_EVENTS); Emmett
 * projects BENCH_EMMETT_EVENTS (default 4,000: at about a thousand events/s a
 * million would take a quarter of an hour): rates, events/s, are compared.
 * Systems take turns in each round; a ratio is the median of the rounds' ratios.
 */
import path from 'node:path';
import { projection, type Event as EmmettEvent } from '@event-driven-io/emmett';
import {
  getSQLiteEventStore,
  sqliteConnection,
  type SQLiteConnection,
  type SQLiteReadEventMetadata,
} from '@event-driven-io/emmett-sqlite';
import { z } from 'zod';
import { defineEvent, openEventStore } from '../src/eventstore/index.js';
import { ProjectionRunner } from '../src/projections/index.js';
import { openBlocking } from '../src/storage/blocking.js';
import { OffsetOldest } from '../src/storage/types.js';
import { BenchRun, envCount, ratioTarget, renderTargets } from './report.js';

const EVENTS = envCount('BENCH_EVENTS', 1_000_000);
const EMMETT_EVENTS = envCount('BENCH_EMMETT_EVENTS', 4_000);
const ROUNDS = envCount('BENCH_ROUNDS', 3);
const KEYS = 10_000;
/** Events per append: ten deposits to one account, accounts in turn. */
const PER_APPEND = 10;

const Deposited = defineEvent('Deposited', z.object({ amount: z.number().int().positive() }));
const events = [Deposited] as const;
const account = (append: number) => `acc-${append % KEYS}`;

const run = new BenchRun('catch-up');
const storeDir = path.join(run.dir, 'events');
const seconds = (began: bigint) => Number(process.hrtime.bigint() - began) / 1e9;
/** CPU seconds of this process since `before`: on a loaded machine, what the work itself cost. */
const cpuSeconds = (before: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
};
/** Events per CPU second of the last decodeLoop or project run. */
let lastPerCpuSecond = NaN;

async function buildStore(): Promise<void> {
  const store = await openEventStore(storeDir, { events });
  for (let a = 0; a * PER_APPEND < EVENTS; a++) {
    const count = Math.min(PER_APPEND, EVENTS - a * PER_APPEND);
    await store.appendToStream(
      account(a),
      Array.from({ length: count }, (_, i) => Deposited({ amount: (i % 100) + 1 })),
    );
  }
  await store.close();
}

/** The floor: every envelope of the store's log read and JSON-decoded, its amount summed. */
async function decodeLoop(): Promise<number> {
  const log = await openBlocking(storeDir, { readonly: true, keyIndex: true });
  const began = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  let count = 0;
  let total = 0;
  try {
    for (let offset: number = OffsetOldest; ;) {
      const { messages, nextOffset } = await log.consume(offset, 1000);
      if (messages.length === 0) break;
      for (const m of messages)
        total += (JSON.parse(m.value!.toString('utf8')) as { data: { amount: number } }).data.amount;
      count += messages.length;
      offset = nextOffset;
    }
  } finally {
    await log.close();
  }
  if (count !== EVENTS || total === 0) throw new Error(`decode read ${count} events`);
  const rate = count / seconds(began);
  lastPerCpuSecond = count / cpuSeconds(cpuBefore);
  return rate;
}

/** A projection of the event store (upcast and validated events), default options, from nothing to caught up. */
async function project(round: number): Promise<number> {
  const store = await openEventStore(storeDir, { events, log: { readonly: true } });
  const runner = new ProjectionRunner({ dir: path.join(run.dir, `state-${round}`) });
  const began = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  try {
    const balances = runner.add({
      name: 'balances',
      source: store,
      handles: [Deposited],
      key: (e) => e.meta.streamId,
      initialState: () => ({ balance: 0, deposits: 0 }),
      apply: (s, e) => ({ balance: s.balance + e.data.amount, deposits: s.deposits + 1 }),
    });
    await balances.start();
    await balances.whenRunning();
    const rate = EVENTS / seconds(began);
    lastPerCpuSecond = EVENTS / cpuSeconds(cpuBefore);
    const { checkpoint } = await balances.status();
    const sample = await balances.get(account(1));
    if (checkpoint !== EVENTS || !sample || sample.deposits < PER_APPEND)
      throw new Error(`wrong result: checkpoint ${checkpoint}, ${account(1)} ${JSON.stringify(sample)}`);
    return rate;
  } finally {
    await runner.close();
    await store.close();
  }
}

type EDeposited = EmmettEvent<'Deposited', { amount: number }>;
let emmettDbs = 0;
let emmettRuns = 0;

/** Emmett's SQLite store with EMMETT_EVENTS events in the same shape; resolves to its file. */
async function buildEmmett(): Promise<string> {
  const fileName = path.join(run.dir, `emmett-${++emmettDbs}.sqlite`);
  const store = getSQLiteEventStore({ fileName, schema: { autoMigration: 'CreateOrUpdate' } });
  for (let a = 0; a * PER_APPEND < EMMETT_EVENTS; a++) {
    const count = Math.min(PER_APPEND, EMMETT_EVENTS - a * PER_APPEND);
    const batch = Array.from({ length: count }, (_, i): EDeposited => ({
      type: 'Deposited',
      data: { amount: (i % 100) + 1 },
    }));
    // Setup, not measured: an append its own store fails with SQLITE_BUSY on a loaded machine is tried again.
    for (let tries = 1; ; tries++) {
      try {
        await store.appendToStream(account(a), batch);
        break;
      } catch (err) {
        if (tries === 5 || (err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      }
    }
  }
  const connection = sqliteConnection({ fileName });
  await connection.command('CREATE TABLE balances (id TEXT PRIMARY KEY, balance INTEGER, deposits INTEGER)');
  connection.close();
  return fileName;
}

/** Emmett's SQLite projection from the first event to the last, `pulling` as its consumer is configured. */
async function emmettProject(fileName: string, pulling?: { batchSize: number; pullingFrequencyInMs: number }) {
  const store = getSQLiteEventStore({ fileName, schema: { autoMigration: 'CreateOrUpdate' } });
  const balances = projection<EDeposited, SQLiteReadEventMetadata, { connection: SQLiteConnection }>({
    name: `balances-${++emmettRuns}`, // a processor of its own each run: no checkpoint carried over
    canHandle: ['Deposited'],
    handle: async (deposits, { connection }) => {
      for (const e of deposits) {
        await connection.command(
          `INSERT INTO balances (id, balance, deposits) VALUES (?, ?, 1)
           ON CONFLICT (id) DO UPDATE SET balance = balance + excluded.balance, deposits = deposits + 1`,
          [e.metadata.streamName, e.data.amount],
        );
      }
    },
  });
  const consumer = store.consumer<EDeposited>(pulling ? { pulling } : {});
  let last = 0n;
  consumer.processor({
    projection: balances,
    startFrom: 'BEGINNING',
    stopAfter: (e) => (last = e.metadata.globalPosition) >= BigInt(EMMETT_EVENTS),
  });
  const table = sqliteConnection({ fileName });
  await table.command('DELETE FROM balances');
  const began = process.hrtime.bigint();
  try {
    await consumer.start();
    if (last !== BigInt(EMMETT_EVENTS)) throw new Error(`Emmett projected up to ${last} of ${EMMETT_EVENTS}`);
    return EMMETT_EVENTS / seconds(began);
  } finally {
    await consumer.close();
    table.close();
  }
}

/** Emmett's SQLite store console.logs every failed transaction: muted while it runs (a failure that matters still throws). */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await work();
  } finally {
    console.log = log;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function main(): Promise<void> {
  const figures: Record<string, number[]> = {
    decode: [],
    project: [],
    emmettDefault: [],
    emmettTuned: [],
    decodeCpu: [],
    projectCpu: [],
  };
  try {
    process.stdout.write(`building ${EVENTS} events over ${KEYS} accounts, and ${EMMETT_EVENTS} in Emmett... `);
    await buildStore();
    const emmettDb = await quietly(buildEmmett);
    console.log('done');
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['decode', 'project'] as const) : (['project', 'decode'] as const);
      for (const kind of order) {
        figures[kind]!.push(kind === 'decode' ? await decodeLoop() : await project(round));
        figures[`${kind}Cpu`]!.push(lastPerCpuSecond);
      }
      figures.emmettDefault!.push(await quietly(() => emmettProject(emmettDb)));
      figures.emmettTuned!.push(
        await quietly(() => emmettProject(emmettDb, { batchSize: 1000, pullingFrequencyInMs: 0 })),
      );
      const last = (k: string) => Math.round(figures[k]!.at(-1)!).toLocaleString('en-US');
      console.log(
        `round ${round + 1}/${ROUNDS}: decode ${last('decode')}, project ${last('project')}, Emmett SQLite ${last('emmettDefault')} (tuned ${last('emmettTuned')}) events/s`,
      );
    }
  } finally {
    run.removeData();
  }
  const fig = (k: string) => median(figures[k]!);
  // Per round, so the load of the moment weighs on both sides of a ratio alike; the median of the rounds' ratios counts.
  const perRound = (f: (r: number) => number) => median(figures.project!.map((_, r) => f(r)));
  const vsDecode = perRound((r) => figures.project![r]! / figures.decode![r]!);
  const vsDecodeCpu = perRound((r) => figures.projectCpu![r]! / figures.decodeCpu![r]!);
  const vsEmmett = perRound(
    (r) => figures.project![r]! / Math.max(figures.emmettDefault![r]!, figures.emmettTuned![r]!),
  );
  const targets = [
    ratioTarget(
      'projection catch-up from the event store at least 0.5x a consume loop decoding the same envelopes',
      vsDecode,
      { atLeast: 0.5 },
      'events/s, projection / decode loop, median of the rounds',
    ),
    ratioTarget(
      "projection catch-up at least 20x Emmett's SQLite projections (the faster of default and tuned pulling)",
      vsEmmett,
      { atLeast: 20 },
      'events/s, median of the rounds',
    ),
  ];
  console.log(
    `\nper CPU second of the process (a loaded machine slows wall-clock rates unevenly): projection / decode loop ${vsDecodeCpu.toFixed(2)}x`,
  );
  console.log(`\n${renderTargets(targets)}\n`);
  run.finish({
    events: EVENTS,
    emmettEvents: EMMETT_EVENTS,
    rounds: ROUNDS,
    eventsPerSecond: Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, { median: fig(k), rounds: v }])),
    targets,
  });
  if (targets.some((t) => t.pass === false)) process.exitCode = 1;
}

await main();
