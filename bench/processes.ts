/**
 * The processes benchmark (issue 19): a reactor with a no-op handler against
 * the plain consume loop it stands on, in one run and one process.
 *
 *   npm run bench -- --only processes
 *   BENCH_MESSAGES=100000 BENCH_ROUNDS=1 node --expose-gc dist/bench/processes.js
 *
 * One log of BENCH_MESSAGES (300,000) messages over 100 keys is read whole,
 * round by round in alternating order, by a plain `consume` loop of batch
 * 1000 and by reactors on a ProjectionRunner keeping their checkpoint in a
 * directory (batch 1000, a no-op async handler): one with the default
 * concurrency 1, one with concurrency 8 (parallel by key). A reactor's time
 * runs from start() to its checkpoint passing the last message, so it
 * includes opening its state and committing its checkpoints.
 *
 * Figures are the best round: noise only ever slows a round down.
 */
import path from 'node:path';
import { openBlocking, type BlockingLog } from '../src/index.js';
import { ProjectionRunner } from '../src/projections/index.js';
import { reactor } from '../src/processes/index.js';
import { BenchRun, envCount, ratioTarget, renderTargets, RoundFigures, type TargetResult } from './report.js';
import { MessageSource, ROLLOVER_BYTES } from './workload.js';

const BATCH = 1000;
const KEYS = 100;

interface Reader {
  id: string;
  label: string;
  /** Reads the whole log once; resolves to how many messages it went through. */
  read: (log: BlockingLog, round: number) => Promise<number>;
}

const plain: Reader = {
  id: 'consume',
  label: `plain consume loop, batch ${BATCH}`,
  read: async (log) => {
    const end = await log.nextOffset();
    let count = 0;
    for (let offset = 0; offset < end;) {
      const { nextOffset, messages } = await log.consume(offset, BATCH);
      count += messages.length;
      offset = nextOffset;
    }
    return count;
  },
};

function reactorReader(dir: string, concurrency: number): Reader {
  return {
    id: `reactor-${concurrency}`,
    label: `reactor, no-op handler, concurrency ${concurrency}`,
    read: async (log, round) => {
      const runner = new ProjectionRunner({ dir: path.join(dir, `reactors-${concurrency}-${round}`) });
      let count = 0;
      try {
        const r = runner.addProcess(
          reactor({
            name: 'noop',
            source: log,
            concurrency,
            batchSize: BATCH,
            handle: async () => void count++,
          }),
        );
        await runner.start();
        await r.waitFor((await log.nextOffset()) - 1);
      } finally {
        await runner.close();
      }
      return count;
    },
  };
}

async function main(): Promise<void> {
  const total = envCount('BENCH_MESSAGES', 300_000);
  const rounds = envCount('BENCH_ROUNDS', 5);
  const run = new BenchRun('processes');
  console.error(`klevdb processes bench: ${total} messages over ${KEYS} keys, ${rounds} rounds; data in ${run.dir}`);
  const figures = new RoundFigures();
  const readers = [plain, reactorReader(run.dir, 1), reactorReader(run.dir, 8)];
  const source = new MessageSource();
  const log = await openBlocking(path.join(run.dir, 'log'), {
    createDirs: true,
    keyIndex: true,
    timeIndex: true,
    rollover: ROLLOVER_BYTES,
    autoSync: false,
  });
  try {
    for (let start = 0; start < total; start += 10_000) {
      const chunk = source.messages(start, Math.min(10_000, total - start), KEYS);
      for (let i = 0; i < chunk.length; i += 100) await log.publish(chunk.slice(i, i + 100));
    }
    // Warm-up: the first round measured must not pay for the JIT compiler.
    for (const reader of readers) await reader.read(log, -1);
    for (let round = 0; round < rounds; round++) {
      globalThis.gc?.();
      const order = round % 2 === 0 ? readers : [...readers].reverse();
      const rates: string[] = [];
      for (const reader of order) {
        const began = process.hrtime.bigint();
        const cpu = process.cpuUsage();
        const count = await reader.read(log, round);
        const wall = Number(process.hrtime.bigint() - began) / 1e9;
        const used = process.cpuUsage(cpu);
        if (count < total) throw new Error(`${reader.id} went through ${count} of ${total} messages`);
        figures.add(reader.id, reader.label, 'msg/s', count / wall, 'max');
        figures.add(
          `${reader.id}-cpu`,
          `${reader.label}, per CPU-second`,
          'msg/s',
          count / ((used.user + used.system) / 1e6),
          'max',
        );
        rates.push(`${reader.id} ${Math.round(count / wall)}`);
      }
      console.error(`round ${round + 1}: ${rates.join('  ')}`);
    }
  } finally {
    await log.close();
    run.removeData();
  }

  const best = (id: string) => figures.best(id);
  const targets: TargetResult[] = [1, 8].map((concurrency) =>
    ratioTarget(
      `reactor with a no-op handler, concurrency ${concurrency}, >= 0.5x plain consume, batch ${BATCH}`,
      best(`reactor-${concurrency}`) / best('consume'),
      { atLeast: 0.5 },
      `${Math.round(best(`reactor-${concurrency}`))} vs ${Math.round(best('consume'))} msg/s; per CPU-second ${(best(`reactor-${concurrency}-cpu`) / best('consume-cpu')).toFixed(2)}x`,
    ),
  );
  console.log(`\n${figures.render()}\n`);
  console.log(`Targets (ratios within this run):\n${renderTargets(targets)}\n`);
  run.finish({ sizes: { messages: total, rounds, keys: KEYS, batch: BATCH }, figures: figures.list(), targets });
  if (targets.some((t) => t.pass === false)) process.exitCode = 1;
}

await main();
