/**
 * What telemetry costs a command: commandHandler on the in-memory event
 * store (where a command is cheapest, so the overhead shows most), in three
 * setups, each round in a child process of its own, taken in turn:
 *
 *   absent     @opentelemetry/api not installed (hidden from the child's require)
 *   idle       the API installed, no SDK registered (an application that has
 *              the API through another package)
 *   recording  the SDK registered: every span recorded (AlwaysOn), handed to
 *              a batch processor whose exporter drops it; metrics kept
 *
 * Commands per second of different processes on a loaded machine differ by
 * more than telemetry costs, so the targets come from one process each:
 * the time of the telemetry calls a command makes, timed alone, as a share
 * of that process's command time.
 *
 *   npx tsc -p . && node dist/bench/telemetry.js
 *   BENCH_ROUNDS=1 BENCH_COMMANDS=5000 node dist/bench/telemetry.js   # a quick run
 */
import { spawnSync } from 'node:child_process';
import Module, { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { commandHandler, type Decider } from '../src/aggregates/index.js';
import { commandTelemetry } from '../src/aggregates/command-telemetry.js';
import { defineEvent, inMemoryEventStore } from '../src/eventstore/index.js';
import { BenchRun, envCount, ratioTarget, renderTargets, RoundFigures } from './report.js';

const MODES = ['absent', 'idle', 'recording'] as const;
type Mode = (typeof MODES)[number];
const ROUNDS = envCount('BENCH_ROUNDS', 3);
const COMMANDS = envCount('BENCH_COMMANDS', 30_000);
const STREAMS = 100;

const Counted = defineEvent('Counted', z.object({ by: z.number().int() }));
const counter: Decider<{ total: number }, { type: 'Count'; by: number }, ReturnType<typeof Counted>> = {
  initialState: () => ({ total: 0 }),
  evolve: (s, e) => ({ total: s.total + e.data.by }),
  decide: (c) => Counted({ by: c.by }),
};

/** Makes `require('@opentelemetry/api')` fail as it does where the package is not installed. */
function hideOtelApi(): void {
  const loader = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const resolve = loader._resolveFilename;
  loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    if (request === '@opentelemetry/api') {
      throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
    }
    return resolve.call(this, request, ...rest);
  };
}

async function registerSdk(): Promise<void> {
  const { metrics, trace } = await import('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { InMemoryMetricExporter, AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } =
    await import('@opentelemetry/sdk-metrics');
  const dropped = {
    export: (_: unknown, done: (r: { code: 0 }) => void) => done({ code: 0 }),
    shutdown: async () => {},
  };
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropped)] }));
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
}

/** One round of one mode: commands per second. */
async function child(mode: Mode): Promise<void> {
  if (mode === 'absent') hideOtelApi();
  if (mode === 'recording') await registerSdk();
  const store = inMemoryEventStore({ events: [Counted] });
  const handle = commandHandler(counter, store);
  const issue = async (n: number) => {
    for (let i = 0; i < n; i++) await handle(`s-${i % STREAMS}`, { type: 'Count', by: 1 }, { correlationId: 'bench' });
  };
  await issue(Math.min(3000, COMMANDS));
  const started = performance.now();
  await issue(COMMANDS);
  const perSecond = COMMANDS / ((performance.now() - started) / 1000);
  const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('@opentelemetry/api'));
  if (loaded !== (mode !== 'absent')) throw new Error(`mode ${mode}: the API was ${loaded ? '' : 'not '}loaded`);
  console.log(JSON.stringify({ perSecond, hookMicros: hookMicros() }));
}

/**
 * The telemetry calls a command makes (span and steps, outcome, metrics)
 * without the command: µs each, timed in the same process as its commands,
 * so their ratio holds under any load.
 */
function hookMicros(): number {
  const result = { alreadyApplied: false, events: [0], nextExpectedVersion: 1 };
  const once = () => {
    const t = commandTelemetry('s-1', { type: 'Count' }, { correlationId: 'bench' });
    t.step('load', 0, () => undefined);
    t.step('decide', 0, () => undefined);
    t.step('append', 0, () => undefined);
    t.done(result);
  };
  const n = COMMANDS * 5;
  for (let i = 0; i < n / 5; i++) once();
  const started = performance.now();
  for (let i = 0; i < n; i++) once();
  return ((performance.now() - started) * 1000) / n;
}

function main(): void {
  const run = new BenchRun('telemetry');
  const figures = new RoundFigures();
  const label: Record<Mode, string> = {
    absent: 'commands/s, API absent',
    idle: 'commands/s, API installed, no SDK',
    recording: 'commands/s, SDK recording',
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of MODES) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
        env: { ...process.env, BENCH_TELEMETRY_MODE: mode },
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`${mode} round failed:\n${r.stdout}${r.stderr}`);
      const { perSecond, hookMicros } = JSON.parse(r.stdout) as { perSecond: number; hookMicros: number };
      figures.add(mode, label[mode], 'cmd/s', perSecond, 'max');
      // Of the command's own time in that process: a ratio that noise from other processes leaves alone.
      figures.add(
        `${mode}-share`,
        `telemetry's share of a command, ${mode}`,
        '%',
        (hookMicros * perSecond) / 1e4,
        'min',
      );
    }
  }
  console.log(`\n${figures.render()}\n`);
  // A command's speed with telemetry against without it, from the share of its time telemetry took in the same process.
  const speed = (mode: Mode) => 1 - figures.best(`${mode}-share`) / 100;
  const targets = [
    ratioTarget(
      'telemetry, API installed, no SDK: a command',
      speed('idle'),
      { atLeast: 0.98 },
      'of its speed without',
    ),
    ratioTarget(
      'telemetry, SDK recording every span: a command',
      speed('recording'),
      { atLeast: 0.4 },
      'of its speed without',
    ),
  ];
  console.log(`${renderTargets(targets)}\n`);
  run.finish({
    rounds: ROUNDS,
    commands: COMMANDS,
    figures: figures.list(),
    targets,
  });
  if (targets.some((t) => t.pass === false)) process.exitCode = 1;
}

const mode = process.env.BENCH_TELEMETRY_MODE as Mode | undefined;
if (mode === undefined) main();
else await child(mode);
