// Events a projection cannot apply: by default it stops, naming the offset,
// with the checkpoint right before the event; with onError: 'skip' the event
// is recorded in the dead-letter log (exactly once) and passed over.
import { expect } from 'chai';
import { defineProjection, ProjectionFailedError, ProjectionNotReadyError } from '../../src/projections/index.js';
import { InvalidEventError } from '../../src/eventstore/index.js';
import { caught } from '../helpers/errors.js';
import { accountEvents, AccountOpened, Deposited } from '../eventstore/fixtures/account.js';
import type { ProjectionBackend } from './projection-backends.js';
import { counterProjection } from '../projections/fixtures/counter.js';

const add = (n: number) => ({ key: 'c1', value: JSON.stringify({ type: 'add', id: 'c1', n }) });

export function projectionsPoisonContract(h: ProjectionBackend): void {
  describe('poison events', function () {
    this.timeout(60_000);

    it('stops at an event it cannot decode, naming its offset, with the checkpoint right before it', async () => {
      const source = await h.source(0, { keys: 1 });
      await source.publish([add(1), add(2), { key: 'c1', value: '{not json' }, add(4)]);
      for (let run = 0; run < 2; run++) {
        const runner = h.runner();
        const projection = runner.add(counterProjection(source));
        await projection.start();
        const failed = await caught(() => projection.whenRunning());
        expect(failed).to.be.instanceOf(ProjectionNotReadyError).and.include({ state: 'failed' });
        const status = await projection.status();
        expect(status.state).to.equal('failed');
        expect(status.error).to.be.instanceOf(ProjectionFailedError).and.include({ offset: 2, projection: 'counters' });
        expect(status.error!.message).to.match(/failed at source offset 2: .*JSON/);
        expect(status.checkpoint, `run ${run}: the checkpoint stops before the event`).to.equal(2);
        expect(await caught(() => projection.get('c1'))).to.include({ state: 'failed' });
        // Applied once, whatever the number of runs: the restart resumes at the poison event itself.
        expect((await projection.snapshot()).states.get('c1')).to.include({ count: 2, sum: 3 });
        await runner.close();
      }
    });

    it("records the event as a dead letter and goes on under onError: 'skip', once across restarts", async () => {
      const source = await h.source(0, { keys: 1 });
      await source.publish([
        add(1),
        { key: 'c1', value: '{not json' },
        add(13),
        add(4),
        { key: 'c1', value: JSON.stringify({ type: 'add', id: 7, n: 1 }) },
      ]);
      const throwing = () =>
        counterProjection(source, {
          key: (e) => e.id,
          apply: (state, e) => {
            if (e.n === 13) throw new Error('thirteen is unlucky');
            return { count: state.count + 1, sum: state.sum + e.n, chain: 0 };
          },
        });
      for (let run = 0; run < 2; run++) {
        const runner = h.runner();
        const projection = runner.add(throwing(), { onError: 'skip' });
        await projection.start();
        await projection.whenRunning();
        expect(await projection.get('c1')).to.deep.equal({ count: 2, sum: 5, chain: 0 });
        const letters = await projection.deadLetters();
        expect(
          letters.map((l) => l.offset),
          `run ${run}`,
        ).to.deep.equal([1, 2, 4]);
        expect(letters[0]!.error).to.match(/JSON/);
        expect(letters[1]).to.include({ eventType: 'add', error: 'thirteen is unlucky', projection: 'counters' });
        expect(letters[2]!.error).to.match(/key\(\) must return a non-empty string/);
        expect((await projection.status()).deadLetters).to.equal(3);
        await runner.close();
      }
    });

    it('treats an event the event store cannot read (schema, upcast) as poison, under both policies', async () => {
      const store = await h.eventStore(accountEvents);
      h.defer(() => store.close());
      await store.appendToStream('acc-1', [AccountOpened({ owner: 'ann' }), Deposited({ amount: 5, currency: 'EUR' })]);
      // Written past the store's checks: a deposit whose amount breaks the schema.
      const meta = { eventId: 'x', recordedAt: new Date().toISOString(), streamVersion: 3 };
      await store.log.publish([
        {
          key: 'acc-1',
          value: JSON.stringify({ type: 'Deposited', schemaVersion: 2, data: { amount: -1, currency: 'EUR' }, meta }),
        },
      ]);
      await store.appendToStream('acc-1', Deposited({ amount: 7, currency: 'EUR' }));
      // Event and state types are inferred from the store and initialState.
      const balances = (name: string) =>
        defineProjection({
          name,
          source: store,
          handles: [AccountOpened, Deposited],
          key: (e) => e.meta.streamId,
          initialState: () => ({ balance: 0 }),
          apply: (s, e) => (e.type === 'Deposited' ? { balance: s.balance + e.data.amount } : s),
        });
      const runner = h.runner();
      const stopping = runner.add(balances('stopping'));
      const skipping = runner.add(balances('skipping'), { onError: 'skip' });
      await runner.start();
      await skipping.whenRunning();
      expect(await skipping.get('acc-1')).to.deep.equal({ balance: 12 });
      expect((await skipping.deadLetters())[0]).to.include({ offset: 2, eventType: 'Deposited' });
      await caught(() => stopping.whenRunning());
      const error = (await stopping.status()).error as ProjectionFailedError;
      expect(error).to.include({ offset: 2, eventType: 'Deposited' });
      expect(error.cause).to.be.instanceOf(InvalidEventError);
      expect((await stopping.snapshot()).states.get('acc-1')).to.deep.equal({ balance: 5 });
    });
  });
}
