// A consumer that commits its offset after each message, "crashes" part way
// (its subscription and its offset store are dropped), and is restarted from
// the offset it stored: no message is handled twice, none is skipped.
import type { BlockingLog } from '../../src/index.js';
import { consume, type ConsumerSpec } from './consumer.js';
import { OffsetStore } from './offset-store.js';

export interface ResumableRun {
  /** Where the first life started (the stored offset of an earlier run, or the run's start). */
  startedAt: number;
  /** The offsets handled before the crash, and after the restart. */
  beforeCrash: number[];
  afterRestart: number[];
  /** The offset the restarted consumer loaded from the store. */
  resumedAt: number;
  /** Where it was while the other consumers were still at it. */
  position: () => number;
  done: Promise<void>;
}

export function resumable(
  log: BlockingLog,
  offsetsDir: string,
  spec: ConsumerSpec,
  runStart: number,
  lastOffset: number,
  crashAfter: number,
): ResumableRun {
  const run: ResumableRun = {
    startedAt: runStart,
    beforeCrash: [],
    afterRestart: [],
    resumedAt: runStart,
    position: () => runStart - 1,
    done: Promise.resolve(),
  };
  run.done = (async () => {
    // First life.
    let store = await OffsetStore.open(offsetsDir);
    run.startedAt = (await store.load(spec.name)) ?? runStart;
    let handled = 0;
    const first = consume(log, spec, run.startedAt, lastOffset, async (message) => {
      await store.commit(spec.name, message.offset + 1);
      if (++handled === crashAfter) first.stop(); // the crash: nothing after this message is handled
    });
    run.beforeCrash = first.offsets;
    run.position = first.position;
    await first.done;
    await store.close();

    // The restart: a new store over the same directory, and the offset it holds.
    store = await OffsetStore.open(offsetsDir);
    try {
      run.resumedAt = (await store.load(spec.name)) ?? runStart;
      const second = consume(log, spec, run.resumedAt, lastOffset, (message) => store.commit(spec.name, message.offset + 1));
      run.afterRestart = second.offsets;
      run.position = second.position;
      await second.done;
    } finally {
      await store.close();
    }
  })();
  return run;
}
