// Queries through a catch-up: a projection that has committed through a
// position answers queries up to it, in whatever state it is in (bar
// closed); a query without upTo answers only once the projection has caught
// up with what its source held when it started; every error names the state
// the projection is really in.
import { expect } from 'chai';
import {
  defineProjection,
  ProjectionFailedError,
  ProjectionNotReadyError,
  type QueryOptions,
} from '../../src/projections/index.js';
import { caught, expectLogError } from '../helpers/errors.js';
import { accountEvents, AccountOpened, Deposited } from '../eventstore/fixtures/account.js';
import type { ProjectionBackend } from './projection-backends.js';
import { counterProjection, eventually, foldCounters, publishCounterEvents } from '../projections/fixtures/counter.js';
import { held } from '../projections/fixtures/gated.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function projectionsCatchUpQueriesContract(h: ProjectionBackend): void {
  describe('queries through a catch-up', function () {
    this.timeout(120_000);

    it("20,000 events over 50 streams, runner.start(), waitFor(the last event's position): the next get answers at once", async () => {
      const store = await h.eventStore(accountEvents);
      h.defer(() => store.close());
      let last = -1;
      for (let s = 0; s < 50; s++) {
        const stream = `acc-${s}`;
        // 400 events a stream: opened, then 399 deposits of s + 1.
        for (let batch = 0; batch < 4; batch++) {
          const events = Array.from({ length: 100 }, (_, i) =>
            batch === 0 && i === 0 ? AccountOpened({ owner: stream }) : Deposited({ amount: s + 1, currency: 'EUR' }),
          );
          const { events: recorded } = await store.appendToStream(stream, events);
          last = recorded.at(-1)!.meta.position;
        }
      }
      const runner = h.runner();
      const balances = runner.add(
        defineProjection({
          name: 'balances',
          source: store,
          handles: [AccountOpened, Deposited],
          key: (e) => e.meta.streamId,
          initialState: () => ({ balance: 0, deposits: 0 }),
          apply: (s, e) =>
            e.type === 'Deposited' ? { balance: s.balance + e.data.amount, deposits: s.deposits + 1 } : s,
        }),
      );
      await runner.start();
      await balances.waitFor(last);
      // No whileRestoring, no upTo: committed through the source's end as it was at start, the projection is running.
      expect(await balances.get('acc-7')).to.deep.equal({ balance: 399 * 8, deposits: 399 });
      expect((await balances.status()).state).to.equal('running');
      expect(await balances.get('acc-49', { upTo: last })).to.deep.equal({ balance: 399 * 50, deposits: 399 });
    });

    it('answers a query with upTo once that position is committed, while still restoring; without upTo it fails naming the state, or waits as asked', async () => {
      const source = await h.source(2000, { keys: 20 });
      const { log, holdFrom, release } = held(source);
      holdFrom(1000);
      // A commit every batch: the catch-up stalls with offsets 0..999 committed.
      const projection = h.runner().add(counterProjection(log), { batchSize: 100, commit: { maxDelayMs: 0 } });
      await projection.start();
      await projection.waitFor(999, { timeoutMs: 20_000 });
      expect(projection.state).to.equal('restoring');
      const firstHalf = await foldCounters(source, 1000);
      expect(await projection.get('c7', { upTo: 999 })).to.deep.equal(firstHalf.get('c7'));
      expect(await projection.getMany(['c7', 'c8'], { upTo: 500 })).to.deep.equal(
        new Map([
          ['c7', firstHalf.get('c7')],
          ['c8', firstHalf.get('c8')],
        ]),
      );

      const notYet = await caught(() => projection.get('c7'));
      expect(notYet)
        .to.be.instanceOf(ProjectionNotReadyError)
        .and.include({ projection: 'counters', state: 'restoring' });
      expect((notYet as Error).message).to.match(
        /is restoring: still catching up; query with upTo: .* or whileRestoring: 'wait'.*\(committed through source offset 999, catching up to 1999\)$/,
      );
      const late = await caught(() => projection.waitFor(1500, { timeoutMs: 20 }));
      expect(late).to.be.instanceOf(ProjectionNotReadyError).and.include({ state: 'restoring' });
      expect((late as Error).message).to.match(
        /is restoring: 20 ms passed before reaching source position 1500 \(committed through source offset 999, catching up to 1999\)$/,
      );
      const slow = await caught(() => projection.get('c7', { whileRestoring: 'wait', timeoutMs: 20 }));
      expect(slow).to.include({ state: 'restoring' });
      expect((slow as Error).message).to.match(/not caught up within 20 ms/);

      // With upTo a query waits through the rest of the catch-up, under the default whileRestoring: 'fail'.
      let answered = false;
      const whole = projection.get('c7', { upTo: 1999, timeoutMs: 20_000 }).then((state) => ((answered = true), state));
      const caughtUp = projection.get('c8', { whileRestoring: 'wait' });
      await pause(50);
      expect(answered, 'no answer before the position is committed').to.equal(false);
      release();
      const all = await foldCounters(source);
      expect(await whole).to.deep.equal(all.get('c7'));
      expect(await caughtUp).to.deep.equal(all.get('c8'));
      expect(projection.state).to.equal('running');
      expect(await projection.get('c9')).to.deep.equal(all.get('c9'));
    });

    it('on a running projection, a wait past the end of the source times out or is aborted naming the state running, and answers once the events come', async () => {
      const source = await h.source(100, { keys: 5 });
      const projection = h.runner().add(counterProjection(source));
      await projection.start();
      await projection.whenRunning();

      const late = await caught(() => projection.get('c1', { upTo: 150, timeoutMs: 30 }));
      expect(late).to.be.instanceOf(ProjectionNotReadyError).and.include({ projection: 'counters', state: 'running' });
      expect((late as Error).message).to.match(
        /is running: 30 ms passed before reaching source position 150 \(committed through source offset 99\)$/,
      );
      expect(await caught(() => projection.waitFor(150, { timeoutMs: 30 }))).to.include({ state: 'running' });

      const reason = new Error('the client went away');
      const already = await caught(() => projection.get('c1', { upTo: 150, signal: AbortSignal.abort(reason) }));
      expect(already).to.be.instanceOf(ProjectionNotReadyError).and.include({ state: 'running', cause: reason });
      expect((already as Error).message).to.match(/the wait was aborted before reaching source position 150/);
      const controller = new AbortController();
      const waiting = caught(() => projection.getMany(['c1'], { upTo: 150, signal: controller.signal }));
      await pause(20);
      controller.abort(reason);
      expect(await waiting)
        .to.be.instanceOf(ProjectionNotReadyError)
        .and.include({ state: 'running', cause: reason });

      // No limit: it answers once the source has got there and the projection has committed it.
      const answer = projection.get('c1', { upTo: 150 });
      await publishCounterEvents(source, 100, 51, { keys: 5 });
      expect(await answer).to.deep.equal((await foldCounters(source)).get('c1'));
    });

    it('stopped or failed, it answers up to a position already committed and fails at once short of it, naming the state; closed, it fails', async () => {
      const add = (n: number) => ({ key: 'c1', value: JSON.stringify({ type: 'add', id: 'c1', n }) });
      const source = await h.source(0, { keys: 1 });
      await source.publish([add(1), add(2), { key: 'c1', value: '{not json' }, add(4)]);
      const runner = h.runner();
      const failing = runner.add(counterProjection(source));
      await failing.start();
      expect(await caught(() => failing.whenRunning())).to.include({ state: 'failed' });
      expect(await failing.get('c1', { upTo: 1 })).to.include({ count: 2, sum: 3 });
      expect(await failing.waitFor(1)).to.equal(undefined);
      const short = await caught(() => failing.get('c1', { upTo: 3, timeoutMs: 60_000 }));
      expect(short).to.be.instanceOf(ProjectionNotReadyError).and.include({ state: 'failed' });
      expect((short as Error).message).to.match(
        /is failed: source position 3 is not committed \(committed through source offset 1\): .*failed at source offset 2/,
      );
      expect((short as Error).cause).to.be.instanceOf(ProjectionFailedError);
      expect(await caught(() => failing.get('c1'))).to.include({ state: 'failed' });

      const clean = await h.source(100, { keys: 5 });
      const stopping = runner.add(counterProjection(clean, { name: 'stopping' }));
      expect(await caught(() => stopping.get('c1', { upTo: 0 })), 'never started').to.include({ state: 'stopped' });
      await stopping.start();
      await stopping.waitFor(99);
      const pending = caught(() => stopping.get('c1', { upTo: 200 }));
      await stopping.stop();
      const stoppedWhileWaiting = await pending;
      expect(stoppedWhileWaiting).to.be.instanceOf(ProjectionNotReadyError).and.include({ state: 'stopped' });
      expect((stoppedWhileWaiting as Error).message).to.match(/it stopped before reaching source position 200/);
      expect(await stopping.get('c1', { upTo: 99 })).to.deep.equal((await foldCounters(clean)).get('c1'));
      const past = await caught(() => stopping.get('c1', { upTo: 100, timeoutMs: 60_000 }));
      expect(past).to.be.instanceOf(ProjectionNotReadyError).and.include({ state: 'stopped' });
      expect((past as Error).message).to.match(
        /is stopped: source position 100 is not committed \(committed through source offset 99\); start it/,
      );
      expect(await caught(() => stopping.get('c1'))).to.include({ state: 'stopped' });

      await runner.close();
      for (const projection of [failing, stopping]) {
        expect(await caught(() => projection.get('c1', { upTo: 0 })))
          .to.be.instanceOf(ProjectionNotReadyError)
          .and.include({ state: 'closed' });
        expect(await caught(() => projection.waitFor(0))).to.include({ state: 'closed' });
      }
    });

    it('during a rebuild, a query with upTo answers from the live generation once it has the position; a timeout names the state and the rebuild', async () => {
      const source = await h.source(500, { keys: 5 });
      const { log, holdBelow, release } = held(source);
      const projection = h.runner().add(counterProjection(log));
      await projection.start();
      await projection.whenRunning();
      // The rebuild replays from the oldest event: held there, while the live generation reads on past 500.
      holdBelow(500);
      const rebuilt = projection.rebuild();
      await eventually(async () => (await projection.status()).rebuilding !== undefined);
      await publishCounterEvents(source, 500, 10, { keys: 5 });
      let all = await foldCounters(source);
      expect(await projection.get('c1', { upTo: 509, timeoutMs: 20_000 })).to.deep.equal(all.get('c1'));
      expect(projection.state).to.equal('running');
      const late = await caught(() => projection.waitFor(600, { timeoutMs: 20 }));
      expect(late).to.be.instanceOf(ProjectionNotReadyError).and.include({ state: 'running' });
      expect((late as Error).message).to.match(
        /20 ms passed before reaching source position 600 \(committed through source offset 509; rebuilding into generation 2\)$/,
      );
      release();
      await rebuilt;
      await publishCounterEvents(source, 510, 1, { keys: 5 });
      all = await foldCounters(source);
      expect(await projection.getMany(['c0', 'c1'], { upTo: 510, timeoutMs: 20_000 })).to.deep.equal(
        new Map([
          ['c0', all.get('c0')],
          ['c1', all.get('c1')],
        ]),
      );
      expect((await projection.status()).generation).to.equal(2);
    });

    it('a bad upTo, timeoutMs or signal is ERR_INVALID_ARGUMENT naming the argument, whatever the state', async () => {
      const source = await h.source(10, { keys: 2 });
      const runner = h.runner();
      const projection = runner.add(counterProjection(source));
      const bad: Array<[unknown, string]> = [
        [{ upTo: -1 }, 'options.upTo'],
        [{ upTo: 1.5 }, 'options.upTo'],
        [{ upTo: '3' }, 'options.upTo'],
        [{ upTo: Number.NaN }, 'options.upTo'],
        [{ upTo: Number.POSITIVE_INFINITY }, 'options.upTo'],
        [{ timeoutMs: -1 }, 'options.timeoutMs'],
        [{ timeoutMs: '10' }, 'options.timeoutMs'],
        [{ signal: {} }, 'options.signal'],
        [5, 'options must be an object'],
      ];
      const states = [
        async () => undefined,
        () => projection.start().then(() => projection.whenRunning()),
        () => runner.close(),
      ];
      for (const reach of states) {
        await reach();
        for (const [options, name] of bad) {
          const loose = options as QueryOptions;
          await expectLogError(() => projection.get('c1', loose), 'ERR_INVALID_ARGUMENT', `get: ${name}`);
          await expectLogError(() => projection.getMany(['c1'], loose), 'ERR_INVALID_ARGUMENT', `getMany: ${name}`);
          if (name === 'options.upTo') continue;
          await expectLogError(() => projection.waitFor(1, loose), 'ERR_INVALID_ARGUMENT', `waitFor: ${name}`);
          await expectLogError(() => projection.whenRunning(loose), 'ERR_INVALID_ARGUMENT', `whenRunning: ${name}`);
        }
        for (const position of [-1, 2.5, Number.POSITIVE_INFINITY, '3', undefined]) {
          await expectLogError(
            () => projection.waitFor(position as number),
            'ERR_INVALID_ARGUMENT',
            'waitFor: position must be an integer >= 0',
          );
        }
      }
    });
  });
}
