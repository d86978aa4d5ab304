/**
 * The JetStream backend beside the local log, in one run: publish and
 * consume throughput on a local directory, on one JetStream server and on a
 * 3-node cluster with 3 replicas, reported as ratios to the local log.
 *
 *   npm run bench:jetstream                        # 100,000 messages
 *   BENCH_MESSAGES=20000 npm run bench:jetstream   # a quick run
 *   NATS_URL=10.0.0.5:4222 npm run bench:jetstream # a server of yours (else 127.0.0.1:4222, else one started here)
 *   BENCH_CLUSTER=0 npm run bench:jetstream        # without the 3-node cluster
 *
 * Servers this script starts (when none answers at NATS_URL, and always for
 * the cluster) are stopped at the end, also when a step fails.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { openJetStream } from '../src/jetstream/index.js';
import { openBlocking } from '../src/storage/blocking.js';
import { OffsetOldest, type BlockingLog, type PublishMessage } from '../src/storage/types.js';
import { natsServerBinary } from '../test/helpers/external.js';
import {
  type NatsCluster,
  type NatsServer,
  startCluster,
  startServer,
  stopServer,
  waitForJetStream,
} from '../test/helpers/nats-server.js';

const N = Number(process.env.BENCH_MESSAGES ?? 100_000);
const SINGLES = Math.min(2000, N);
const LOOKUPS = Math.min(2000, N);
const VALUE = Buffer.alloc(100, 'v');

interface Result {
  backend: string;
  op: string;
  perSecond: number;
}

const message = (i: number): PublishMessage => ({
  key: `key-${i % 1000}`,
  value: VALUE,
  timeMicros: 1_700_000_000_000_000 + i,
});

async function time(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

/** The operations, in order, on one backend. */
async function measure(backend: string, log: BlockingLog): Promise<Result[]> {
  const out: Result[] = [];
  const rate = (op: string, count: number, seconds: number): void => {
    out.push({ backend, op, perSecond: count / seconds });
    console.log(
      `  ${backend.padEnd(14)} ${op.padEnd(16)} ${Math.round(count / seconds)
        .toLocaleString('en')
        .padStart(12)} /s`,
    );
  };
  rate(
    'publish-1000',
    N,
    await time(async () => {
      for (let i = 0; i < N; i += 1000)
        await log.publish(Array.from({ length: Math.min(1000, N - i) }, (_, j) => message(i + j)));
    }),
  );
  rate(
    'publish-1',
    SINGLES,
    await time(async () => {
      for (let i = 0; i < SINGLES; i++) await log.publish([message(N + i)]);
    }),
  );
  let read = 0;
  rate(
    'consume-1000',
    N,
    await time(async () => {
      let offset = OffsetOldest;
      while (read < N) {
        const r = await log.consume(offset, 1000);
        read += r.messages.length;
        if (r.nextOffset === offset) break;
        offset = r.nextOffset;
      }
    }),
  );
  if (read < N) throw new Error(`${backend}: consumed ${read} of ${N}`);
  rate(
    'get-by-key',
    LOOKUPS,
    await time(async () => {
      for (let i = 0; i < LOOKUPS; i++) await log.getByKey(`key-${(i * 7919) % 1000}`);
    }),
  );
  rate(
    'get',
    LOOKUPS,
    await time(async () => {
      for (let i = 0; i < LOOKUPS; i++) await log.get((i * 7919) % N);
    }),
  );
  return out;
}

async function reachable(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: 1000, reconnect: false });
    try {
      await waitForJetStream(nc, 2000);
      return true;
    } finally {
      await nc.close();
    }
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const cleanups: Array<() => Promise<void>> = [];
  const results: Result[] = [];
  try {
    console.log(
      `klevdb/jetstream benchmark: ${N.toLocaleString('en')} messages of ${VALUE.length} bytes, 1,000 keys\n`,
    );

    const dir = await mkdtemp(path.join(os.tmpdir(), 'klevdb-bench-js-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const local = await openBlocking(dir, { keyIndex: true, timeIndex: true });
    results.push(...(await measure('local', local)));
    await local.close();

    const bin = natsServerBinary();
    let url = process.env.NATS_URL ?? '127.0.0.1:4222';
    if (!(await reachable(url))) {
      if (!bin)
        throw new Error(
          `no JetStream server at ${url} and no nats-server binary to start one (apt-get install nats-server)`,
        );
      const server: NatsServer = await startServer(bin);
      cleanups.push(() => stopServer(server));
      url = server.url;
      console.log(`\n(started nats-server on ${url})`);
    }
    const stream = `BENCH_${process.pid}`;
    const single = await openJetStream({ servers: url, stream });
    cleanups.push(async () => {
      const nc = await connect({ servers: url });
      await nc.request(`$JS.API.STREAM.DELETE.${stream}`, '', { timeout: 5000 }).catch(() => undefined);
      await nc.close();
    });
    results.push(...(await measure('jetstream-1', single)));
    await single.close();

    if (process.env.BENCH_CLUSTER !== '0' && bin) {
      const cluster: NatsCluster = await startCluster(bin, 3);
      cleanups.push(() => cluster.stop());
      console.log(`\n(started a 3-node cluster on ${cluster.urls.join(', ')})`);
      const r3 = await openJetStream({ servers: cluster.urls, stream: 'BENCH_R3', replicas: 3 });
      results.push(...(await measure('jetstream-R3', r3)));
      await r3.close();
    }

    console.log('\nratios to the local log (backend / local; above 1 is faster than local):');
    const ops = [...new Set(results.map((r) => r.op))];
    const backends = [...new Set(results.map((r) => r.backend))].filter((b) => b !== 'local');
    console.log(`  ${'operation'.padEnd(16)} ${backends.map((b) => b.padStart(14)).join(' ')}`);
    for (const op of ops) {
      const base = results.find((r) => r.backend === 'local' && r.op === op)!.perSecond;
      const cells = backends.map((b) => {
        const r = results.find((x) => x.backend === b && x.op === op);
        return (r ? (r.perSecond / base).toFixed(3) : '-').padStart(14);
      });
      console.log(`  ${op.padEnd(16)} ${cells.join(' ')}`);
    }
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch((e: unknown) => console.error('cleanup:', e));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
