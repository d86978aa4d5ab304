// Background compaction of the state log, concurrent with the runner: every
// live key keeps its newest state, tombstones go, and the checkpoint record
// (the newest of its key) survives, so a restart resumes instead of replaying.
import { expect } from 'chai';
import { isLogError } from '../../src/index.js';
import { CHECKPOINT_KEY } from '../../src/projections/records.js';
import { caught } from '../helpers/errors.js';
import type { ProjectionBackend } from './projection-backends.js';
import { counterProjection, eventually, foldCounters, publishCounterEvents } from '../projections/fixtures/counter.js';

const workload = { keys: 40, resetEvery: 9 };

export function projectionsCompactionContract(h: ProjectionBackend): void {
  describe('compaction', function () {
    this.timeout(60_000);

    it('compacts on its schedule while the runner commits, keeping every live key and the checkpoint', async () => {
      const source = await h.source(2000, workload);
      const runner = h.runner();
      const projection = runner.add(counterProjection(source), {
        commit: { maxEvents: 50 },
        batchSize: 50,
        compaction: { everyMs: 5, backoffMs: 1 },
      });
      await runner.start();
      // Live writes while compaction keeps running: commits and segment rewrites interleave.
      for (let i = 0; i < 40; i++) {
        await publishCounterEvents(source, 2000 + i * 50, 50, workload, 10);
        await new Promise((r) => setTimeout(r, 2));
      }
      await eventually(async () => (await projection.status()).checkpoint === 4000);
      const expected = await foldCounters(source);
      expect((await projection.snapshot()).states).to.deep.equal(expected);
      expect(await projection.getMany([...expected.keys()])).to.deep.equal(expected);
      await projection.compact();
      const checkpoint = (await projection.status()).checkpoint;
      await runner.close();

      const log = await h.stateLog('counters', 1);
      const stats = await log.stat();
      // After a full compaction: one record per live key, and the checkpoint; no tombstone, no older state.
      expect(stats.messages).to.equal(expected.size + 1);
      expect(JSON.parse((await log.getByKey(CHECKPOINT_KEY)).value!.toString())).to.include({ next: checkpoint });
      const dead = [...Array(workload.keys).keys()].map((i) => `c${i}`).filter((k) => !expected.has(k));
      expect(dead.length, 'the workload leaves some keys deleted').to.be.greaterThan(0);
      for (const key of dead)
        expect(isLogError(await caught(() => log.getByKey(key)), 'ERR_NOT_FOUND'), key).to.equal(true);
      await log.close();

      // The checkpoint survived: the restart resumes there and replays nothing.
      const again = h.runner().add(counterProjection(source), { compaction: { everyMs: 5 } });
      await again.open();
      expect((await again.status()).checkpoint).to.equal(4000);
      await publishCounterEvents(source, 4000, 300, workload);
      await again.start();
      await again.whenRunning();
      expect((await again.snapshot()).states).to.deep.equal(await foldCounters(source));
    });

    it('leaves records younger than ageMs alone', async () => {
      const source = await h.source(500, { keys: 5 });
      const runner = h.runner();
      const projection = runner.add(counterProjection(source), {
        commit: { maxEvents: 10 },
        batchSize: 10,
        compaction: { everyMs: 5, ageMs: 60_000 },
      });
      await runner.start();
      await runner.whenRunning();
      await new Promise((r) => setTimeout(r, 50));
      await runner.close();
      const log = await h.stateLog('counters', 1);
      // 50 commits of up to 5 states and a checkpoint: none is old enough to go.
      expect((await log.stat()).messages).to.be.greaterThan(100);
      expect(projection.state).to.equal('stopped');
    });
  });
}
