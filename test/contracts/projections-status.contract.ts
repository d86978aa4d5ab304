// Status: checkpoint, source head, lag in events and in seconds, events/s.
import { expect } from 'chai';
import type { ProjectionBackend } from './projection-backends.js';
import { counterProjection, eventually } from '../projections/fixtures/counter.js';

const event = (i: number, time: Date) => ({
  key: `c${i % 3}`,
  value: JSON.stringify({ type: 'add', id: `c${i % 3}`, n: i }),
  time,
});

export function projectionsStatusContract(h: ProjectionBackend): void {
  describe('status and lag', function () {
    this.timeout(60_000);

    it('reports lag in events and seconds behind the source, and the rate of events', async () => {
      const source = await h.source(0, { keys: 1 });
      const minuteAgo = new Date(Date.now() - 60_000);
      await source.publish(Array.from({ length: 100 }, (_, i) => event(i, minuteAgo)));
      const projection = h.runner().add(counterProjection(source));
      await projection.start();
      await projection.whenRunning();
      const caughtUp = await projection.status();
      expect(caughtUp).to.include({
        name: 'counters',
        state: 'running',
        checkpoint: 100,
        sourceHead: 100,
        lagEvents: 0,
        lagSeconds: 0,
        generation: 1,
      });
      expect(caughtUp.eventsPerSecond).to.be.greaterThan(0);

      await projection.stop();
      const halfMinuteAgo = new Date(Date.now() - 30_000);
      await source.publish(Array.from({ length: 50 }, (_, i) => event(i, halfMinuteAgo)));
      await source.publish([event(0, new Date())]);
      const behind = await projection.status();
      expect(behind).to.include({ state: 'stopped', checkpoint: 100, sourceHead: 151, lagEvents: 51 });
      // The oldest event not in the checkpoint is half a minute old.
      expect(behind.lagSeconds).to.be.within(29, 45);

      await projection.start();
      await eventually(async () => (await projection.status()).lagEvents === 0);
      expect(await projection.status()).to.include({ state: 'running', checkpoint: 151, lagSeconds: 0 });
    });
  });
}
