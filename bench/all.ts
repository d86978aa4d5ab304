/**
 * Every benchmark, one after another, each in a child process of its own,
 * then one summary of every target line they printed (bench/summary.json):
 *
 *   npm run bench                                    # everything, full size
 *   BENCH_MESSAGES=100000 npm run bench              # a quick run
 *   npm run bench -- --only maintenance,streams      # some benches
 *   npm run bench -- --only storage,raw,get          # names that are not benches go to
 *                                                    # the storage bench's --only (and select it)
 *   npm run bench -- --out bench/data/quick.json     # any other argument goes to the storage bench
 *   npm run bench:storage                            # the storage bench alone, as before
 *
 * Benches: storage (bench/run.ts), maintenance, streams, eventstore,
 * decider, projections, catch-up, processes, telemetry and workflows (each run only if its dist/bench/*.js exists). The JetStream
 * bench needs a NATS server and stays out: npm run bench:jetstream.
 *
 * A bench reports a target as a stdout line starting with PASS, FAIL or SKIP
 * (bench/report.ts renderTargets); that line is all this file reads of it.
 * With BENCH_MESSAGES set, the benches that do not read it are scaled down
 * their own way (eventstore: BENCH_ROUNDS=1; projections: BENCH_EVENTS), so
 * a quick run is quick everywhere.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './report.js';

const distBench = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

interface Bench {
  name: string;
  script: string;
  /** For a quick run (BENCH_MESSAGES set): how a bench that does not read BENCH_MESSAGES is scaled down. */
  quick?: (env: NodeJS.ProcessEnv, messages: string) => void;
}

const BENCHES: Bench[] = [
  { name: 'storage', script: 'run.js' },
  { name: 'maintenance', script: 'maintenance.js' },
  { name: 'streams', script: 'streams.js' },
  // Fixed sizes: one round instead of three.
  { name: 'eventstore', script: 'eventstore.js', quick: (env) => void (env.BENCH_ROUNDS ??= '1') },
  // Issue 18's decider workload on our three stores and Emmett's two; one round instead of three.
  { name: 'decider', script: 'decider.js', quick: (env) => void (env.BENCH_ROUNDS ??= '1') },
  // Its log has BENCH_EVENTS events.
  { name: 'projections', script: 'projections.js', quick: (env, messages) => void (env.BENCH_EVENTS ??= messages) },
  // Issue 18's catch-up row: an event store of BENCH_EVENTS events, one round; Emmett's SQLite projections beside it.
  {
    name: 'catch-up',
    script: 'catch-up.js',
    quick: (env, messages) => {
      env.BENCH_EVENTS ??= messages;
      env.BENCH_ROUNDS ??= '1';
    },
  },
  // Reactors against the plain consume loop; reads BENCH_MESSAGES.
  { name: 'processes', script: 'processes.js' },
  // What telemetry costs a command, with and without the OpenTelemetry API and SDK; one round instead of three.
  { name: 'telemetry', script: 'telemetry.js', quick: (env) => void (env.BENCH_ROUNDS ??= '1') },
  // Issue 19: a workflow step vs a single command; 2,000 steps, one round.
  {
    name: 'workflows',
    script: 'workflows.js',
    quick: (env) => void ((env.BENCH_STEPS ??= '2000'), (env.BENCH_ROUNDS ??= '1')),
  },
];

interface TargetLine {
  result: 'PASS' | 'FAIL' | 'SKIP';
  text: string;
}

interface BenchResult {
  name: string;
  /** ran: exited 0; failed: exited otherwise (a missed target, or a crash if no target line came); missing: no script. */
  status: 'ran' | 'failed' | 'missing';
  exitCode: number | null;
  seconds: number;
  command: string;
  targets: TargetLine[];
}

function parseArgs(argv: string[]): { benches: Bench[]; storageArgs: string[] } {
  const storageArgs: string[] = [];
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2);
    if (flag !== '--only') {
      storageArgs.push(argv[i]!);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error('--only needs a list: bench names and/or storage peers and operations');
    only.push(...value.split(',').filter(Boolean));
  }
  const names = new Set(BENCHES.map((bench) => bench.name));
  const benchNames = only.filter((name) => names.has(name));
  const storageOnly = only.filter((name) => !names.has(name));
  if (storageOnly.length) {
    storageArgs.push('--only', storageOnly.join(','));
    if (!benchNames.includes('storage')) benchNames.push('storage');
  }
  return {
    benches: benchNames.length ? BENCHES.filter((bench) => benchNames.includes(bench.name)) : BENCHES,
    storageArgs,
  };
}

const TARGET_LINE = /^\s*(PASS|FAIL|SKIP)\b\s*(.*)$/;

/** Runs one bench, its stdout passed through and scanned for target lines. */
function run(bench: Bench, args: string[]): Promise<BenchResult> {
  const script = path.join(distBench, bench.script);
  const command = ['node', '--expose-gc', path.relative(repoRoot, script), ...args].join(' ');
  const result: BenchResult = { name: bench.name, status: 'missing', exitCode: null, seconds: 0, command, targets: [] };
  if (!fs.existsSync(script)) return Promise.resolve(result);
  const env = { ...process.env };
  if (env.BENCH_MESSAGES) bench.quick?.(env, env.BENCH_MESSAGES);
  const began = Date.now();
  console.error(`\n=== ${bench.name}: ${command}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', script, ...args], {
      cwd: repoRoot,
      env,
      stdio: ['inherit', 'pipe', 'inherit'],
    });
    let pending = '';
    const scan = (line: string) => {
      const match = TARGET_LINE.exec(line);
      if (match) result.targets.push({ result: match[1] as TargetLine['result'], text: match[2]! });
    };
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop()!;
      lines.forEach(scan);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      scan(pending);
      result.exitCode = code;
      result.status = code === 0 ? 'ran' : 'failed';
      result.seconds = Math.round((Date.now() - began) / 1000);
      resolve(result);
    });
  });
}

function summarize(results: BenchResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines: string[] = [];
  for (const r of results) {
    const name = r.name.padEnd(width);
    if (r.status === 'missing')
      lines.push(`${name}  ----  not run: ${r.command.split(' ')[2]} does not exist (not written or not built yet)`);
    for (const t of r.targets) lines.push(`${name}  ${t.result}  ${t.text}`);
    if (r.status === 'failed' && !r.targets.some((t) => t.result === 'FAIL'))
      lines.push(`${name}  FAIL  exited with ${r.exitCode} before reporting a failed target (see its output above)`);
    if (r.status === 'ran' && r.targets.length === 0)
      lines.push(`${name}  ----  ran (${r.seconds} s), no target lines`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { benches, storageArgs } = parseArgs(process.argv.slice(2));
  const loadAtStart = os.loadavg()[0]!;
  const began = Date.now();
  const results: BenchResult[] = [];
  for (const bench of benches) results.push(await run(bench, bench.name === 'storage' ? storageArgs : []));

  const targets = results.flatMap((r) => r.targets);
  const crashed = results.filter((r) => r.status === 'failed' && !r.targets.some((t) => t.result === 'FAIL'));
  const count = (result: TargetLine['result']) => targets.filter((t) => t.result === result).length;
  console.log(`\n=== Summary: every target, each a ratio within its own bench's run\n${summarize(results)}`);
  const seconds = Math.round((Date.now() - began) / 1000);
  const out = path.join(repoRoot, 'bench', 'summary.json');
  const json = {
    date: new Date().toISOString(),
    machine: machineInfo(loadAtStart),
    node: process.version,
    env: { BENCH_MESSAGES: process.env.BENCH_MESSAGES ?? null, BENCH_ROUNDS: process.env.BENCH_ROUNDS ?? null },
    runSeconds: seconds,
    totals: { pass: count('PASS'), fail: count('FAIL'), skip: count('SKIP'), crashed: crashed.map((r) => r.name) },
    benches: results,
  };
  fs.writeFileSync(out, JSON.stringify(json, null, 2) + '\n');
  console.log(
    `\n${count('PASS')} pass, ${count('FAIL')} fail, ${count('SKIP')} skipped${crashed.length ? `, ${crashed.map((r) => r.name).join(', ')} crashed` : ''}; ` +
      `${seconds} s, load average ${loadAtStart.toFixed(1)} -> ${os.loadavg()[0]!.toFixed(1)}; written to ${path.relative(process.cwd(), out)}`,
  );
  if (count('FAIL') > 0 || crashed.length > 0) process.exitCode = 1;
}

await main();
