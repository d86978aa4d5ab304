/**
 * The streams benchmark (issue 4): klevdb/streams against the plain log it
 * reads, on klevdb's workload, in one run and one process.
 *
 *   npm run bench -- --only streams
 *   npx tsc -p . && node --expose-gc dist/bench/streams.js
 *   BENCH_MESSAGES=100000 BENCH_ROUNDS=1 node --expose-gc dist/bench/streams.js
 *   BENCH_STREAMS=live node --expose-gc dist/bench/streams.js   # the live latency figure only
 *
 * Catch-up: one log of BENCH_MESSAGES (1,000,000) messages, opened with
 * openBlocking, is read whole by plain `consume` loops and by fromLogBatches
 * and fromLog (live: false) with the same batch sizes, taking turns round by
 * round in a rotating order.
 *
 * Live: on the same log, 10,000 single-message publishes per round, each
 * awaited until a fromLog subscriber (caught up, waiting) has received it:
 * the latency is from just before publish() to the subscriber's next(). In
 * between, in alternating slices of 100, the same publishes with nobody
 * subscribed give the cost of one publish. Same log, same message size.
 *
 * Durable: a durable subscription (openSubscription, run(), a commit per
 * batch of 100, bench/durable-reader.ts) takes its turn with the catch-up
 * readers, against the plain consume loop of batch 100.
 *
 * Figures are the best round: noise only ever slows a round down.
 */
import path from 'node:path';
import type { Observable } from 'rxjs';
import { openBlocking, type BlockingLog } from '../src/index.js';
import { fromLog, fromLogBatches } from '../src/streams/index.js';
import { durableReader } from './durable-reader.js';
import {
  BenchRun,
  envCount,
  percentile,
  ratioTarget,
  renderTargets,
  RoundFigures,
  type TargetResult,
} from './report.js';
import { type BenchMessage, MessageSource, ROLLOVER_BYTES } from './workload.js';

const LIVE_PUBLISHES = 10_000;
const LIVE_SLICE = 100;
const WARM_UP_MESSAGES = 20_000;
/** Messages each reader reads in its turn: long enough to hide the clock reads, short enough to share the noise. */
const CATCH_UP_SLICE = 20_000;
/** fromLog's default batch size, then the storage bench's consume batch. */
const BATCH_SIZES = [1000, 100];

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function rotate<T>(items: T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/**
 * Subscribes and unsubscribes once at least `count` messages arrived (a batch
 * can end past that: reads stop at segment ends); resolves to how many.
 */
function take<T>(stream: Observable<T>, size: (value: T) => number, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const subscription = stream.subscribe({
      next: (value) => {
        seen += size(value);
        if (seen < count) return;
        subscription?.unsubscribe();
        resolve(seen);
      },
      error: reject,
      complete: () => reject(new Error(`stream completed after ${seen} of ${count} messages`)),
    });
    // A stream that delivered everything synchronously unsubscribed before `subscription` was assigned.
    if (seen >= count) subscription.unsubscribe();
  });
}

/** Reads messages offset .. offset + count - 1 (or a little past) of a log without gaps; resolves to how many it read. */
type Reader = { id: string; label: string; read: (log: BlockingLog, offset: number, count: number) => Promise<number> };

function readers(): Reader[] {
  return BATCH_SIZES.flatMap((batchSize): Reader[] => [
    {
      id: `consume-${batchSize}`,
      label: `plain consume loop, batch ${batchSize}`,
      read: async (log, offset, count) => {
        for (let end = offset + count; offset < end;) {
          const { nextOffset, messages } = await log.consume(offset, Math.min(batchSize, end - offset));
          if (messages[0]?.offset !== offset)
            throw new Error(`consume(${offset}) returned ${messages.length} messages from ${messages[0]?.offset}`);
          offset = nextOffset;
        }
        return count;
      },
    },
    {
      id: `batches-${batchSize}`,
      label: `fromLogBatches catch-up, batch ${batchSize}`,
      read: (log, offset, count) =>
        take(fromLogBatches(log, { offset, live: false, batchSize }), (batch) => batch.messages.length, count),
    },
    {
      id: `messages-${batchSize}`,
      label: `fromLog catch-up (a next() per message), batch ${batchSize}`,
      read: (log, offset, count) => take(fromLog(log, { offset, live: false, batchSize }), () => 1, count),
    },
  ]);
}

/**
 * One catch-up round: the readers take turns slice by slice through the
 * whole log, so a noisy second slows them alike. Per reader: msg/s by the
 * wall clock and per CPU-second of this process.
 */
async function catchUpRound(
  log: BlockingLog,
  all: Reader[],
  total: number,
  round: number,
): Promise<Array<{ wall: number; cpu: number }>> {
  const wall = all.map(() => 0);
  const cpu = all.map(() => 0);
  const read = all.map(() => 0);
  for (let offset = 0, turn = round; offset < total; offset += CATCH_UP_SLICE, turn++) {
    const count = Math.min(CATCH_UP_SLICE, total - offset);
    for (const k of rotate([...all.keys()], turn)) {
      const cpuStart = process.cpuUsage();
      const began = process.hrtime.bigint();
      read[k]! += await all[k]!.read(log, offset, count);
      wall[k]! += secondsSince(began);
      const used = process.cpuUsage(cpuStart);
      cpu[k]! += (used.user + used.system) / 1e6;
    }
  }
  return all.map((_, k) => ({ wall: read[k]! / wall[k]!, cpu: read[k]! / cpu[k]! }));
}

/** Microseconds, each list ascending. */
interface LiveRound {
  /** From before publish() to the subscriber's next(). */
  latency: number[];
  /** One awaited publish() with nobody subscribed. */
  publish: number[];
  /** The CPU time this process used for each of those: the wall time less any wait for a core. */
  latencyCpu: number[];
  publishCpu: number[];
  /**
   * Of the slowest 1% of round trips: CPU time of all this process's threads
   * / wall time. Below 1, the process was waiting for a core (other load on
   * the machine); near 1, work on the main thread; above 1, V8's helper
   * threads were at work too (a parallel scavenge, concurrent compiling).
   */
  tailOnCpu: number;
}

const cpuMicros = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};

/**
 * One round of the live test: slices of LIVE_SLICE publishes, alternately
 * with a fromLog subscriber waiting at the head and with none. The CPU
 * clock is read outside the wall-clock interval, so it adds nothing to it.
 */
async function liveRound(
  log: BlockingLog,
  source: MessageSource,
  firstIndex: number,
  count: number,
): Promise<LiveRound> {
  const round: LiveRound = { latency: [], publish: [], latencyCpu: [], publishCpu: [], tailOnCpu: NaN };
  let index = firstIndex;
  const next = (): BenchMessage[] => source.messages(index++, 1);
  for (let done = 0; done < count; done += LIVE_SLICE) {
    const n = Math.min(LIVE_SLICE, count - done);
    // With a subscriber.
    let delivered: (at: bigint) => void = () => {};
    const subscription = fromLog(log, { offset: await log.nextOffset() }).subscribe({
      next: () => delivered(process.hrtime.bigint()),
      error: (err) => {
        throw err;
      },
    });
    const roundTrip = async (record: boolean): Promise<void> => {
      const message = next();
      const arrived = new Promise<bigint>((resolve) => (delivered = resolve));
      const cpu = process.cpuUsage();
      const began = process.hrtime.bigint();
      await log.publish(message);
      const at = await arrived;
      if (!record) return;
      round.latencyCpu.push(cpuMicros(cpu));
      round.latency.push(Number(at - began) / 1000);
    };
    await roundTrip(false); // the subscriber is now past its first read and waiting at the head
    for (let i = 0; i < n; i++) await roundTrip(true);
    subscription.unsubscribe();
    // Without.
    for (let i = 0; i < n; i++) {
      const message = next();
      const cpu = process.cpuUsage();
      const began = process.hrtime.bigint();
      await log.publish(message);
      const wall = Number(process.hrtime.bigint() - began) / 1000;
      round.publishCpu.push(cpuMicros(cpu));
      round.publish.push(wall);
    }
  }
  const byWall = round.latency.map((wall, i) => [wall, round.latencyCpu[i]!] as const).sort((a, b) => a[0] - b[0]);
  const tail = byWall.slice(Math.ceil(byWall.length * 0.99) - 1);
  round.tailOnCpu = tail.reduce((sum, [, cpu]) => sum + cpu, 0) / tail.reduce((sum, [wall]) => sum + wall, 0);
  for (const list of [round.latency, round.publish, round.latencyCpu, round.publishCpu]) list.sort((a, b) => a - b);
  return round;
}

async function main(): Promise<void> {
  const total = envCount('BENCH_MESSAGES', 1_000_000);
  const rounds = envCount('BENCH_ROUNDS', 5);
  // BENCH_STREAMS=live: only the live rounds (and their target), to chase the latency figure alone.
  const liveOnly = process.env.BENCH_STREAMS === 'live';
  const livePublishes = Math.min(LIVE_PUBLISHES, total);
  const run = new BenchRun('streams');
  console.error(
    `klevdb streams bench: ${total} messages, ${rounds} rounds, ${livePublishes} live publishes a round; data in ${run.dir}`,
  );

  const figures = new RoundFigures();
  const add = (id: string, label: string, unit: string, value: number, lowerIsBetter = false): void =>
    figures.add(id, label, unit, value, lowerIsBetter ? 'min' : 'max');
  const source = new MessageSource();
  const openLog = async (where: string, messages: number): Promise<BlockingLog> => {
    const log = await openBlocking(where, {
      createDirs: true,
      keyIndex: true,
      timeIndex: true,
      rollover: ROLLOVER_BYTES,
      autoSync: false,
    });
    for (let start = 0; start < messages; start += 10_000) {
      const chunk = source.messages(start, Math.min(10_000, messages - start));
      for (let i = 0; i < chunk.length; i += 100) await log.publish(chunk.slice(i, i + 100));
    }
    return log;
  };
  // A durable subscription committing per batch of 100 (issue 19), beside the plain loop of batch 100.
  const durable = durableReader(run.dir, 100);
  const all = [...readers(), durable];
  const liveRounds: Array<Record<string, number>> = [];
  const opened: BlockingLog[] = [];
  try {
    // Warm-up on a small log of its own: the first round measured must not pay for the JIT compiler.
    const warmUp = await openLog(path.join(run.dir, 'warm-up'), WARM_UP_MESSAGES);
    opened.push(warmUp);
    if (!liveOnly) await catchUpRound(warmUp, all, WARM_UP_MESSAGES, 0);
    await liveRound(warmUp, source, WARM_UP_MESSAGES, LIVE_SLICE * 10);
    const log = await openLog(path.join(run.dir, 'log'), total);
    opened.push(log);
    for (let round = 0; round < (liveOnly ? 0 : rounds); round++) {
      globalThis.gc?.();
      const rates = await catchUpRound(log, all, total, round);
      all.forEach((reader, k) => {
        add(reader.id, reader.label, 'msg/s', rates[k]!.wall);
        add(`${reader.id}-cpu`, `${reader.label}, per CPU-second`, 'msg/s', rates[k]!.cpu);
      });
      console.error(`round ${round + 1}: ${all.map((r, k) => `${r.id} ${Math.round(rates[k]!.wall)}`).join('  ')}`);
    }
    for (let round = 0; round < rounds; round++) {
      globalThis.gc?.();
      const { latency, publish, latencyCpu, publishCpu, tailOnCpu } = await liveRound(
        log,
        source,
        total + round * 3 * livePublishes,
        livePublishes,
      );
      const r = {
        latencyP50: percentile(latency, 50),
        latencyP99: percentile(latency, 99),
        latencyMax: latency[latency.length - 1]!,
        publishP50: percentile(publish, 50),
        publishP99: percentile(publish, 99),
        latencyCpuP99: percentile(latencyCpu, 99),
        publishCpuP50: percentile(publishCpu, 50),
        tailOnCpu,
      };
      liveRounds.push(r);
      add('live-p50', 'live latency, publish to subscriber, p50', 'µs', r.latencyP50, true);
      add('live-p99', 'live latency, publish to subscriber, p99', 'µs', r.latencyP99, true);
      add('publish-p50', 'one single-message publish, nobody subscribed, p50', 'µs', r.publishP50, true);
      add('publish-p99', 'one single-message publish, nobody subscribed, p99', 'µs', r.publishP99, true);
      add('live-p99-vs-publish', 'live p99 / publish p50, same round', 'x', r.latencyP99 / r.publishP50, true);
      add('live-p99-cpu', 'live latency p99, in CPU time of this process', 'µs', r.latencyCpuP99, true);
      add('publish-p50-cpu', 'single-message publish p50, in CPU time of this process', 'µs', r.publishCpuP50, true);
      console.error(
        `round ${round + 1}: latency p50 ${r.latencyP50.toFixed(1)} µs, p99 ${r.latencyP99.toFixed(1)} µs (slowest 1%: CPU / wall ${tailOnCpu.toFixed(2)}); publish p50 ${r.publishP50.toFixed(1)} µs`,
      );
    }
  } finally {
    await durable.close();
    await Promise.all(opened.map((log) => log.close()));
    run.removeData();
  }

  const best = (id: string) => figures.best(id);
  const catchUpTargets = (): TargetResult[] => [
    ...BATCH_SIZES.map((size) => {
      const [streamed, plain] = [`batches-${size}`, `consume-${size}`];
      return ratioTarget(
        `streamed catch-up (fromLogBatches) >= 0.8x plain consume, batch ${size}`,
        best(streamed) / best(plain),
        { atLeast: 0.8 },
        `${Math.round(best(streamed))} vs ${Math.round(best(plain))} msg/s; per CPU-second ${(best(`${streamed}-cpu`) / best(`${plain}-cpu`)).toFixed(2)}x`,
      );
    }),
    ratioTarget(
      'durable subscription, commit per batch of 100, >= 0.8x plain consume, batch 100',
      best('durable-100') / best('consume-100'),
      { atLeast: 0.8 },
      `${Math.round(best('durable-100'))} vs ${Math.round(best('consume-100'))} msg/s; per CPU-second ${(best('durable-100-cpu') / best('consume-100-cpu')).toFixed(2)}x`,
    ),
  ];
  const targets: TargetResult[] = [
    ...(liveOnly ? [] : catchUpTargets()),
    // The best round's p99 against the best round's median publish: each is the least disturbed of its kind.
    ratioTarget(
      'live p99 latency <= 5x the median single-message publish',
      best('live-p99') / best('publish-p50'),
      { atMost: 5 },
      `${best('live-p99').toFixed(1)} vs ${best('publish-p50').toFixed(1)} µs; in CPU time ${best('live-p99-cpu').toFixed(0)} vs ${best('publish-p50-cpu').toFixed(0)} µs`,
    ),
  ];

  console.log(`\n${figures.render()}\n`);
  console.log(`Targets (ratios within this run):\n${renderTargets(targets)}\n`);
  run.finish({
    sizes: { messages: total, rounds, livePublishes, liveSlice: LIVE_SLICE, batchSizes: BATCH_SIZES },
    figures: figures.list(),
    liveRounds,
    targets,
  });
  if (targets.some((t) => t.pass === false)) process.exitCode = 1;
}

await main();
