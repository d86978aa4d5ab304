// What a projection does with the state it finds when it opens: a publish
// torn by a crash is rolled back to the newest checkpoint; a checkpoint that
// cannot be trusted means the state is dropped and rebuilt, never guessed at.
import { expect } from 'chai';
import { isLogError, type BlockingLog } from '../../src/index.js';
import { CHECKPOINT_KEY } from '../../src/projections/records.js';
import { caught } from '../helpers/errors.js';
import type { ProjectionBackend } from './projection-backends.js';
import { counterProjection, foldCounters } from '../projections/fixtures/counter.js';

export const workload = { keys: 25, resetEvery: 11 };

/** Runs of the counter projection that leave state behind, and the run that opens it again. */
export function recoveryRuns(h: ProjectionBackend) {
  /** Runs the counter projection over `source` to its end, in commits of 100 events, then closes it. */
  async function runOnce(source: BlockingLog, version = 1): Promise<number> {
    const runner = h.runner();
    const projection = runner.add(counterProjection(source, { version }), {
      commit: { maxEvents: 100 },
      batchSize: 100,
    });
    await runner.start();
    await runner.whenRunning();
    const { checkpoint } = await projection.status();
    await runner.close();
    return checkpoint;
  }

  /** Opens the projection again, runs it to the end, and checks it against the reference fold. */
  async function reopen(source: BlockingLog, version = 1) {
    const projection = h.runner().add(counterProjection(source, { version }));
    await projection.open();
    const opened = await projection.status();
    await projection.start();
    await projection.whenRunning();
    expect((await projection.snapshot()).states).to.deep.equal(await foldCounters(source));
    return { projection, opened };
  }

  return { runOnce, reopen };
}

export function projectionsRecoveryContract(h: ProjectionBackend): void {
  describe('recovery of the stored state', function () {
    this.timeout(60_000);
    const { runOnce, reopen } = recoveryRuns(h);

    it('rolls back state records published after the newest checkpoint (a torn publish)', async () => {
      const source = await h.source(1000, workload);
      const checkpoint = await runOnce(source);
      const state = await h.stateLog('counters', 1);
      const torn = await state.publish([{ key: 'c1', value: '{"o":999,"s":{"count":-1,"sum":0,"chain":0}}' }]);
      await state.close();
      const { projection, opened } = await reopen(source);
      expect(opened.checkpoint).to.equal(checkpoint);
      expect(projection.resetReason).to.equal(undefined);
      await projection.stop();
      await projection.close();
      const after = await h.stateLog('counters', 1);
      expect(isLogError(await caught(() => after.get(torn - 1)), 'ERR_NOT_FOUND'), 'the torn record is gone').to.equal(
        true,
      );
    });

    it('rebuilds when the checkpoint is past the end of the source (another source)', async () => {
      const source = await h.source(1000, workload);
      await runOnce(source);
      const shorter = await h.source(300, { keys: 7 });
      const { projection } = await reopen(shorter);
      expect(projection.resetReason).to.match(/past the end of the source/);
      expect((await projection.status()).generation).to.equal(2);
    });

    it("rebuilds when the state was written by another version of the projection's definition", async () => {
      const source = await h.source(500, workload);
      await runOnce(source, 1);
      const { projection } = await reopen(source, 2);
      expect(projection.resetReason).to.match(/version 1 .* version 2/);
    });

    it('rebuilds when the checkpoint record cannot be read', async () => {
      const source = await h.source(500, workload);
      await runOnce(source);
      const state = await h.stateLog('counters', 1);
      await state.publish([{ key: CHECKPOINT_KEY, value: 'not a checkpoint' }]);
      await state.close();
      const { projection } = await reopen(source);
      expect(projection.resetReason).to.match(/not JSON/);
    });

    it('rebuilds when a checkpoint record sits at another offset than it says', async () => {
      const source = await h.source(500, workload);
      await runOnce(source);
      const state = await h.stateLog('counters', 1);
      const last = JSON.parse((await state.getByKey(CHECKPOINT_KEY)).value!.toString()) as object;
      await state.publish([{ key: CHECKPOINT_KEY, value: JSON.stringify(last) }]);
      await state.close();
      const { projection } = await reopen(source);
      expect(projection.resetReason).to.match(/says it is at offset/);
    });

    it('starts afresh when the generation pointer is unreadable', async () => {
      const source = await h.source(500, workload);
      await runOnce(source);
      await h.spoilPointer('counters');
      const { opened } = await reopen(source);
      expect(opened.checkpoint, 'nothing of the old state is used').to.equal(-1);
      expect(opened.generation).to.equal(2);
      expect(await h.stored('counters')).to.deep.equal({ current: 2, generations: [2] });
    });
  });
}
