// Rebuild: a new generation replays the source beside the live one, queries
// keep answering from the live one (and never from a half-built state), then
// the pointer switches atomically and the old generation goes.
import { expect } from 'chai';
import { ProjectionNotReadyError, type StateChange } from '../../src/projections/index.js';
import { caught } from '../helpers/errors.js';
import type { ProjectionBackend } from './projection-backends.js';
import {
  applyCounter,
  counterProjection,
  eventually,
  foldCounters,
  publishCounterEvents,
  type Counter,
  type CounterEvent,
} from '../projections/fixtures/counter.js';

const workload = { keys: 30, resetEvery: 17 };

export function projectionsRebuildContract(h: ProjectionBackend): void {
  describe('rebuild', function () {
    this.timeout(120_000);

    /** The counter projection whose sums are multiplied by `factor.n`, so a rebuild can change every state. */
    function scaled(source: Parameters<typeof counterProjection>[0], factor: { n: number }, slow = false) {
      return counterProjection(source, {
        apply(state: Counter, event: CounterEvent) {
          if (slow) for (const until = performance.now() + 0.05; performance.now() < until;);
          const next = applyCounter(state, event);
          return next && { ...next, sum: state.sum + event.n * factor.n };
        },
      });
    }

    it('answers every query from the old state until the new one has caught up, then switches', async () => {
      const source = await h.source(6000, workload);
      const factor = { n: 1 };
      const projection = h.runner().add(scaled(source, factor, true), { batchSize: 200, commit: { maxEvents: 200 } });
      await projection.start();
      await projection.whenRunning();
      const changes: StateChange<Counter>[] = [];
      const sub = projection.changes('c0').subscribe((c) => changes.push(c));
      h.defer(async () => sub.unsubscribe());

      factor.n = 2;
      const rebuilt = projection.rebuild();
      let switched = false;
      void rebuilt.then(() => (switched = true));
      await eventually(async () => (await projection.status()).rebuilding !== undefined);
      let during = 0;
      let oldAnswers = 0;
      while (!switched) {
        if (during++ % 5 === 0) {
          // A live event: the old generation must keep following the source during the rebuild.
          await publishCounterEvents(source, 6000 + during, 1, { keys: 1 });
          const head = await source.nextOffset();
          await eventually(async () => switched || (await projection.status()).checkpoint === head);
        }
        const expected = (await foldCounters(source)).get('c0')!;
        const status = await projection.status();
        const state = await projection.get('c0');
        if (status.generation === 1) {
          oldAnswers++;
          expect(status.rebuilding?.generation).to.equal(2);
        }
        // Whichever generation answered, the state is whole and current, never a half-replayed one.
        // (Sums are left out: the old generation applies live events with the new factor too.)
        expect({ count: state?.count, chain: state?.chain }).to.deep.equal({
          count: expected.count,
          chain: expected.chain,
        });
        await new Promise((r) => setTimeout(r, 5));
      }
      await rebuilt;
      // At least one query met the rebuild and was answered by the old generation (how many depends on the
      // machine: each round folds the whole source, and a rebuild whose commits overlap its reads is quick).
      expect(oldAnswers, `the old generation answered during the rebuild (${during} rounds)`).to.be.greaterThan(0);
      const status = await projection.status();
      expect(status).to.include({ generation: 2, state: 'running' });
      expect(status.rebuilding).to.equal(undefined);
      await eventually(async () => (await projection.status()).checkpoint === (await source.nextOffset()));
      // The new states (sums doubled), straight after the switch: the old generation's cache is gone with it.
      const expected = await foldCounters(source);
      for (const [key, state] of await projection.getMany([...expected.keys()])) {
        expect(state).to.deep.equal({ ...expected.get(key)!, sum: expected.get(key)!.sum * 2 });
      }
      expect(changes.some((c) => c.kind === 'rebuilt' && c.generation === 2)).to.equal(true);
      expect(await h.stored('counters'), 'the pointer names the new generation; the old one is gone').to.deep.equal({
        current: 2,
        generations: [2],
      });
    });

    it('keeps the rebuilt state across a restart, and follows live events after the switch', async () => {
      const source = await h.source(1000, workload);
      const factor = { n: 1 };
      const first = h.runner();
      const p1 = first.add(scaled(source, factor));
      await first.start();
      await first.whenRunning();
      factor.n = 3;
      await p1.rebuild();
      await publishCounterEvents(source, 1000, 100, workload);
      await eventually(async () => (await p1.status()).checkpoint === 1100);
      await first.close();
      const p2 = h.runner().add(scaled(source, factor));
      await p2.start();
      await p2.whenRunning();
      const expected = await foldCounters(source);
      expect((await p2.snapshot()).states).to.deep.equal(
        new Map([...expected].map(([k, s]) => [k, { ...s, sum: s.sum * 3 }])),
      );
      expect((await p2.status()).generation).to.equal(2);
    });

    it('rebuilding a stopped projection drops its state at once; the next start replays from the oldest event', async () => {
      const source = await h.source(500, workload);
      const factor = { n: 1 };
      const projection = h.runner().add(scaled(source, factor));
      await projection.start();
      await projection.whenRunning();
      await projection.stop();
      await projection.rebuild();
      expect((await projection.snapshot()).states.size).to.equal(0);
      factor.n = 5;
      await projection.start();
      await projection.whenRunning();
      const c1 = (await foldCounters(source)).get('c1')!;
      expect(await projection.get('c1')).to.deep.equal({ ...c1, sum: c1.sum * 5 });
    });

    it('abandons a rebuild when the projection stops, keeping the old generation', async () => {
      const source = await h.source(5000, workload);
      const projection = h.runner().add(scaled(source, { n: 1 }, true), { batchSize: 100, commit: { maxEvents: 100 } });
      await projection.start();
      await projection.whenRunning();
      const rebuilt = projection.rebuild();
      await eventually(async () => (await projection.status()).rebuilding !== undefined);
      await projection.stop();
      expect(await caught(() => rebuilt)).to.be.instanceOf(ProjectionNotReadyError);
      expect(await h.stored('counters'), 'the abandoned generation is gone').to.deep.equal({
        current: 1,
        generations: [1],
      });
      await projection.start();
      await projection.whenRunning();
      expect((await projection.status()).generation).to.equal(1);
      expect((await projection.snapshot()).states).to.deep.equal(await foldCounters(source));
    });

    it('removes a generation left by a rebuild that a crash interrupted, and keeps the current one', async () => {
      const source = await h.source(300, workload);
      const first = h.runner();
      first.add(counterProjection(source));
      await first.start();
      await first.whenRunning();
      await first.close();
      await h.leaveGeneration('counters', 7);
      expect((await h.stored('counters')).generations).to.deep.equal([1, 7]);
      const projection = h.runner().add(counterProjection(source));
      await projection.start();
      await projection.whenRunning();
      expect(await h.stored('counters')).to.deep.equal({ current: 1, generations: [1] });
      expect((await projection.status()).generation).to.equal(1);
      expect((await projection.snapshot()).states).to.deep.equal(await foldCounters(source));
    });
  });
}
