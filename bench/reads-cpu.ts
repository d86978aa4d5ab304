/**
 * The storage bench's reads measured by CPU time, for a machine too busy for
 * wall-clock ratios: klevdb, lmdb and the raw ceiling open side by side in
 * one process and answer the same random lookups (and consume batch 100) in
 * short bursts that alternate between them; each store's best burst counts.
 * A busy machine stretches wall time by whatever the scheduler gives each
 * process; the CPU a burst used is the work it did.
 *
 *   node dist/bench/reads-cpu.js                         # 200,000 messages, 12 bursts each
 *   BENCH_MESSAGES=1000000 node dist/bench/reads-cpu.js  # a log larger than the read cache
 *
 * The same workload and public async API as bench/run.ts (workload.ts,
 * peers/): every call awaited, every answer checked. Issue 17's goals print
 * as PASS/FAIL lines.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Figure, atLeast, renderTable, renderTargets } from './report.js';
import { type Store, loadPeer } from './peers/peer.js';
import { MessageSource, dateOf, keyOf, randomIndexes } from './workload.js';

const PEERS = ['klevdb', 'raw', 'lmdb'];
const BURST = 20_000;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

type Op = { id: string; label: string; run: (store: Store, seed: number, messages: number) => Promise<number> };

/** Random lookups; returns how many answers, each checked. */
function lookup(id: string, label: string, call: (store: Store, index: number) => Promise<{ offset: number }>): Op {
  return {
    id,
    label,
    async run(store, seed, messages) {
      const indexes = randomIndexes(BURST, messages, seed);
      for (const index of indexes) {
        const m = await call(store, index);
        if (m.offset !== index) throw new Error(`${id}: expected offset ${index}, got ${m.offset}`);
      }
      return BURST;
    },
  };
}

const OPS: Op[] = [
  {
    id: 'consume-100',
    label: 'consume, batch 100',
    async run(store, seed, messages) {
      const want = Math.min(BURST * 5, messages);
      let offset = (seed * 7919) % (messages - want + 1);
      for (let n = 0; n < want;) {
        const { nextOffset, messages: got } = await store.consume(offset, 100);
        if (got[0]?.offset !== offset) throw new Error(`consume(${offset}) started at ${got[0]?.offset}`);
        n += got.length;
        offset = nextOffset;
      }
      return want;
    },
  },
  lookup('get', 'get by random offset', (store, i) => store.get(i)),
  lookup('get-by-key', 'getByKey, random', (store, i) => store.getByKey(keyOf(i))),
  lookup('get-by-time', 'getByTime, random', (store, i) => store.getByTime(dateOf(i))),
];

async function openAll(root: string, messages: number): Promise<Record<string, Store>> {
  const stores: Record<string, Store> = {};
  const source = new MessageSource();
  for (const name of PEERS) {
    const store = await (await loadPeer(name)).open(path.join(root, name), { autoSync: false });
    for (let i = 0; i < messages; i += 100) await store.publish(source.messages(i, Math.min(100, messages - i)));
    stores[name] = store;
  }
  return stores;
}

async function main(): Promise<void> {
  const messages = Number(process.env.BENCH_MESSAGES ?? 200_000);
  const bursts = Number(process.env.BENCH_ROUNDS ?? 12);
  const root = path.join(repoRoot, 'bench', 'data', `reads-cpu-${process.pid}`);
  const load = os.loadavg()[0];
  const stores = await openAll(root, messages);
  const figures: Figure[] = [];
  try {
    for (const op of OPS) {
      const figure: Figure = { id: op.id, label: op.label, kind: 'throughput', rounds: {} };
      for (let burst = 0; burst < bursts; burst++) {
        for (const name of burst % 2 ? [...PEERS].reverse() : PEERS) {
          const before = process.cpuUsage();
          const done = await op.run(stores[name]!, burst + 1, messages);
          const used = process.cpuUsage(before);
          (figure.rounds[name] ??= []).push(done / ((used.user + used.system) / 1e6));
        }
      }
      figures.push(figure);
    }
  } finally {
    for (const store of Object.values(stores)) await store.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
  const byId = new Map(figures.map((f) => [f.id, f]));
  const targets = [
    atLeast('consume-100', 0.8, ['raw']),
    atLeast('get', 1.5, ['lmdb']),
    atLeast('get-by-key', 1.5, ['lmdb']),
    atLeast('get-by-time', 1.5, ['lmdb']),
    atLeast('get-by-time', 0.9, ['raw']),
  ].map((target) => target(byId));
  console.log(`${messages} messages, ${bursts} bursts per store, msg/s of CPU time, best burst`);
  console.log(`\n${renderTable(figures, PEERS)}\n`);
  console.log(`Targets (CPU time, one process):\n${renderTargets(targets)}\n`);
  console.log(`load average ${load.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
}

await main();
