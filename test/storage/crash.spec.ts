// Crash safety: a writer in a child process (test/helpers/crash-child.ts)
// publishes with autoSync, deletes and compacts on a tiny rollover, and is
// SIGKILLed at random moments, or right as a delete starts. After each kill
// the directory is opened with recover: true and must hold every
// acknowledged message that was not deleted, byte for byte, no deleted
// message, no offset twice, a next offset past everything ever acknowledged,
// and pass check. A delete the kill interrupted is all or nothing.
// The children also delete the newest message with others of its head left
// (newest: true): a kill there must not roll the next offset back. Killed in
// the middle of a whole-log compaction (compactUpdatesMulti, which renames
// the segments it empties and unlinks them later), the log holds every
// message the compaction keeps, and none that a finished one removed.
import { expect } from 'chai';
import { reportFigure } from '../helpers/figures.js';
import { BASE_SEED, Expectation, runTrials, seedLog, TRIALS } from '../helpers/crash-parent.js';
import type { KillPlan } from '../helpers/crash-parent.js';
import type { CrashConfig } from '../helpers/crash-workload.js';
import { useTempDirs } from '../helpers/fs.js';

describe('crash safety (SIGKILL of a writer with autoSync)', function () {
  this.timeout(60_000 * TRIALS);
  const tempDir = useTempDirs('klevdb-crash-');

  const mixed: { name: string; config: Omit<CrashConfig, 'seed'>; trials: number }[] = [
    {
      name: 'V2, key+time index',
      config: { keyIndex: true, timeIndex: true, rollover: 1500, version: 'V2', mode: 'mixed', newest: true },
      trials: 9,
    },
    {
      name: 'V1, no index',
      config: { keyIndex: false, timeIndex: false, rollover: 1000, version: 'V1', mode: 'mixed', newest: true },
      trials: 6,
    },
  ];
  for (const [c, chain] of mixed.entries()) {
    it(`random kills while publishing, deleting and compacting: ${chain.name} (${chain.trials * TRIALS} trials)`, async function () {
      const model = new Expectation();
      const plan = (rand: () => number): KillPlan => ({ afterMs: 40 + Math.floor(rand() * 300) });
      await runTrials(await tempDir(), chain.config, chain.trials * TRIALS, BASE_SEED + c, plan, model);
      expect(model.present.size + model.deleted.size, 'the children published').to.be.greaterThan(20);
      expect(model.deleted.size, 'the children deleted').to.be.greaterThan(0);
      reportFigure(
        'crash',
        `SIGKILL trials while publishing, deleting and compacting (${chain.name})`,
        chain.trials * TRIALS,
      );
      reportFigure('crash', 'acknowledged offsets checked after the kills', model.present.size + model.deleted.size);
    });
  }

  const deletes: { name: string; config: Omit<CrashConfig, 'seed'>; trials: number }[] = [
    {
      name: 'V2, key+time index',
      config: { keyIndex: true, timeIndex: true, rollover: 1500, version: 'V2', mode: 'deletes', newest: true },
      trials: 10,
    },
    {
      name: 'V1, key index',
      config: { keyIndex: true, timeIndex: false, rollover: 1000, version: 'V1', mode: 'deletes', newest: true },
      trials: 6,
    },
  ];
  for (const [c, chain] of deletes.entries()) {
    it(`kills in the middle of a delete leave the old or the new segment, never both or neither: ${chain.name}`, async function () {
      const dir = await tempDir();
      const model = new Expectation();
      await seedLog(dir, { ...chain.config, seed: 0 }, 60, model);
      // Right away, or a few ms later: a rewrite with its fsyncs takes milliseconds.
      const plan = (rand: () => number): KillPlan => ({
        onDeleting: 1 + Math.floor(rand() * 4),
        delayMs: rand() < 0.25 ? 0 : Math.floor(rand() * 15),
      });
      const planned = chain.trials * TRIALS;
      const need = Math.floor(planned / 4) + 1;
      const ran = await runUntilLanded(dir, chain.config, planned, need, BASE_SEED + 10 + c, plan, model);
      expect(model.interrupted.length, 'kills landed while a delete was announced').to.be.at.least(need);
      reportFigure('crash', `SIGKILL trials in the middle of a delete (${chain.name})`, ran);
      reportFigure('crash', 'kills that landed while a delete was under way', model.interrupted.length);
    });
  }

  const compactions: { name: string; config: Omit<CrashConfig, 'seed'>; trials: number }[] = [
    {
      name: 'V2, key+time index',
      config: { keyIndex: true, timeIndex: true, rollover: 600, version: 'V2', mode: 'compactions', newest: false },
      trials: 8,
    },
    {
      name: 'V1, no index',
      config: { keyIndex: false, timeIndex: false, rollover: 500, version: 'V1', mode: 'compactions', newest: false },
      trials: 5,
    },
  ];
  for (const [c, chain] of compactions.entries()) {
    it(`kills in the middle of a whole-log compaction keep every message it keeps, and what it removed stays removed: ${chain.name}`, async function () {
      const dir = await tempDir();
      const model = new Expectation();
      // Many sealed segments, all but the newest few emptied by the first compaction.
      await seedLog(dir, { ...chain.config, seed: 0 }, 400, model);
      const plan = (rand: () => number): KillPlan => ({
        onDeleting: 1 + Math.floor(rand() * 2),
        delayMs: rand() < 0.25 ? 0 : Math.floor(rand() * 12),
      });
      const planned = chain.trials * TRIALS;
      const need = Math.floor(planned / 3) + 1;
      const ran = await runUntilLanded(dir, chain.config, planned, need, BASE_SEED + 20 + c, plan, model);
      expect(model.interrupted.length, 'kills landed while a compaction was announced').to.be.at.least(need);
      reportFigure('crash', `SIGKILL trials in the middle of a whole-log compaction (${chain.name})`, ran);
      reportFigure('crash', 'kills that landed while a compaction was under way', model.interrupted.length);
    });
  }
});

/**
 * Whether a kill lands inside a rewrite is up to timing (a fast rewrite can finish within the planned delay): runs
 * the planned trials, then more, up to three times as many, until `need` kills landed while one was announced.
 * Returns how many trials ran; the caller still asserts that enough landed.
 */
async function runUntilLanded(
  dir: string,
  config: Omit<CrashConfig, 'seed'>,
  planned: number,
  need: number,
  seed: number,
  plan: (rand: () => number) => KillPlan,
  model: Expectation,
): Promise<number> {
  let ran = 0;
  for (let round = 0; ran < planned || (model.interrupted.length < need && ran < planned * 3); round++) {
    const n = round === 0 ? planned : Math.ceil(planned / 2);
    await runTrials(dir, config, n, seed + 1000 * round, plan, model);
    ran += n;
  }
  return ran;
}
