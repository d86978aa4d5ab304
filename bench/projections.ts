/**
 * The projections benchmark (issue 6), standalone:
 *
 *   npx tsc -p . && node dist/bench/projections.js
 *   BENCH_EVENTS=100000 BENCH_ROUNDS=1 node dist/bench/projections.js   # a quick run
 *
 * Catch-up of one projection over 1,000,000 events with 10,000 keys, from
 * an empty state to caught up, against plain consume of the same log in the
 * same run (and consume + JSON decode, the part of the work any projection
 * must do). Each measurement runs in a child process of its own, so its
 * peak RSS is its own. A round measures each kind back to back (in
 * alternating order), so the load of the moment weighs on them alike; the
 * ratio that counts is the median of the rounds' ratios (the ratio of the
 * best rounds is reported too). Targets: projection catch-up at least 40% of
 * plain consume throughput, peak RSS under 300 MB.
 *
 * For reference (info lines, no target): the same fold written by hand
 * (decode, the same apply over a Map of states, nothing stored, no
 * checkpoint): what any projection of these events costs at the least, so
 * the projection's own overhead is its distance from it.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBlocking } from '../src/storage/blocking.js';
import { OffsetOldest, type Message } from '../src/storage/types.js';
import { logSource, ProjectionRunner } from '../src/projections/index.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const KEYS = 10_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const out = path.join(fileURLToPath(new URL('../../bench/', import.meta.url)), 'projections-results.json');

type Kind = 'consume' | 'decode' | 'fold' | 'project';
interface Measure {
  kind: Kind;
  events: number;
  seconds: number;
  /** CPU seconds of the child (user + system): on a loaded machine, what the work itself cost. */
  cpuSeconds: number;
  peakRssMB: number;
}

interface Deposit {
  type: 'Deposited';
  id: string;
  amount: number;
}

async function buildSource(dir: string): Promise<void> {
  const log = await openBlocking(dir, { createDirs: true });
  for (let start = 0; start < EVENTS; start += 1000) {
    const batch = [];
    for (let i = start; i < Math.min(EVENTS, start + 1000); i++) {
      const id = `acc-${(i * 7919) % KEYS}`;
      batch.push({ key: id, value: JSON.stringify({ type: 'Deposited', id, amount: (i % 100) + 1 }) });
    }
    await log.publish(batch);
  }
  await log.close();
}

/** Plain consume: every message read, its value touched. */
async function consumeAll(sourceDir: string, decode: boolean): Promise<number> {
  const log = await openBlocking(sourceDir, { readonly: true });
  let events = 0;
  let total = 0;
  for (let offset: number = OffsetOldest; ;) {
    const { messages, nextOffset } = await log.consume(offset, 1000);
    if (messages.length === 0) break;
    for (const m of messages)
      total += decode ? (JSON.parse(m.value!.toString('utf8')) as Deposit).amount : m.value!.length;
    events += messages.length;
    offset = nextOffset;
  }
  await log.close();
  if (total === 0) throw new Error('nothing read');
  return events;
}

interface Balance {
  balance: number;
  deposits: number;
}
const decodeDeposit = (m: Message): Deposit => JSON.parse(m.value!.toString('utf8')) as Deposit;
const applyDeposit = (s: Balance, e: Deposit): Balance => ({ balance: s.balance + e.amount, deposits: s.deposits + 1 });

/** The projection's fold by hand: decode, the same apply over a Map of states; nothing stored. */
async function foldByHand(sourceDir: string): Promise<number> {
  const log = await openBlocking(sourceDir, { readonly: true });
  const states = new Map<string, Balance>();
  let events = 0;
  for (let offset: number = OffsetOldest; ;) {
    const { messages, nextOffset } = await log.consume(offset, 1000);
    if (messages.length === 0) break;
    for (const m of messages) {
      const e = decodeDeposit(m);
      if (e.type !== 'Deposited') continue;
      states.set(e.id, applyDeposit(states.get(e.id) ?? { balance: 0, deposits: 0 }, e));
    }
    events += messages.length;
    offset = nextOffset;
  }
  await log.close();
  if (states.get('acc-1')?.deposits !== Math.ceil(EVENTS / KEYS)) throw new Error('wrong fold');
  return events;
}

/** One projection (balances per account, default options) from nothing to caught up. */
async function project(sourceDir: string, stateDir: string): Promise<number> {
  const log = await openBlocking(sourceDir, { readonly: true });
  const runner = new ProjectionRunner({ dir: stateDir });
  const balances = runner.add({
    name: 'balances',
    source: logSource(log, { decode: decodeDeposit }),
    handles: ['Deposited'],
    key: (e: Deposit) => e.id,
    initialState: (): Balance => ({ balance: 0, deposits: 0 }),
    apply: applyDeposit,
  });
  await balances.start();
  await balances.whenRunning();
  const { checkpoint } = await balances.status();
  const sample = await balances.get('acc-1');
  await runner.close();
  await log.close();
  if (checkpoint !== EVENTS || !sample || sample.deposits !== Math.ceil(EVENTS / KEYS)) {
    throw new Error(`wrong result: checkpoint ${checkpoint}, acc-1 ${JSON.stringify(sample)}`);
  }
  return checkpoint;
}

async function child(kind: Kind, sourceDir: string, stateDir: string): Promise<void> {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const events =
    kind === 'project'
      ? await project(sourceDir, stateDir)
      : kind === 'fold'
        ? await foldByHand(sourceDir)
        : await consumeAll(sourceDir, kind === 'decode');
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const measure: Measure = { kind, events, seconds, cpuSeconds, peakRssMB: process.resourceUsage().maxRSS / 1024 };
  process.send!(measure);
}

function measureInChild(kind: Kind, sourceDir: string, stateDir: string): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', kind, sourceDir, stateDir], { stdio: 'inherit' });
    let result: Measure | undefined;
    proc.on('message', (m: Measure) => (result = m));
    proc.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${kind} child exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'klevdb-bench-proj-'));
  const rounds: Measure[] = [];
  try {
    const sourceDir = path.join(dir, 'source');
    process.stdout.write(`building ${EVENTS} events over ${KEYS} keys... `);
    await buildSource(sourceDir);
    console.log('done');
    const kinds: Kind[] = ['consume', 'decode', 'fold', 'project'];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? kinds : [...kinds].reverse();
      for (const kind of order) {
        const m = await measureInChild(kind, sourceDir, path.join(dir, `state-${round}`));
        rounds.push(m);
        console.log(
          `round ${round + 1}/${ROUNDS} ${kind.padEnd(8)} ${Math.round(m.events / m.seconds)
            .toString()
            .padStart(9)} events/s  peak RSS ${m.peakRssMB.toFixed(0)} MB`,
        );
      }
      fs.rmSync(path.join(dir, `state-${round}`), { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  report(rounds);
}

function report(rounds: Measure[]): void {
  const rate = (m: Measure) => m.events / m.seconds;
  const of = (kind: Kind) => rounds.filter((m) => m.kind === kind);
  const best = (kind: Kind) => Math.max(...of(kind).map(rate));
  const peak = (kind: Kind) => Math.max(...of(kind).map((m) => m.peakRssMB));
  const perRound = of('project').map((m, i) => rate(m) / rate(of('consume')[i]!));
  const median = [...perRound].sort((a, b) => a - b)[Math.floor(perRound.length / 2)]!;
  // Per CPU second of each child's measured work: the ratio a busy machine distorts least.
  const perCpu = (m: Measure) => m.events / m.cpuSeconds;
  const cpuRounds = of('project').map((m, i) => perCpu(m) / perCpu(of('consume')[i]!));
  const cpuMedian = [...cpuRounds].sort((a, b) => a - b)[Math.floor(cpuRounds.length / 2)]!;
  const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // The hand-written fold: the least any projection of these events costs, per CPU second of each child.
  const foldVsConsumeCpu = medianOf(of('fold').map((m, i) => perCpu(m) / perCpu(of('consume')[i]!)));
  const projectVsFoldCpu = medianOf(of('project').map((m, i) => perCpu(m) / perCpu(of('fold')[i]!)));
  const targets = [
    {
      label: 'projection catch-up vs plain consume (median of per-round ratios)',
      value: median,
      atLeast: 0.4,
      pass: median >= 0.4,
    },
    { label: 'projection catch-up peak RSS (MB)', value: peak('project'), atMost: 300, pass: peak('project') < 300 },
  ];
  console.log('\ntargets (within this run):');
  for (const t of targets) console.log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.label}: ${t.value.toFixed(2)}`);
  console.log(
    `  (info) per-round ratios: ${perRound.map((r) => r.toFixed(2)).join(', ')}; best vs best: ${(best('project') / best('consume')).toFixed(2)}`,
  );
  console.log(
    `  (info) projection vs consume + JSON decode (best vs best): ${(best('project') / best('decode')).toFixed(2)}`,
  );
  console.log(
    `  (info) per CPU second of each child, projection vs plain consume (median of rounds): ${cpuMedian.toFixed(2)}`,
  );
  console.log(
    `  (info) per CPU second, the fold by hand (decode + a Map of states, nothing stored) vs plain consume: ${foldVsConsumeCpu.toFixed(2)}; the projection vs that fold: ${projectVsFoldCpu.toFixed(2)} (medians of rounds)`,
  );
  const json = {
    date: new Date().toISOString(),
    node: process.version,
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, loadAverage: os.loadavg() },
    events: EVENTS,
    keys: KEYS,
    rounds: ROUNDS,
    bestEventsPerSecond: {
      consume: Math.round(best('consume')),
      decode: Math.round(best('decode')),
      fold: Math.round(best('fold')),
      project: Math.round(best('project')),
    },
    peakRssMB: {
      consume: Math.round(peak('consume')),
      decode: Math.round(peak('decode')),
      fold: Math.round(peak('fold')),
      project: Math.round(peak('project')),
    },
    ratios: {
      projectVsConsumeMedianOfRounds: Number(median.toFixed(3)),
      projectVsConsumePerRound: perRound.map((r) => Number(r.toFixed(3))),
      projectVsConsumeBest: Number((best('project') / best('consume')).toFixed(3)),
      projectVsDecodeBest: Number((best('project') / best('decode')).toFixed(3)),
      projectVsConsumePerCpuSecondMedianOfRounds: Number(cpuMedian.toFixed(3)),
      foldVsConsumePerCpuSecondMedianOfRounds: Number(foldVsConsumeCpu.toFixed(3)),
      projectVsFoldPerCpuSecondMedianOfRounds: Number(projectVsFoldCpu.toFixed(3)),
    },
    measurements: rounds.map((m) => ({
      ...m,
      eventsPerSecond: Math.round(m.events / m.seconds),
      seconds: Number(m.seconds.toFixed(3)),
      cpuSeconds: Number(m.cpuSeconds.toFixed(3)),
      peakRssMB: Math.round(m.peakRssMB),
    })),
    targets,
  };
  fs.writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
  if (targets.some((t) => !t.pass)) process.exitCode = 1;
}

const [flag, kind, sourceDir, stateDir] = process.argv.slice(2);
if (flag === '--child') await child(kind as Kind, sourceDir, stateDir);
else await main();
