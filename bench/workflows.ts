/**
 * The workflow benchmark (issue 19): a workflow step against the single
 * command it stands on, in one run and one process, on one event store on
 * disk (default options).
 *
 *   npm run bench -- --only workflows
 *   BENCH_STEPS=2000 BENCH_ROUNDS=1 node dist/bench/workflows.js     # a quick run
 *
 * A single command: commandHandler on a counter decider, over 1000 streams,
 * one after the other, with a command id (as the workflow's own command
 * carries one: what makes a retry safe) and, for reference, without. A workflow step: handle(input) on a workflow whose
 * decide sends that same command to that handler (its result is no input of
 * the workflow), over 1000 instances: the input recorded with its outputs in
 * the instance's stream, decide, the command sent with its derived command
 * id. Within a round the two take turns in chunks of 250, each on a store of
 * its own; each figure is the best round (noise only slows).
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { commandHandler, type Decider } from '../src/aggregates/index.js';
import { defineEvent, openEventStore, type EventOf, type LogEventStore } from '../src/eventstore/index.js';
import { createWorkflow, send, workflow, workflowEvents } from '../src/processes/index.js';
import { BenchRun, envCount, ratioTarget, renderTargets, RoundFigures } from './report.js';

const STEPS = envCount('BENCH_STEPS', 10_000);
const ROUNDS = envCount('BENCH_ROUNDS', 3);
const STREAMS = 1000;

const Added = defineEvent('Added', z.object({ n: z.number().int() }));
const Tick = defineEvent('Tick', z.object({ instance: z.string(), n: z.number().int() }));
type Add = { type: 'Add'; n: number };
const counter: Decider<{ total: number }, Add, EventOf<typeof Added>> = {
  initialState: () => ({ total: 0 }),
  evolve: (s, e) => ({ total: s.total + e.data.n }),
  decide: (c) => Added({ n: c.n }),
};
type TickEvent = EventOf<typeof Tick>;
const ticker = workflow<TickEvent, { ticks: number }, Add>({
  name: 'ticker',
  inputs: [Tick],
  outputs: ['counter'],
  initialState: () => ({ ticks: 0 }),
  evolve: (s) => ({ ticks: s.ticks + 1 }),
  getWorkflowId: (input) => input.data.instance,
  decide: (input) =>
    input.type === 'Tick' ? send('counter', `counter-${input.data.instance}`, { type: 'Add', n: input.data.n }) : [],
});

const run = new BenchRun('workflows');
let opened = 0;
/** One store of the counter's events, the ticks and the workflow's records; typed as the counter's, which is all a command reads. */
const openStore = async () =>
  (await openEventStore(path.join(run.dir, `events-${++opened}`), {
    events: [Added, Tick, ...workflowEvents],
  })) as unknown as LogEventStore<EventOf<typeof Added>>;

/** Operations per second of each body, the two taking turns in chunks of CHUNK: a load spike falls on both alike. */
const CHUNK = 250;
async function interleaved(steps: number, bodies: Array<(i: number) => Promise<unknown>>): Promise<number[]> {
  const seconds = bodies.map(() => 0);
  for (let from = 0; from < steps; from += CHUNK) {
    for (const [b, body] of bodies.entries()) {
      const started = process.hrtime.bigint();
      for (let i = from; i < Math.min(steps, from + CHUNK); i++) await body(i);
      seconds[b]! += Number(process.hrtime.bigint() - started) / 1e9;
    }
  }
  return seconds.map((s) => steps / s);
}

/** One round: single commands on one store, workflow steps on another, taking turns. */
async function round(count = STEPS): Promise<{ plain: number; command: number; step: number }> {
  const plainStore = await openStore();
  const commandStore = await openStore();
  const stepStore = await openStore();
  const plain = commandHandler(counter, plainStore);
  const handle = commandHandler(counter, commandStore);
  const steps = createWorkflow(ticker, { store: stepStore, commands: { counter: commandHandler(counter, stepStore) } });
  await steps.start();
  try {
    const [plainRate, command, step] = await interleaved(count, [
      (i) => plain(`counter-${i % STREAMS}`, { type: 'Add', n: 1 }),
      (i) => handle(`counter-${i % STREAMS}`, { type: 'Add', n: 1 }, { commandId: `add-${i}` }),
      (i) => steps.handle(Tick({ instance: `i${i % STREAMS}`, n: 1 }), { inputId: `tick-${i}` }),
    ]);
    return { plain: plainRate!, command: command!, step: step! };
  } finally {
    await steps.close();
    await plainStore.close();
    await commandStore.close();
    await stepStore.close();
  }
}

async function main(): Promise<void> {
  const figures = new RoundFigures();
  try {
    // A short round first, not counted: every path compiled before anything is timed.
    await round(Math.max(CHUNK, Math.floor(STEPS / 10)));
    for (let r = 1; r <= ROUNDS; r++) {
      const { plain, command, step } = await round();
      figures.add('plain', 'single command without command id, per second', 'ops/s', plain, 'max');
      figures.add('command', 'single command with a command id, per second', 'ops/s', command, 'max');
      figures.add('step', 'workflow step (record, decide, send), per second', 'ops/s', step, 'max');
      figures.add('ratio', 'workflow step / single command with id, same round', 'x', step / command, 'max');
      figures.add('plainRatio', 'workflow step / single command without id, same round', 'x', step / plain, 'max');
      process.stdout.write(`round ${r}/${ROUNDS} done\n`);
    }
  } finally {
    run.removeData();
  }
  console.log(`\n${figures.render()}\n`);
  const ratio = figures.best('ratio');
  const targets = [
    ratioTarget(
      'a workflow step at least 0.3x a single command (with a command id, like the one the step sends)',
      ratio,
      { atLeast: 0.3 },
      `steps/s / commands/s; ${figures.best('plainRatio').toFixed(2)}x a command without id`,
    ),
  ];
  console.log(`${renderTargets(targets)}\n(load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores)`);
  run.finish({ steps: STEPS, rounds: ROUNDS, figures: figures.list(), targets });
  if (targets.some((t) => t.pass === false)) process.exitCode = 1;
}

await main();
