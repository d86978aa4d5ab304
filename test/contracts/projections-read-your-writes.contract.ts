// Read your writes: waitFor(position) and queries with upTo answer only once
// the projection has applied the source through a position — after a publish
// or an event-store append, also while it catches up — and reject instead of
// waiting forever when it stops, closes, times out or is aborted.
import { expect } from 'chai';
import { defineProjection, ProjectionNotReadyError } from '../../src/projections/index.js';
import { caught, expectLogError } from '../helpers/errors.js';
import { accountEvents, AccountOpened, Deposited } from '../eventstore/fixtures/account.js';
import type { ProjectionBackend } from './projection-backends.js';
import { counterProjection, foldCounters, publishCounterEvents } from '../projections/fixtures/counter.js';
import { gated } from '../projections/fixtures/gated.js';

export function projectionsReadYourWritesContract(h: ProjectionBackend): void {
  describe('read your writes', function () {
    this.timeout(60_000);

    it('waitFor(position) resolves once the source is committed through it; get with upTo answers with that event applied', async () => {
      const source = await h.source(200, { keys: 5 });
      const projection = h.runner().add(counterProjection(source));
      await projection.start();
      await projection.whenRunning();
      await projection.waitFor(0);
      await publishCounterEvents(source, 200, 1, { keys: 5 });
      await projection.waitFor(200, { timeoutMs: 20_000 });
      let want = await foldCounters(source);
      const key = [...want.keys()][0]!;
      expect(await projection.get(key)).to.deep.equal(want.get(key));
      // Without waiting first: the query itself waits for the event at 201.
      await publishCounterEvents(source, 201, 1, { keys: 5 });
      want = await foldCounters(source);
      const touched = `c${(201 * 7919) % 5}`;
      expect(await projection.get(touched, { upTo: 201, timeoutMs: 20_000 })).to.deep.equal(want.get(touched));
      expect(await projection.getMany([touched], { upTo: 201 })).to.deep.equal(new Map([[touched, want.get(touched)]]));
    });

    it("waits through a catch-up (a position ahead of the projection's, not of the source's) and times out naming the position", async () => {
      const source = await h.source(1500, { keys: 10 });
      const { log, open: release } = gated(source);
      const projection = h.runner().add(counterProjection(log));
      await projection.start();
      let reached = false;
      const waiting = projection.waitFor(1499).then(() => (reached = true));
      await new Promise((r) => setTimeout(r, 100));
      expect(reached, 'not before the projection got there').to.equal(false);
      const late = await caught(() => projection.waitFor(1499, { timeoutMs: 20 }));
      expect(late).to.be.instanceOf(ProjectionNotReadyError);
      expect((late as Error).message).to.match(/20 ms passed before reaching source position 1499/);
      const aborted = new AbortController();
      const stopped = caught(() => projection.waitFor(1499, { signal: aborted.signal }));
      aborted.abort();
      expect(((await stopped) as Error).message).to.match(/aborted/);
      release();
      await waiting;
      expect((await projection.snapshot()).states).to.deep.equal(await foldCounters(source));
    });

    it('a waiter is told when the projection stops or closes, and bad positions are ERR_INVALID_ARGUMENT naming them', async () => {
      const source = await h.source(50, { keys: 5 });
      const runner = h.runner();
      const projection = runner.add(counterProjection(source));
      expect(await caught(() => projection.waitFor(10))).to.include({ state: 'stopped' });
      await projection.start();
      await projection.whenRunning();
      const beyond = caught(() => projection.waitFor(1_000_000));
      await projection.stop();
      expect(await beyond)
        .to.be.instanceOf(ProjectionNotReadyError)
        .and.include({ state: 'stopped' });
      for (const bad of [-1, 1.5, Number.NaN, '3', null]) {
        await expectLogError(() => projection.waitFor(bad as number), 'ERR_INVALID_ARGUMENT', /waitFor: position/);
      }
      await expectLogError(
        () => projection.waitFor(1, { timeoutMs: -1 }),
        'ERR_INVALID_ARGUMENT',
        /waitFor: options.timeoutMs/,
      );
      await expectLogError(() => projection.get('c1', { upTo: -1 }), 'ERR_INVALID_ARGUMENT', /get: options.upTo/);
      await projection.start();
      const waiting = caught(() => projection.waitFor(1_000_000));
      await runner.close();
      // Closing stops the projection first: the waiter hears of that.
      expect(await waiting)
        .to.be.instanceOf(ProjectionNotReadyError)
        .and.include({ state: 'stopped' });
      expect(await caught(() => projection.waitFor(1))).to.include({ state: 'closed' });
    });

    it("after an event-store append: waitFor the last event's meta.position, then the query sees it", async () => {
      const store = await h.eventStore(accountEvents);
      h.defer(() => store.close());
      const projection = h.runner().add(
        defineProjection({
          name: 'balances',
          source: store,
          handles: [AccountOpened, Deposited],
          key: (e) => e.meta.streamId,
          initialState: () => ({ balance: 0 }),
          apply: (s, e) => (e.type === 'Deposited' ? { balance: s.balance + e.data.amount } : s),
        }),
      );
      await projection.start();
      await projection.whenRunning();
      for (let i = 1; i <= 5; i++) {
        const { events } = await store.appendToStream(
          'acc-1',
          i === 1 ? [AccountOpened({ owner: 'ann' })] : [Deposited({ amount: i, currency: 'EUR' })],
        );
        expect(await projection.get('acc-1', { upTo: events.at(-1)!.meta.position, timeoutMs: 20_000 })).to.deep.equal({
          balance: i === 1 ? 0 : (i * (i + 1)) / 2 - 1,
        });
      }
    });
  });
}
