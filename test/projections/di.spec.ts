// tsyringe wiring: a projection written as an @injectable class whose source
// (the event store) is injected, run by a runner registered in the container.
import { createContainer, createTestContainer, inject, injectable, Tokens } from '../../src/di/index.js';
import { expect } from 'chai';
import path from 'node:path';
import type { EventStore, RecordedEvent } from '../../src/eventstore/index.js';
import { ProjectionTokens, registerProjectionRunner, type ProjectionDefinition } from '../../src/projections/index.js';
import { caught } from '../helpers/errors.js';
import {
  AccountOpened,
  accountEvents,
  Deposited,
  Withdrawn,
  type AccountEvent,
} from '../eventstore/fixtures/account.js';
import { eventually } from './fixtures/counter.js';
import { useHarness } from './fixtures/harness.js';

type Balance = { owner: string; balance: number };

@injectable()
class Balances implements ProjectionDefinition<Balance, RecordedEvent<AccountEvent>> {
  readonly name = 'balances';
  readonly handles = [AccountOpened, Deposited, Withdrawn];

  constructor(@inject(Tokens.EventStore) readonly source: EventStore<AccountEvent>) {}

  key(event: RecordedEvent<AccountEvent>): string {
    return event.meta.streamId;
  }

  initialState(): Balance {
    return { owner: '', balance: 0 };
  }

  apply(state: Balance, event: RecordedEvent<AccountEvent>): Balance {
    switch (event.type) {
      case 'AccountOpened':
        return { ...state, owner: event.data.owner };
      case 'Deposited':
        return { ...state, balance: state.balance + event.data.amount };
      case 'Withdrawn':
        return { ...state, balance: state.balance - event.data.amount };
    }
  }
}

describe('projections: tsyringe wiring', function () {
  this.timeout(60_000);
  const h = useHarness();

  it('resolves an @injectable projection from a test container, with the store injected as its source', async () => {
    const container = createTestContainer({ events: accountEvents });
    const runner = registerProjectionRunner(container);
    expect(container.resolve(ProjectionTokens.Runner)).to.equal(runner);
    const store = container.resolve(Tokens.EventStore) as EventStore<AccountEvent>;
    await store.appendToStream('acc-1', [AccountOpened({ owner: 'ann' }), Deposited({ amount: 10, currency: 'EUR' })]);
    const balances = runner.add(Balances);
    await runner.start();
    await runner.whenRunning();
    expect(await balances.get('acc-1')).to.deep.equal({ owner: 'ann', balance: 10 });
    await store.appendToStream('acc-1', Withdrawn({ amount: 4 }));
    await eventually(async () => (await balances.get('acc-1'))?.balance === 6);
    expect(await balances.get('acc-1')).to.deep.equal({ owner: 'ann', balance: 6 });
    await container.dispose();
    expect(await caught(() => balances.get('acc-1'))).to.include({ state: 'closed' });
  });

  it('keeps state on disk beside an app container, and picks it up again in the next one', async () => {
    const app = await createContainer({ dir: h.dir, events: accountEvents });
    const runner = registerProjectionRunner(app, { dir: path.join(h.dir, 'projections') });
    await app
      .resolve(Tokens.EventStore)
      .appendToStream('acc-9', [AccountOpened({ owner: 'bob' }), Deposited({ amount: 3, currency: 'EUR' })]);
    runner.add(Balances);
    await runner.start();
    await runner.whenRunning();
    await app.dispose();

    const again = await createContainer({ dir: h.dir, events: accountEvents });
    h.defer(async () => again.dispose());
    const next = registerProjectionRunner(again, { dir: path.join(h.dir, 'projections') });
    const balances = next.add(Balances);
    await balances.open();
    expect((await balances.status()).checkpoint, 'resumes after both events').to.equal(2);
    await next.start();
    await next.whenRunning();
    expect(await balances.get('acc-9')).to.deep.equal({ owner: 'bob', balance: 3 });
  });
});
