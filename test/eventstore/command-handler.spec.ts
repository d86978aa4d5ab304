// Deciders and the command handler, through the given/when/then helpers
// users get, and directly where the helpers cannot reach (retries, conflicts).
import { expect } from 'chai';
import { z } from 'zod';
import {
  CommandHandlerSpecification,
  DeciderSpecification,
  commandHandler,
  type CommandHandlerOptions,
  type Decider,
} from '../../src/aggregates/index.js';
import { InvalidEventError, defineEvent, inMemoryEventStore } from '../../src/eventstore/index.js';
import { expectLogError } from '../helpers/errors.js';
import { commandHandlerContract } from '../contracts/command-handler.contract.js';
import { stateCacheContract } from '../contracts/state-cache.contract.js';
import {
  account,
  accountEvents,
  AccountOpened,
  Deposited,
  InsufficientFunds,
  Withdrawn,
  type AccountEvent,
  type AccountState,
} from './fixtures/account.js';
import { storeFactories } from '../contracts/event-stores.js';

const opened = AccountOpened({ owner: 'ann' });
const deposited = (amount: number) => Deposited({ amount, currency: 'EUR' });

describe('DeciderSpecification', () => {
  const given = DeciderSpecification.for(account);

  it('checks the events decide returns', () => {
    given([]).when({ type: 'Open', owner: 'ann' }).then([opened]);
    given(opened).when({ type: 'Deposit', amount: 5 }).then(deposited(5));
    given([opened, deposited(5)])
      .when({ type: 'Withdraw', amount: 5 })
      .thenState({ status: 'open', owner: 'ann', balance: 0, movements: 2 });
  });

  it('awaiting when() instead of then([...]) is ERR_INVALID_ARGUMENT saying what to do, not a comparison against functions', async () => {
    const spec: unknown = given([]).when({ type: 'Open', owner: 'ann' }); // as a caller without types would
    await expectLogError(async () => await spec, 'ERR_INVALID_ARGUMENT', /await then\(\[\.\.\.\]\) instead/);
  });

  it('checks rejections by class, pattern or predicate', () => {
    given([opened]).when({ type: 'Withdraw', amount: 1 }).thenThrows(InsufficientFunds);
    given([])
      .when({ type: 'Deposit', amount: 1 })
      .thenThrows(/not open/);
    given([opened])
      .when({ type: 'Open', owner: 'bob' })
      .thenThrows((e) => e instanceof Error);
  });

  it('fails when the decider does something else', () => {
    expect(() => given([opened]).when({ type: 'Deposit', amount: 5 }).then(deposited(6))).to.throw(
      /deepStrictEqual|Expected values/,
    );
    expect(() => given([opened]).when({ type: 'Deposit', amount: 5 }).thenThrows()).to.throw(
      /expected decide to throw/,
    );
    expect(() => given([opened]).when({ type: 'Deposit', amount: 5 }).thenNothingHappened()).to.throw();
  });
});

describe('CommandHandlerSpecification', () => {
  const given = CommandHandlerSpecification.for(account, { events: accountEvents });

  it('runs the handler over a temporary log', async () => {
    await given([]).when({ type: 'Open', owner: 'ann' }).then([opened]);
    await given([opened, deposited(10)])
      .when({ type: 'Withdraw', amount: 4 })
      .then(Withdrawn({ amount: 4 }));
    await given([opened, deposited(10)])
      .when({ type: 'Withdraw', amount: 4 })
      .thenState({ status: 'open', owner: 'ann', balance: 6, movements: 2 });
    await given([opened]).when({ type: 'Withdraw', amount: 4 }).thenThrows(InsufficientFunds);
  });

  it('validates events against their schemas, as production does', async () => {
    const sloppy: Decider<AccountState, { type: 'Deposit'; amount: number }, AccountEvent> = {
      ...account,
      decide: (c) => Deposited({ amount: c.amount, currency: 'EUR' }),
    };
    await CommandHandlerSpecification.for(sloppy, { events: accountEvents })([opened])
      .when({ type: 'Deposit', amount: -1 })
      .thenThrows(InvalidEventError);
  });

  it('fails a spec whose given events are invalid, even one that expects an error', async () => {
    const err = await given([Deposited({ amount: -1, currency: 'EUR' })])
      .when({ type: 'Open', owner: 'x' })
      .thenThrows()
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(InvalidEventError);
  });

  it('says what went wrong when when() itself is awaited', async () => {
    let err: unknown;
    try {
      await (given([]).when({ type: 'Open', owner: 'ann' }) as unknown as Promise<void>);
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/do not await the result of when\(\)/);
  });
});

describe('commandHandler options', () => {
  it('rejects bad retries, snapshots.every, onRetry and cachedStates with ERR_INVALID_ARGUMENT naming them', async () => {
    const store = inMemoryEventStore({ events: accountEvents });
    const make = (options: object) => () =>
      commandHandler(account, store, options as CommandHandlerOptions<AccountState>);
    for (const retries of [-1, 1.5, Number.NaN, '3'])
      await expectLogError(make({ retries }), 'ERR_INVALID_ARGUMENT', /retries/);
    for (const every of [0, -2, 2.5])
      await expectLogError(make({ snapshots: { store: null, every } }), 'ERR_INVALID_ARGUMENT', /snapshots.every/);
    for (const onRetry of ['log', 42, {}]) await expectLogError(make({ onRetry }), 'ERR_INVALID_ARGUMENT', /onRetry/);
    for (const cachedStates of [-1, 0.5, '10'])
      await expectLogError(make({ cachedStates }), 'ERR_INVALID_ARGUMENT', /cachedStates/);
    expect(make({ retries: 0, onRetry: () => {} })()).to.be.a('function');
  });

  it('rejects a missing decider or store when the handler is made, not with a TypeError at its first command', async () => {
    const store = inMemoryEventStore({ events: accountEvents });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const make = (decider: any, s: any) => () => commandHandler(decider, s);
    for (const decider of [null, undefined, {}, { ...account, decide: 'no' }])
      await expectLogError(make(decider, store), 'ERR_INVALID_ARGUMENT', /decider must be .*initialState/);
    await expectLogError(make({ ...account, evolve: undefined }, store), 'ERR_INVALID_ARGUMENT', /missing evolve\)$/);
    for (const s of [null, undefined, 'data/events', {}])
      await expectLogError(make(account, s), 'ERR_INVALID_ARGUMENT', /store must be an event store/);
  });
});

describe('commandHandler over a store shared by several deciders', () => {
  // A second aggregate whose events live in the same store as the account's.
  const Tagged = defineEvent('Tagged', z.object({ tag: z.string() }));
  type TagState = { tags: string[] };
  const tagger: Decider<TagState, { tag: string }, ReturnType<typeof Tagged>> = {
    initialState: () => ({ tags: [] }),
    evolve: (state, event) => ({ tags: [...state.tags, event.data.tag] }),
    decide: (command) => Tagged({ tag: command.tag }),
  };

  it("takes a store whose event union is wider than the decider's, with no cast", async () => {
    const store = inMemoryEventStore({ events: [...accountEvents, Tagged] });
    const accounts = commandHandler(account, store);
    const tags = commandHandler(tagger, store);
    await accounts('acc-1', { type: 'Open', owner: 'ann' });
    const deposit = await accounts('acc-1', { type: 'Deposit', amount: 7 });
    const tagged = await tags('tag-1', { tag: 'vip' });
    expect(deposit.state).to.deep.include({ status: 'open', balance: 7 });
    expect(deposit.events.map((e) => e.type)).to.deep.equal(['Deposited']);
    expect(tagged.state.tags).to.deep.equal(['vip']);
    expect((await store.readAll()).events.map((e) => e.type)).to.deep.equal(['AccountOpened', 'Deposited', 'Tagged']);
  });

  it('still refuses, at compile time, a decider whose events the store does not know', () => {
    const store = inMemoryEventStore({ events: accountEvents });
    // @ts-expect-error Tagged is not among the store's events
    const make = () => commandHandler(tagger, store);
    expect(make).to.be.a('function');
  });
});

// The handler around a real store: the same suite on every backend (JetStream in test/jetstream).
for (const factory of storeFactories) commandHandlerContract(factory);

// Its cache of folded states, on the same backends (JetStream, with another process appending, in test/jetstream).
for (const factory of storeFactories) stateCacheContract(factory);
