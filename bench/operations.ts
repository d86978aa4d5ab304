/**
 * The measured operations. Each is one entry in `operations`: to add one
 * (stream latency, compaction, ...), append an entry; run.ts measures it on
 * every peer, in rounds, and reports it. Only the store calls are timed:
 * messages and lookup arguments are built before the clock starts.
 */
import type { Message } from '../src/storage/types.js';
import type { Store, StoreOptions } from './peers/peer.js';
import { type BenchMessage, MessageSource, dateOf, keyOf, randomIndexes } from './workload.js';

export interface Measurement {
  messages: number;
  seconds: number;
}

/** How much each operation does; run.ts derives it from BENCH_MESSAGES. */
export interface Sizes {
  /** Messages in the shared dataset every read operation runs on. */
  dataset: number;
  publishOne: number;
  publishHundred: number;
  publishSynced: number;
  consumeOne: number;
  lookups: number;
}

export interface RunContext {
  sizes: Sizes;
  source: MessageSource;
  /** Differs per round, is the same for every peer within a round. */
  seed: number;
}

export interface Operation {
  id: string;
  label: string;
  /**
   * `fresh`: every round gets a new empty store, opened with `options` and
   * deleted afterwards. `dataset`: the shared store of `sizes.dataset` messages.
   */
  store: 'fresh' | 'dataset';
  options?: StoreOptions;
  run(store: Store, context: RunContext): Promise<Measurement>;
}

/** Big enough to hide the clock reads, small enough not to hold the whole dataset. */
const CHUNK_MESSAGES = 10_000;

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function batches(messages: BenchMessage[], size: number): BenchMessage[][] {
  const out: BenchMessage[][] = [];
  for (let i = 0; i < messages.length; i += size) out.push(messages.slice(i, i + size));
  return out;
}

export async function publishAll(
  store: Store,
  source: MessageSource,
  total: number,
  batchSize: number,
): Promise<Measurement> {
  let seconds = 0;
  for (let start = 0; start < total; start += CHUNK_MESSAGES) {
    const chunk = batches(source.messages(start, Math.min(CHUNK_MESSAGES, total - start)), batchSize);
    const began = process.hrtime.bigint();
    for (const batch of chunk) await store.publish(batch);
    seconds += secondsSince(began);
  }
  return { messages: total, seconds };
}

export async function consumeAll(store: Store, total: number, batchSize: number): Promise<Measurement> {
  const began = process.hrtime.bigint();
  let offset = 0;
  while (offset < total) {
    const { nextOffset, messages } = await store.consume(offset, Math.min(batchSize, total - offset));
    if (messages.length === 0 || messages[0].offset !== offset) {
      throw new Error(`consume(${offset}) returned ${messages.length} messages starting at ${messages[0]?.offset}`);
    }
    offset = nextOffset;
  }
  return { messages: total, seconds: secondsSince(began) };
}

function publish(
  id: string,
  label: string,
  batchSize: number,
  count: (sizes: Sizes) => number,
  autoSync = false,
): Operation {
  return {
    id,
    label,
    store: 'fresh',
    options: { autoSync },
    run: (store, { sizes, source }) => publishAll(store, source, count(sizes), batchSize),
  };
}

function consume(id: string, label: string, batchSize: number, count: (sizes: Sizes) => number): Operation {
  return { id, label, store: 'dataset', run: (store, { sizes }) => consumeAll(store, count(sizes), batchSize) };
}

/** Random single-message reads; every answer is checked against the offset it must have. */
function lookup<A>(
  id: string,
  label: string,
  argument: (index: number) => A,
  call: (store: Store, argument: A) => Promise<Message>,
): Operation {
  return {
    id,
    label,
    store: 'dataset',
    async run(store, { sizes, seed }) {
      const indexes = randomIndexes(sizes.lookups, sizes.dataset, seed);
      const args = Array.from(indexes, argument);
      const began = process.hrtime.bigint();
      for (let i = 0; i < args.length; i++) {
        const message = await call(store, args[i]);
        if (message.offset !== indexes[i])
          throw new Error(`${id}: expected offset ${indexes[i]}, got ${message.offset}`);
      }
      return { messages: args.length, seconds: secondsSince(began) };
    },
  };
}

export const operations: Operation[] = [
  publish('publish-1', 'publish, batch 1', 1, (s) => s.publishOne),
  publish('publish-100', 'publish, batch 100', 100, (s) => s.publishHundred),
  publish('publish-100-sync', 'publish, batch 100, autoSync', 100, (s) => s.publishSynced, true),
  consume('consume-1', 'consume, batch 1', 1, (s) => s.consumeOne),
  consume('consume-100', 'consume, batch 100 (CRC-verified)', 100, (s) => s.dataset),
  lookup(
    'get',
    'get by random offset',
    (i) => i,
    (store, offset) => store.get(offset),
  ),
  lookup('get-by-key', 'getByKey, random', keyOf, (store, key) => store.getByKey(key)),
  lookup('get-by-time', 'getByTime, random', dateOf, (store, start) => store.getByTime(start)),
];
