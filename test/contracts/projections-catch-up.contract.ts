// Catching up from a checkpoint, then following live; where a new projection
// starts; several projections over one source, each at its own pace.
import { expect } from 'chai';
import type { ProjectionBackend } from './projection-backends.js';
import {
  counterProjection,
  eventually,
  foldCounters,
  publishCounterEvents,
  type Counter,
  type CounterEvent,
} from '../projections/fixtures/counter.js';
import { polled } from '../projections/fixtures/gated.js';

const workload = { keys: 50, resetEvery: 13, noteEvery: 7 };

export function projectionsCatchUpContract(h: ProjectionBackend): void {
  describe('catch-up and live', function () {
    this.timeout(60_000);

    it('catches up from the oldest event, then follows new events live', async () => {
      const source = await h.source(5000, workload);
      const projection = h.runner().add(counterProjection(source, { name: 'live' }));
      const states: string[] = [projection.state];
      await projection.start();
      states.push(projection.state);
      await projection.whenRunning();
      states.push(projection.state);
      expect(states).to.deep.equal(['stopped', 'restoring', 'running']);
      expect((await projection.snapshot()).states).to.deep.equal(await foldCounters(source));

      await publishCounterEvents(source, 5000, 700, workload, 100);
      await eventually(async () => (await projection.status()).checkpoint === (await source.nextOffset()));
      const expected = await foldCounters(source);
      const keys = [...expected.keys()];
      expect([...(await projection.getMany(keys)).values()]).to.deep.equal([...expected.values()]);
      expect(projection.state).to.equal('running');
    });

    it('resumes after its checkpoint on restart, applying nothing twice and skipping nothing', async () => {
      const source = await h.source(3000, workload);
      const first = h.runner();
      const p1 = first.add(counterProjection(source, { name: 'resume' }), { commit: { maxEvents: 400 } });
      await first.start();
      await first.whenRunning();
      const before = (await p1.status()).checkpoint;
      await first.close();
      await publishCounterEvents(source, 3000, 2000, workload);

      const p2 = h.runner().add(counterProjection(source, { name: 'resume' }));
      await p2.open();
      expect((await p2.status()).checkpoint, 'the checkpoint survives a restart').to.equal(before);
      await p2.start();
      await p2.whenRunning();
      // The chain of each key folds every event offset in order: one event twice or missing shows.
      expect((await p2.snapshot()).states).to.deep.equal(await foldCounters(source));
    });

    it("starts a new projection at the source's end when asked, and resumes there after a restart", async () => {
      const source = await h.source(1000, { keys: 10 });
      const make = () => counterProjection(source, { name: 'tail' });
      const first = h.runner();
      const p1 = first.add(make(), { startAt: 'end' });
      await first.start();
      await first.whenRunning();
      expect(await p1.get('c1'), 'nothing before the start').to.equal(undefined);
      await source.publish([{ key: 'c1', value: JSON.stringify({ type: 'add', id: 'c1', n: 5 }) }]);
      await eventually(async () => (await p1.get('c1'))?.sum === 5);
      await first.close();
      // Published while no runner ran: the restart must resume at its checkpoint, not at the new end.
      await source.publish([{ key: 'c1', value: JSON.stringify({ type: 'add', id: 'c1', n: 7 }) }]);
      const p2 = h.runner().add(make(), { startAt: 'end' });
      await p2.start();
      await p2.whenRunning();
      expect((await p2.get('c1'))?.sum).to.equal(12);
      expect((await p2.get('c1'))?.count).to.equal(2);
    });

    it('runs several projections over one source, each at its own pace', async () => {
      const source = await h.source(4000, workload);
      const runner = h.runner();
      const fast = runner.add(counterProjection(source, { name: 'fast' }));
      const slow = runner.add(
        counterProjection(source, {
          name: 'slow',
          apply(state: Counter, event: CounterEvent) {
            const until = performance.now() + 0.3;
            while (performance.now() < until); // a costly fold
            return { count: state.count + 1, sum: state.sum + event.n, chain: 0 };
          },
          handles: ['add'],
        }),
        { batchSize: 100, commit: { maxEvents: 100 } },
      );
      await runner.start();
      await fast.whenRunning();
      const slowStatus = await slow.status();
      expect(slow.state, 'the slow one is still catching up').to.equal('restoring');
      expect(slowStatus.checkpoint).to.be.lessThan(await source.nextOffset());
      expect((await fast.snapshot()).states).to.deep.equal(await foldCounters(source));
      await slow.whenRunning();
      const slowStates = (await slow.snapshot()).states;
      expect(slowStates.size).to.equal(50);
      const adds = Array.from({ length: 4000 }, (_, i) => i).filter((i) => i % 13 !== 12 && i % 7 !== 1).length;
      expect([...slowStates.values()].reduce((n, s) => n + s.count, 0)).to.equal(adds);
    });

    it('polls a plain Log (no blocking consume) for new events', async () => {
      const log = polled(await h.source(0, { keys: 1 }));
      const projection = h.runner().add(counterProjection(log, { name: 'plain' }));
      await projection.start();
      await projection.whenRunning();
      await log.publish([{ key: 'c3', value: JSON.stringify({ type: 'add', id: 'c3', n: 4 }) }]);
      await eventually(async () => (await projection.get('c3'))?.sum === 4, 5000, 'the polled event');
    });

    it('passes over events of types it does not handle and events without a key, moving its checkpoint past them', async () => {
      const source = await h.source(0, { keys: 1 });
      await source.publish([
        { value: JSON.stringify({ type: 'note', id: 'c1', n: 1 }) },
        { value: JSON.stringify({ type: 'add', id: 'c1', n: 2 }) },
        { value: JSON.stringify({ type: 'add', id: '', n: 3 }) },
      ]);
      const projection = h.runner().add(counterProjection(source, { key: (e) => e.id || null }));
      await projection.start();
      await projection.whenRunning();
      expect(Object.fromEntries((await projection.snapshot()).states)).to.deep.equal({
        c1: { count: 1, sum: 2, chain: 2 },
      });
      expect((await projection.status()).checkpoint).to.equal(3);
    });
  });
}
