// The messages the interop suite writes through both libraries: empty and
// null keys and values, tombstones, repeated keys, unicode (combining and
// precomposed, NUL, newline), binary bytes, sub-millisecond, equal,
// decreasing, negative and epoch times, in batches that cross a small
// rollover. The last batches go up in time, so the head segment's index time
// chain is the one a rebuild computes and Go's Check (head only) passes.
import { V1, V2 } from '../../src/index.js';
import type { Options, PublishMessage } from '../../src/index.js';

export const ROLLOVER = 256;
export const CORPUS_T = Date.UTC(2025, 5, 1) * 1000;
const T = CORPUS_T;

const binary = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (seed * 31 + i * 97) & 0xff));

export function corpusBatches(): PublishMessage[][] {
  return [
    [
      { key: '', value: '', timeMicros: T + 500 },
      { key: null, value: null, timeMicros: -1_500_250 },
      { key: 'k', value: 'v', timeMicros: T + 499 },
      { key: 'k', value: 'v2', timeMicros: T + 499 },
    ],
    [
      { key: 'ключ-🔑', value: 'e\u0301 é', timeMicros: 0 },
      { key: 'nul\u0000key', value: 'line\nbreak\u0000end', timeMicros: T + 1 },
      { key: 'k', value: null, timeMicros: T + 2 },
    ],
    [{ key: binary(40, 1), value: binary(200, 2), timeMicros: -1 }],
    [
      { key: 'k', value: 'back', timeMicros: T + 3_000 },
      { key: null, value: 'no key', timeMicros: T + 3_001 },
      { key: 'tomb', value: null, timeMicros: T + 3_002 },
    ],
    Array.from({ length: 6 }, (_, i) => ({ key: `key-${i % 3}`, value: `value ${i} ${'x'.repeat(i * 9)}`, timeMicros: T + 10_000 + i * 1_001 })),
    [{ key: 'last', value: binary(64, 3), timeMicros: T + 50_000 }],
  ];
}

export interface Combination {
  name: string;
  opts: Options;
}

/** V1 and V2, each with the key and time indexes on and off. */
export const COMBINATIONS: Combination[] = [V1, V2].flatMap((version) =>
  [false, true].flatMap((keyIndex) =>
    [false, true].map((timeIndex) => ({
      name: `${version.name}${keyIndex ? ' keys' : ''}${timeIndex ? ' times' : ''}${keyIndex || timeIndex ? '' : ' no indexes'}`,
      opts: { keyIndex, timeIndex, rollover: ROLLOVER, version: { newSegmentsVersion: version } },
    })),
  ),
);
