/**
 * klevdb's own benchmark workload: 10-byte keys formatted `%10d`, 128-byte
 * values, 1 MiB rollover. Every peer is fed these exact bytes and asked the
 * exact same random questions, so the figures differ only by the store.
 */

export const KEY_BYTES = 10;
export const VALUE_BYTES = 128;
export const ROLLOVER_BYTES = 1 << 20;

/** A fixed start keeps datasets identical from run to run. */
export const BASE_TIME_MICROS = Date.UTC(2026, 0, 1) * 1000;
/**
 * One message per millisecond: getByTime takes a Date (milliseconds), so a
 * random millisecond then names exactly one message and every answer can be
 * checked.
 */
export const TIME_STEP_MICROS = 1000;

/** What a peer is asked to publish; structurally a klevdb PublishMessage. */
export interface BenchMessage {
  key: Buffer;
  value: Buffer;
  timeMicros: number;
}

/** Go's `fmt.Sprintf("%10d", i)`: right-aligned, space-padded. */
export function keyOf(index: number): string {
  return String(index).padStart(KEY_BYTES, ' ');
}

export function timeMicrosOf(index: number): number {
  return BASE_TIME_MICROS + index * TIME_STEP_MICROS;
}

export function dateOf(index: number): Date {
  return new Date(timeMicrosOf(index) / 1000);
}

/** mulberry32: tiny, fast and good enough to spread lookups evenly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` message indexes in [0, limit), the same for every peer given the same seed. */
export function randomIndexes(count: number, limit: number, seed: number): Uint32Array {
  const next = seededRandom(seed);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.floor(next() * limit);
  return out;
}

const VALUE_POOL_SIZE = 256;

/**
 * Builds messages in chunks outside the timed sections. Values cycle through
 * a pool of random 128-byte buffers: the stores neither compress nor
 * deduplicate, so reuse costs them nothing it would not cost with fresh bytes.
 */
export class MessageSource {
  private readonly values: Buffer[] = [];

  constructor(seed = 42) {
    const next = seededRandom(seed);
    for (let i = 0; i < VALUE_POOL_SIZE; i++) {
      const value = Buffer.allocUnsafe(VALUE_BYTES);
      for (let j = 0; j < VALUE_BYTES; j++) value[j] = Math.floor(next() * 256);
      this.values.push(value);
    }
  }

  /**
   * Messages `start` .. `start + count - 1`, keys sliced from one allocation.
   * With `keySpace`, message i has key i % keySpace (a log of updates to
   * keySpace keys, for compaction); without, every key is distinct.
   */
  messages(start: number, count: number, keySpace?: number): BenchMessage[] {
    const keys = Buffer.allocUnsafe(count * KEY_BYTES);
    const out = new Array<BenchMessage>(count);
    for (let i = 0; i < count; i++) {
      const index = start + i;
      const key = keys.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES);
      key.write(keyOf(keySpace === undefined ? index : index % keySpace), 'latin1');
      out[i] = { key, value: this.values[index % VALUE_POOL_SIZE], timeMicros: timeMicrosOf(index) };
    }
    return out;
  }
}
