// Crash consistency: a runner killed (SIGKILL) at random points — while
// catching up, committing, compacting, rebuilding or recovering — leaves a
// state that is exactly the fold of the source up to its checkpoint, and a
// restart ends with exactly the state of a clean run.
import { expect } from 'chai';
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBlocking } from '../../src/storage/blocking.js';
import type { BlockingLog } from '../../src/storage/types.js';
import { ProjectionRunner } from '../../src/projections/index.js';
import { counterProjection, foldCounters, publishCounterEvents, type Counter } from './fixtures/counter.js';
import { useHarness } from './fixtures/harness.js';
import { reportFigure } from '../helpers/figures.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'crash-child.js');
/** More for a longer hunt (npm run torture sets it). */
const TRIALS = Number(process.env.KLEVDB_PROJECTION_CRASH_TRIALS ?? 20);
const EVENTS = 8000;
/** Appended before each trial: every child has catching up to do. */
const MORE = 2000;
const workload = { keys: 300, resetEvery: 23, noteEvery: 11 };
const options = { commit: { maxEvents: 200 }, batchSize: 100 };

/**
 * Forks the child and kills it at a random moment within `spanMs` after it
 * is alive; resolves with how long it then took to catch up, when it did before.
 */
async function killChild(dir: string, mode: 'run' | 'rebuild', spanMs: number): Promise<number | undefined> {
  const child = fork(CHILD, [dir, mode], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  let alive = 0;
  let caughtUpAfter: number | undefined;
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m) => {
      if (m !== 'alive') caughtUpAfter = Date.now() - alive;
      else if ((alive = Date.now())) resolve();
    });
    void exited.then((how) => reject(new Error(`the child exited (${how}) before it was alive: ${stderr}`)));
  });
  await new Promise((r) => setTimeout(r, Math.random() * spanMs));
  child.kill('SIGKILL');
  const how = await exited;
  expect(how, `the child died before it was killed: ${stderr}`).to.equal('SIGKILL');
  return caughtUpAfter;
}

/** What the state directory holds after a crash, as a restart opens it (recovering it). */
async function committed(
  stateDir: string,
  source: BlockingLog,
): Promise<{ next: number; states: Map<string, Counter> }> {
  const runner = new ProjectionRunner({ dir: stateDir });
  try {
    const projection = runner.add(counterProjection(source), options);
    const { checkpoint, states } = await projection.snapshot();
    return { next: checkpoint?.next ?? 0, states };
  } finally {
    await runner.close();
  }
}

describe('projections: crash consistency', function () {
  this.timeout(600_000);
  const h = useHarness();

  it(`restarts after ${TRIALS} SIGKILLs at random points into exactly the state of a clean run`, async () => {
    const append = async (from: number, count: number) => {
      // The writer needs the directory to itself, so no source is open between trials.
      const writer = await openBlocking(path.join(h.dir, 'source'), { createDirs: true });
      await publishCounterEvents(writer, from, count, workload, 500);
      await writer.close();
    };
    const readSource = async <T>(read: (source: BlockingLog) => Promise<T>): Promise<T> => {
      const source = await openBlocking(path.join(h.dir, 'source'), { readonly: true });
      try {
        return await read(source);
      } finally {
        await source.close();
      }
    };
    await append(0, EVENTS);

    const stateDir = path.join(h.dir, 'state');
    const seen: Array<{ next: number; head: number }> = [];
    // How long a child takes to catch up, as last seen: kills are spread over that (or longer, for rebuilds).
    let catchUpMs = 300;
    for (let trial = 0; trial < TRIALS; trial++) {
      await append(EVENTS + trial * MORE, MORE);
      // Every fourth child rebuilds once caught up: kills land in rebuilds and switches too.
      const rebuild = trial % 4 === 3;
      const took = await killChild(h.dir, rebuild ? 'rebuild' : 'run', catchUpMs * (rebuild ? 3 : 1.2));
      // A child killed before it caught up says only that catching up takes longer (a loaded
      // machine): spread the next kills wider, or no child ever gets past the first events.
      if (!rebuild) catchUpMs = took !== undefined ? Math.max(20, took) : Math.min(catchUpMs * 1.5, 30_000);
      // Every other crash is checked (and so recovered) here; the others are recovered by the next child.
      if (trial % 2 === 1) continue;
      await readSource(async (source) => {
        const { next, states } = await committed(stateDir, source);
        expect(states, `trial ${trial}: the state is the fold of the source before ${next}`).to.deep.equal(
          await foldCounters(source, next),
        );
        seen.push({ next, head: await source.nextOffset() });
      });
    }
    const report = seen.map((s) => `${s.next}/${s.head}`).join(', ');
    expect(
      seen.some((s) => s.next > 0 && s.next < s.head),
      `kills landed mid catch-up (${report})`,
    ).to.equal(true);
    expect(
      seen.some((s) => s.next > EVENTS),
      `children got past the first events (${report})`,
    ).to.equal(true);

    const source = await openBlocking(path.join(h.dir, 'source'), { readonly: true });
    h.defer(() => source.close());
    const reference = await foldCounters(source);
    const runner = h.runner({ dir: stateDir });
    const projection = runner.add(counterProjection(source), options);
    await projection.start();
    await projection.whenRunning();
    expect((await projection.snapshot()).states).to.deep.equal(reference);

    // And a clean run, in a fresh directory, gives that same state.
    const clean = h.runner({ dir: path.join(h.dir, 'clean') }).add(counterProjection(source), options);
    await clean.start();
    await clean.whenRunning();
    expect((await clean.snapshot()).states).to.deep.equal((await projection.snapshot()).states);
    reportFigure(
      'crash',
      'SIGKILLs of a projection runner (catching up, committing, rebuilding, recovering), each restart checked against the fold',
      TRIALS,
    );
  });
});
