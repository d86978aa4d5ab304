/**
 * The storage benchmark: klevdb against better-sqlite3, lmdb, the raw
 * ceiling and Go klevdb itself (go-host.ts; left out with a note when there
 * is no `go`) on klevdb's own workload (see workload.ts), all in one run.
 *
 *   npm run bench:storage                                  # 200,000 messages, 9 rounds
 *   BENCH_MESSAGES=1000000 npm run bench:storage           # a larger log (the read cache holds a third of it)
 *   npm run bench:storage -- --only raw,sqlite,get         # some peers and/or operations
 *   npm run bench -- --out bench/data/quick.json   # keep bench/results.json
 *
 * Operations run one after another; within an operation the peers take turns
 * round by round, in a rotating order, so a noisy minute hurts them alike.
 *
 * It measures as issue 17's external harness did, so both agree: 200,000
 * messages of 10-byte keys and 128-byte values, key and time indexes, 1 MiB
 * rollover, every store called through its public async API with each call
 * awaited (peers/klevdb.ts calls the Log methods, nothing internal), msg/s.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureInChild, type OpenReport, type Usage } from './memory.js';
import { type Operation, type Sizes, operations } from './operations.js';
import { datasetDir, type Host, PeerHost } from './host.js';
import { GO_PEER, GoHost } from './go-host.js';
import { klevgo } from './klevgo.js';
import { peerNames } from './peers/peer.js';
import {
  type Figure,
  type Target,
  advantage,
  atLeast,
  atMost,
  notAbove,
  renderTable,
  renderTargets,
  summary,
  UNITS,
} from './report.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const loadAtStart = os.loadavg()[0];
/** The stage that reopens the closed datasets in child processes; --only can name it too. */
const OPEN_STAGE = 'open';
/** In table order: klevdb, the raw ceiling, the Node peers, then Go klevdb. */
const allPeers = [...peerNames, GO_PEER];

const targets: Target[] = [
  atLeast('publish-1', 5, ['sqlite']),
  atLeast('publish-1', 0.6, ['raw']),
  atLeast('publish-100', 3, ['sqlite']),
  atLeast('publish-100', 0.6, ['raw']),
  // Issue 17's write goals: batch 100 ahead of lmdb (publish-1 >= 0.6x raw is above).
  atLeast('publish-100', 3, ['lmdb']),
  atLeast('consume-100', 2, ['lmdb', 'sqlite']),
  // Issue 17's read goals: lookups ahead of lmdb's memory map, getByTime of the best peer and near the ceiling.
  atLeast('consume-100', 0.8, ['raw']),
  atLeast('get', 1.5, ['lmdb']),
  atLeast('get-by-key', 1.5, ['lmdb']),
  atLeast('get-by-time', 1.5, ['lmdb', 'sqlite']),
  atLeast('get-by-time', 0.9, ['raw']),
  ...['get', 'get-by-key'].map((id) => atLeast(id, 0.7, ['raw'])),
  atMost('memory', 48),
  notAbove('open', 'open-consume-1000'),
];

interface Args {
  only: string[];
  out: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { only: [], out: path.join(repoRoot, 'bench', 'results.json') };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--only') args.only = value().split(',').filter(Boolean);
    else if (flag === '--out') args.out = path.resolve(value());
    else throw new Error(`unknown argument ${argv[i]}; use --only peer,operation,... and --out file`);
  }
  const known = new Set([...allPeers, ...operations.map((op) => op.id), OPEN_STAGE]);
  const unknown = args.only.filter((name) => !known.has(name));
  if (unknown.length) throw new Error(`--only: unknown ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  return args;
}

function positiveIntegerFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

/**
 * The per-operation amounts, capped so that nine rounds of everything stay
 * within ~10 minutes on 2 cores: on a shared machine many short rounds give
 * every store its share of the quiet moments, and the best round is kept.
 */
function sizesFor(dataset: number): Sizes {
  return {
    dataset,
    // As many as the harness published one at a time, each call awaited.
    publishOne: Math.min(dataset, 200_000),
    publishHundred: Math.min(dataset, 200_000),
    publishSynced: Math.min(dataset, 20_000),
    consumeOne: Math.min(dataset, 200_000),
    lookups: Math.min(dataset, 50_000),
  };
}

function rotate<T>(items: T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function progress(figure: Figure, peers: string[], wallSeconds: number): void {
  const parts = peers.map(
    (peer) => `${peer} ${summary(figure, peer)?.toFixed(figure.kind === 'throughput' ? 0 : 1) ?? '-'}`,
  );
  console.error(
    `${figure.label.padEnd(40)} ${UNITS[figure.kind].padEnd(6)} ${parts.join('  ')}  (${wallSeconds.toFixed(1)} s)`,
  );
}

function newFigure(id: string, label: string, kind: Figure['kind']): Figure {
  return { id, label, kind, rounds: {} };
}

function record(figure: Figure, peer: string, value: number): void {
  (figure.rounds[peer] ??= []).push(value);
}

class Bench {
  readonly figures: Figure[] = [];
  readonly openReports: Record<string, OpenReport[]> = {};
  private lastAdded = Date.now();

  constructor(
    private readonly hosts: Host[],
    private readonly sizes: Sizes,
    private readonly rounds: number,
    private readonly dataRoot: string,
  ) {}

  async buildDatasets(): Promise<void> {
    const figure = newFigure(
      'publish-100-dataset',
      `publish, batch 100, building the ${this.sizes.dataset}-message dataset`,
      'throughput',
    );
    for (const host of this.hosts) {
      const { messages, seconds } = await host.build(this.sizes);
      record(figure, host.name, messages / seconds);
    }
    this.add(figure);
  }

  async measure(op: Operation): Promise<void> {
    const figure = newFigure(op.id, op.label, 'throughput');
    for (let round = 0; round < this.rounds; round++) {
      for (const host of rotate(this.hosts, round)) {
        const { messages, seconds } = await host.run(op.id, round, this.sizes);
        record(figure, host.name, messages / seconds);
      }
    }
    this.add(figure);
  }

  /**
   * Fresh child processes reopen each closed dataset: open time, memory per
   * message, and the consume yardstick. Memory barely moves between rounds and
   * each round costs seconds per store, so three rounds at most. Node stores
   * only: Go's open and memory are not measured alike.
   */
  async measureOpen(): Promise<void> {
    const nodeHosts = this.hosts.filter((host) => peerNames.includes(host.name));
    const n = this.sizes.dataset;
    const open = newFigure('open', `open the closed ${n}-message log`, 'time');
    const ready = newFigure('open-ready', 'open + load every index', 'time');
    const consumeAll = newFigure('open-consume-1000', 'consume all, batch 1000 (same child)', 'time');
    const memory = newFigure('memory', 'memory, heap + external', 'memory');
    const rss = newFigure('memory-rss', 'memory, RSS', 'memory');
    const perMessage = (report: OpenReport, pick: (usage: Usage) => number) =>
      (pick(report.after) - pick(report.before)) / n;
    for (let round = 0; round < Math.min(this.rounds, 3); round++) {
      for (const { name } of rotate(nodeHosts, round)) {
        const report = await measureInChild(name, datasetDir(path.join(this.dataRoot, name)), n);
        (this.openReports[name] ??= []).push(report);
        record(open, name, report.openMs);
        record(ready, name, report.readyMs);
        record(consumeAll, name, report.consumeMs);
        // process.memoryUsage().external already includes arrayBuffers: adding both would count Buffers twice.
        record(
          memory,
          name,
          perMessage(report, (u) => u.heapUsed + u.external),
        );
        record(
          rss,
          name,
          perMessage(report, (u) => u.rss),
        );
      }
    }
    for (const figure of [open, ready, consumeAll, memory, rss]) this.add(figure);
  }

  private add(figure: Figure): void {
    this.figures.push(figure);
    const now = Date.now();
    progress(
      figure,
      this.hosts.map((host) => host.name),
      (now - this.lastAdded) / 1000,
    );
    this.lastAdded = now;
  }
}

function resultsJson(
  bench: Bench,
  setups: Record<string, string>,
  skipped: Record<string, string>,
  sizes: Sizes,
  rounds: number,
  targetResults: ReturnType<Target>[],
  seconds: number,
) {
  const cpus = os.cpus();
  const names = Object.keys(setups);
  return {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryBytes: os.totalmem(),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      /** Other work on the machine skews every figure: the 1-minute load averages as the run began and ended. */
      loadAverage: { start: loadAtStart, end: os.loadavg()[0] },
    },
    node: process.version,
    sizes,
    rounds,
    runSeconds: Math.round(seconds),
    peers: setups,
    /** Peers asked for but not run, and why (Go without a `go` on the PATH). */
    skipped,
    figures: bench.figures.map((figure) => ({
      id: figure.id,
      label: figure.label,
      unit: UNITS[figure.kind],
      peers: Object.fromEntries(
        names.map((name) => [name, { value: summary(figure, name), rounds: figure.rounds[name] ?? [] }]),
      ),
      klevdbVs: Object.fromEntries(
        names.filter((name) => name !== 'klevdb').map((name) => [name, advantage(figure, 'klevdb', name)]),
      ),
    })),
    openReports: bench.openReports,
    targets: targetResults,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const onlyPeers = args.only.filter((name) => allPeers.includes(name));
  const onlyOps = args.only.filter((name) => !allPeers.includes(name));
  const selectedPeers = onlyPeers.length ? allPeers.filter((name) => onlyPeers.includes(name)) : allPeers;
  const selectedOps = operations.filter((op) => onlyOps.length === 0 || onlyOps.includes(op.id));
  const measureOpen = onlyOps.length === 0 || onlyOps.includes(OPEN_STAGE);

  const sizes = sizesFor(positiveIntegerFromEnv('BENCH_MESSAGES', 200_000));
  const rounds = positiveIntegerFromEnv('BENCH_ROUNDS', 9);
  const dataRoot = path.join(repoRoot, 'bench', 'data', `run-${process.pid}`);
  const removeData = () => fs.rmSync(dataRoot, { recursive: true, force: true });
  process.once('SIGINT', () => {
    removeData();
    process.exit(130);
  });

  console.error(
    `klevdb storage bench: ${sizes.dataset} messages, ${rounds} rounds, peers ${selectedPeers.join(', ')}; data in ${dataRoot}`,
  );
  const began = Date.now();
  const skipped: Record<string, string> = {};
  const go = selectedPeers.includes(GO_PEER) ? await klevgo() : undefined;
  if (go && 'missing' in go) {
    skipped[GO_PEER] = go.missing;
    console.error(`Go klevdb left out: ${go.missing}`);
  }
  const started = await Promise.all(
    selectedPeers.flatMap((name): Promise<{ host: Host; setup: string }>[] => {
      const dir = path.join(dataRoot, name);
      if (name !== GO_PEER) return [PeerHost.start(name, dir)];
      return go && 'binary' in go ? [GoHost.start(go.binary, go.goVersion, dir)] : [];
    }),
  );
  const hosts = started.map(({ host }) => host);
  const measured = hosts.map((host) => host.name);
  const setups = Object.fromEntries(started.map(({ host, setup }) => [host.name, setup]));
  const bench = new Bench(hosts, sizes, rounds, dataRoot);
  try {
    const needsDataset = measureOpen || selectedOps.some((op) => op.store === 'dataset');
    if (needsDataset) await bench.buildDatasets();
    for (const op of selectedOps) await bench.measure(op);
    // The datasets must be closed (klevdb's lock) before the open children reopen them.
    await Promise.all(hosts.map((host) => host.close()));
    if (measureOpen) await bench.measureOpen();
  } finally {
    await Promise.all(hosts.map((host) => host.close()));
    removeData();
  }
  const seconds = (Date.now() - began) / 1000;

  const figuresById = new Map(bench.figures.map((figure) => [figure.id, figure]));
  const targetResults = targets.map((target) => target(figuresById));
  console.log(`\n${renderTable(bench.figures, measured)}\n`);
  console.log(`Targets (klevdb vs the same run's figures):\n${renderTargets(targetResults)}\n`);
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(
    args.out,
    JSON.stringify(resultsJson(bench, setups, skipped, sizes, rounds, targetResults, seconds), null, 2) + '\n',
  );
  console.log(
    `${Math.round(seconds)} s, load average ${loadAtStart.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores; results written to ${path.relative(process.cwd(), args.out) || args.out}`,
  );
}

await main();
