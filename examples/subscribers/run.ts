// The subscribers scenario: a producer publishes sensor readings live while
// four consumers read the same log, each at its own pace: one as fast as it
// can, one slow, one only for one sensor's key, and one that crashes part
// way and resumes from the offset it stored.
import path from 'node:path';
import { openBlocking } from '../../src/index.js';
import { prepareDataDir } from '../shared/cli.js';
import { consolePrint, table, type Print } from '../shared/output.js';
import { expectedOffsets, verify, type Verdict } from './check.js';
import { consume, type ConsumerSpec } from './consumer.js';
import { produce, sensorOf } from './producer.js';
import { resumable } from './resumable.js';

export interface SubscribersOptions {
  dataDir: string;
  reset?: boolean;
  print?: Print;
  /** Readings published in this run (default 300). */
  count?: number;
  /** Time between readings (default 1 ms). */
  everyMs?: number;
}

export interface ConsumerReport extends Verdict {
  name: string;
  key?: string;
  offsets: number[];
  expected: number[];
}

export interface SubscribersResult {
  /** Offsets this run published. */
  first: number;
  last: number;
  consumers: ConsumerReport[];
  resumable: { startedAt: number; crashedAfter: number; resumedAt: number };
}

const FAST: ConsumerSpec = { name: 'fast', delayMs: 0 };
const SLOW: ConsumerSpec = { name: 'slow', delayMs: 4 };
const BY_KEY: ConsumerSpec = { name: 'by-key', delayMs: 1, key: sensorOf(1) };
const RESUMABLE: ConsumerSpec = { name: 'resumable', delayMs: 1 };

export async function run(options: SubscribersOptions): Promise<SubscribersResult> {
  const print = options.print ?? consolePrint;
  const count = options.count ?? 300;
  await prepareDataDir(options.dataDir, options.reset ?? false);
  const log = await openBlocking(path.join(options.dataDir, 'readings'), { createDirs: true, keyIndex: true });
  try {
    const first = await log.nextOffset();
    const last = first + count - 1;
    // The last offset each key filter will see: the readings' schedule is fixed.
    const lastOf = (key: string) => first + [...Array(count).keys()].filter((i) => sensorOf(i) === key).at(-1)!;
    print(
      `subscribers: ${count} readings published live at offsets ${first}..${last} of ${path.join(options.dataDir, 'readings')}`,
    );

    const fast = consume(log, FAST, first, last);
    const slow = consume(log, SLOW, first, last);
    const byKey = consume(log, BY_KEY, first, lastOf(BY_KEY.key!));
    const again = resumable(
      log,
      path.join(options.dataDir, 'offsets'),
      RESUMABLE,
      first,
      last,
      Math.floor((count * 2) / 5),
    );

    await produce(log, count, options.everyMs ?? 1);
    const at = (name: string, position: number) => `${name} at ${position}`;
    print(
      `producer done at offset ${last}: ` +
        [
          at('fast', fast.position()),
          at('by-key', byKey.position()),
          at('resumable', again.position()),
          at('slow', slow.position()),
        ].join(', '),
    );
    await Promise.all([fast.done, slow.done, byKey.done, again.done]);
    const crashedAt = again.beforeCrash.at(-1);
    print(
      `resumable crashed after ${again.beforeCrash.length} messages` +
        (crashedAt === undefined ? '' : ` (last: offset ${crashedAt})`) +
        `, restarted from its stored offset ${again.resumedAt}`,
    );

    const report = async (
      spec: ConsumerSpec,
      offsets: number[],
      from: number,
      lastOffset: number,
    ): Promise<ConsumerReport> => {
      const expected = await expectedOffsets(log, from, lastOffset, spec.key);
      return { name: spec.name, key: spec.key, offsets, expected, ...verify(offsets, expected) };
    };
    const consumers = [
      await report(FAST, fast.offsets, first, last),
      await report(SLOW, slow.offsets, first, last),
      await report(BY_KEY, byKey.offsets, first, lastOf(BY_KEY.key!)),
      await report(RESUMABLE, [...again.beforeCrash, ...again.afterRestart], again.startedAt, last),
    ];
    const specs = [FAST, SLOW, BY_KEY, RESUMABLE];
    const rows = consumers.map((c, i) => [
      c.name,
      specs[i]!.delayMs === 0 ? 'no delay' : `${specs[i]!.delayMs} ms/msg`,
      c.key ?? 'all',
      c.offsets.length,
      c.offsets.length === 0 ? '-' : `${c.offsets[0]}..${c.offsets.at(-1)}`,
      c.inOrder ? 'yes' : 'NO',
      c.missing,
      c.duplicates,
    ]);
    for (const line of table([
      ['consumer', 'pace', 'key', 'messages', 'offsets', 'in order', 'missing', 'duplicates'],
      ...rows,
    ]))
      print(line);
    return {
      first,
      last,
      consumers,
      resumable: { startedAt: again.startedAt, crashedAfter: again.beforeCrash.length, resumedAt: again.resumedAt },
    };
  } finally {
    await log.close();
  }
}
