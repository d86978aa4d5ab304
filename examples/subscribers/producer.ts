// The producer: sensor readings from an RxJS timer, published through the
// toLog sink, which batches whatever arrives within a few milliseconds.
import { interval, lastValueFrom, map, take } from 'rxjs';
import type { BlockingLog, PublishMessage } from '../../src/index.js';
import { toLog } from '../../src/streams/index.js';

export const SENSORS = ['sensor-a', 'sensor-b', 'sensor-c'] as const;

/** Reading `i` of a run comes from this sensor: the schedule is fixed, so consumers know what to expect. */
export const sensorOf = (i: number): string => SENSORS[i % SENSORS.length]!;

export interface Reading {
  sensor: string;
  /** Index of the reading within its run. */
  seq: number;
  celsius: number;
}

export function reading(i: number): Reading {
  return { sensor: sensorOf(i), seq: i, celsius: Math.round((20 + 5 * Math.sin(i / 10)) * 10) / 10 };
}

/** Publishes `count` readings, one every `everyMs`; resolves with the offset of the last one. */
export function produce(log: BlockingLog, count: number, everyMs: number): Promise<number> {
  return lastValueFrom(
    interval(everyMs).pipe(
      take(count),
      map((i): PublishMessage => ({ key: sensorOf(i), value: JSON.stringify(reading(i)) })),
      toLog(log, { maxWait: 5 }),
    ),
  );
}
