// A durable subscription (klevdb/streams openSubscription) that commits after
// each message, "crashes" part way (it stops and is dropped), and is opened
// again: it resumes at its committed position, so no message is handled
// twice and none is skipped. Its positions live in <offsets>/resumable/, a
// klevdb log compacted to the newest commit.
import type { BlockingLog } from '../../src/index.js';
import { openSubscription, type DurableSubscription } from '../../src/streams/index.js';
import { sleep, type ConsumerSpec } from './consumer.js';

export interface ResumableRun {
  /** Where the first life started (the committed position of an earlier run, or the run's start). */
  startedAt: number;
  /** The offsets handled before the crash, and after the restart. */
  beforeCrash: number[];
  afterRestart: number[];
  /** The committed position the restarted consumer resumed at. */
  resumedAt: number;
  /** Where it was while the other consumers were still at it. */
  position: () => number;
  done: Promise<void>;
}

/** Handles messages one at a time (each batch is one message, committed once handled) until `stopAfter` says so. */
async function handle(
  sub: DurableSubscription,
  spec: ConsumerSpec,
  offsets: number[],
  stopAfter: (offset: number) => boolean,
): Promise<void> {
  await sub.run(async (batch, signal) => {
    for (const message of batch.messages) {
      if (spec.delayMs > 0) await sleep(spec.delayMs, signal);
      offsets.push(message.offset);
      if (stopAfter(message.offset)) sub.stop(); // this message is still committed: its handler finished
    }
  });
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
  const options = { name: spec.name, offsets: offsetsDir, batchSize: 1, start: { offset: runStart } };
  run.done = (async () => {
    // First life: from its committed position, or the run's start the first time.
    let sub = await openSubscription(log, options);
    try {
      run.startedAt = sub.committed;
      run.position = () => run.beforeCrash.at(-1) ?? run.startedAt - 1;
      if (run.startedAt <= lastOffset) {
        await handle(
          sub,
          spec,
          run.beforeCrash,
          (offset) => run.beforeCrash.length === crashAfter || offset >= lastOffset,
        );
      }
    } finally {
      await sub.close(); // the crash: nothing after the last handled message is handled
    }

    // The restart: the same name, and the position it committed.
    sub = await openSubscription(log, options);
    try {
      run.resumedAt = sub.committed;
      run.position = () => run.afterRestart.at(-1) ?? run.resumedAt - 1;
      if (run.resumedAt <= lastOffset) await handle(sub, spec, run.afterRestart, (offset) => offset >= lastOffset);
    } finally {
      await sub.close();
    }
  })();
  return run;
}
