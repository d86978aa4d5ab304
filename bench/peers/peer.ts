/**
 * The one interface every store in the benchmark implements: klevdb itself,
 * its peers, and the raw ceiling. Every method returns a promise, so each side
 * pays the same promise overhead the async klevdb API pays.
 */
import type { ConsumeResult, Message } from '../../src/storage/types.js';
import type { BenchMessage } from '../workload.js';

export interface StoreOptions {
  /** Flush to disk after every publish (klevdb's autoSync). */
  autoSync: boolean;
}

export interface Store {
  /** Appends at the next offsets; resolves to the next offset. */
  publish(messages: BenchMessage[]): Promise<number>;
  consume(offset: number, maxCount: number): Promise<ConsumeResult>;
  get(offset: number): Promise<Message>;
  /** The last message with this key; rejects when there is none. */
  getByKey(key: string): Promise<Message>;
  /** The first message at or after `start`; rejects when there is none. */
  getByTime(start: Date): Promise<Message>;
  close(): Promise<void>;
}

export interface Peer {
  readonly name: string;
  /** One line for the report: what exactly was measured. */
  readonly setup: string;
  /** Opens (creating when missing) the store kept in `dir`. */
  open(dir: string, options: StoreOptions): Promise<Store>;
}

/**
 * Loaded on demand, so a quick run (`--only raw,sqlite`) never loads the
 * stores it skips, and the memory child loads only the one it measures.
 */
const loaders: Record<string, () => Promise<{ peer: Peer }>> = {
  klevdb: () => import('./klevdb.js'),
  raw: () => import('./raw.js'),
  sqlite: () => import('./sqlite.js'),
  lmdb: () => import('./lmdb.js'),
};

/** In table order: klevdb first, the ceiling next, then the peers. */
export const peerNames = Object.keys(loaders);

export async function loadPeer(name: string): Promise<Peer> {
  const load = loaders[name];
  if (!load) throw new Error(`unknown peer ${name}; known: ${peerNames.join(', ')}`);
  return (await load()).peer;
}

/** The klevdb Message shape, so every peer hands back the same objects. */
export function toMessage(offset: number, timeMicros: number, key: Buffer, value: Buffer): Message {
  return {
    offset,
    time: new Date(Math.floor(timeMicros / 1000)),
    timeMicros,
    key: key.length === 0 ? null : key,
    value: value.length === 0 ? null : value,
  };
}

/** The first index in [0, count) whose time is at or after `micros` (count when none): times rise with the offset. */
export function firstAtOrAfter(count: number, micros: number, timeAt: (index: number) => number): number {
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (timeAt(middle) < micros) low = middle + 1;
    else high = middle;
  }
  return low;
}
