// The given-events / then-state helper, over the in-memory store.
import { expect } from 'chai';
import { AssertionError } from 'node:assert';
import type { EventStore, RecordedEvent } from '../../src/eventstore/index.js';
import {
  ProjectionFailedError,
  ProjectionSpecification,
  type ProjectionDefinition,
} from '../../src/projections/index.js';
import { caught } from '../helpers/errors.js';
import {
  AccountOpened,
  accountEvents,
  Deposited,
  Withdrawn,
  type AccountEvent,
} from '../eventstore/fixtures/account.js';

type Balance = { balance: number };

const balances: ProjectionDefinition<Balance, RecordedEvent<AccountEvent>> = {
  name: 'balances',
  source: undefined as unknown as EventStore, // the specification supplies its store
  handles: [Deposited, Withdrawn, 'AccountClosed'],
  key: (e) => e.meta.streamId,
  initialState: () => ({ balance: 0 }),
  apply: (s, e) => {
    if (e.type === 'Withdrawn' && e.data.amount > s.balance) throw new Error('overdrawn');
    if ((e.type as string) === 'AccountClosed') return null;
    return { balance: s.balance + (e.type === 'Deposited' ? e.data.amount : -(e.data as { amount: number }).amount) };
  },
};

const given = ProjectionSpecification.for(balances, { events: accountEvents });

describe('projections: ProjectionSpecification', () => {
  it('passes when the states are exactly the expected ones', async () => {
    await given([
      ['acc-1', [AccountOpened({ owner: 'ann' }), Deposited({ amount: 10, currency: 'EUR' })]],
      ['acc-2', Deposited({ amount: 1, currency: 'EUR' })],
      ['acc-1', Withdrawn({ amount: 4 })],
    ]).then({ 'acc-1': { balance: 6 }, 'acc-2': { balance: 1 } });
    await given([['acc-1', Deposited({ amount: 2, currency: 'EUR' })]]).thenState('acc-3', undefined);
  });

  it('fails with an assertion when a state differs or a key is missing or extra', async () => {
    const two = given([
      ['a', Deposited({ amount: 2, currency: 'EUR' })],
      ['b', Deposited({ amount: 3, currency: 'EUR' })],
    ]);
    expect(await caught(() => two.then({ a: { balance: 2 } }))).to.be.instanceOf(AssertionError);
    expect(await caught(() => two.then({ a: { balance: 2 }, b: { balance: 4 } }))).to.be.instanceOf(AssertionError);
    expect(await caught(() => two.thenState('a', { balance: 1 }))).to.be.instanceOf(AssertionError);
    expect(await caught(() => two.thenFails())).to.be.instanceOf(AssertionError);
  });

  it('expects a failure with thenFails, and runs a definition made from the store', async () => {
    const overdrawn = given([['a', Withdrawn({ amount: 1 })]]);
    await overdrawn.thenFails(ProjectionFailedError);
    await overdrawn.thenFails(/failed at source offset 0.*overdrawn/);
    expect(await caught(() => overdrawn.then({}))).to.be.instanceOf(ProjectionFailedError);
    const fromStore = ProjectionSpecification.for(
      (store: EventStore<AccountEvent>) => ({ ...balances, name: 'made', source: store }),
      { events: accountEvents },
    );
    await fromStore([['x', Deposited({ amount: 9, currency: 'EUR' })]]).then({ x: { balance: 9 } });
    await ProjectionSpecification.for(balances, { events: accountEvents, projection: { onError: 'skip' } })([
      ['a', Withdrawn({ amount: 1 })],
    ]).then({});
  });
});
