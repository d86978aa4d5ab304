// Deciders and the command handler, through the given/when/then helpers
// users get, and directly where the helpers cannot reach (retries, conflicts).
import { expect } from 'chai';
import {
  CommandHandlerSpecification,
  DeciderSpecification,
  commandHandler,
  type Decider,
} from '../../src/aggregates/index.js';
import { ConcurrencyError, InvalidEventError, inMemoryEventStore } from '../../src/eventstore/index.js';
import { account, accountEvents, AccountOpened, Deposited, InsufficientFunds, Withdrawn, type AccountEvent, type AccountState } from './fixtures/account.js';

const opened = AccountOpened({ owner: 'ann' });
const deposited = (amount: number) => Deposited({ amount, currency: 'EUR' });

describe('DeciderSpecification', () => {
  const given = DeciderSpecification.for(account);

  it('checks the events decide returns', () => {
    given([]).when({ type: 'Open', owner: 'ann' }).then([opened]);
    given(opened).when({ type: 'Deposit', amount: 5 }).then(deposited(5));
    given([opened, deposited(5)]).when({ type: 'Withdraw', amount: 5 }).thenState({ status: 'open', owner: 'ann', balance: 0, movements: 2 });
  });

  it('checks rejections by class, pattern or predicate', () => {
    given([opened]).when({ type: 'Withdraw', amount: 1 }).thenThrows(InsufficientFunds);
    given([]).when({ type: 'Deposit', amount: 1 }).thenThrows(/not open/);
    given([opened]).when({ type: 'Open', owner: 'bob' }).thenThrows((e) => e instanceof Error);
  });

  it('fails when the decider does something else', () => {
    expect(() => given([opened]).when({ type: 'Deposit', amount: 5 }).then(deposited(6))).to.throw(/deepStrictEqual|Expected values/);
    expect(() => given([opened]).when({ type: 'Deposit', amount: 5 }).thenThrows()).to.throw(/expected decide to throw/);
    expect(() => given([opened]).when({ type: 'Deposit', amount: 5 }).thenNothingHappened()).to.throw();
  });
});

describe('CommandHandlerSpecification', () => {
  const given = CommandHandlerSpecification.for(account, { events: accountEvents });

  it('runs the handler over a temporary log', async () => {
    await given([]).when({ type: 'Open', owner: 'ann' }).then([opened]);
    await given([opened, deposited(10)]).when({ type: 'Withdraw', amount: 4 }).then(Withdrawn({ amount: 4 }));
    await given([opened, deposited(10)]).when({ type: 'Withdraw', amount: 4 }).thenState({ status: 'open', owner: 'ann', balance: 6, movements: 2 });
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
    const err = await given([Deposited({ amount: -1, currency: 'EUR' })]).when({ type: 'Open', owner: 'x' }).thenThrows().catch((e: unknown) => e);
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

describe('commandHandler', () => {
  it('retries on a conflict with the state that includes the other writer', async () => {
    const store = inMemoryEventStore({ events: accountEvents });
    await store.appendToStream('a', [opened, deposited(10)]);
    let sneaked = false;
    // A writer that gets in between the handler's load and its append, once.
    const racing: Decider<AccountState, { type: 'Withdraw'; amount: number }, AccountEvent> = {
      ...account,
      decide(command, state) {
        if (!sneaked) {
          sneaked = true;
          void store.appendToStream('a', Withdrawn({ amount: 8 }));
        }
        return account.decide(command, state);
      },
    };
    const handle = commandHandler(racing, store, { retries: 1 });
    const err = await handle('a', { type: 'Withdraw', amount: 5 }).catch((e: unknown) => e);
    // The retry decided on balance 2, not 10.
    expect(err).to.be.instanceOf(InsufficientFunds);
    expect((await store.readStream('a')).version).to.equal(3);
  });

  it('gives up after the configured retries with the ConcurrencyError', async () => {
    const store = inMemoryEventStore({ events: accountEvents });
    await store.appendToStream('a', opened);
    const alwaysRaced: Decider<AccountState, { type: 'Deposit'; amount: number }, AccountEvent> = {
      ...account,
      decide(command, state) {
        void store.appendToStream('a', deposited(1));
        return account.decide(command, state);
      },
    };
    const err = await commandHandler(alwaysRaced, store, { retries: 2 })('a', { type: 'Deposit', amount: 3 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConcurrencyError);
    expect((await store.readStream('a')).events.filter((e) => e.type === 'Deposited' && e.data.amount === 3)).to.have.length(0);
  });

  it('reports a mismatch with the caller\'s expected version instead of retrying', async () => {
    const store = inMemoryEventStore({ events: accountEvents });
    const handle = commandHandler(account, store);
    await handle('a', { type: 'Open', owner: 'ann' });
    const ok = await handle('a', { type: 'Deposit', amount: 1 }, { expectedVersion: 1 });
    expect(ok.nextExpectedVersion).to.equal(2);
    const err = await handle('a', { type: 'Deposit', amount: 1 }, { expectedVersion: 1 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConcurrencyError).and.include({ expected: 1, actual: 2 });
  });

  it('returns the original result for a command id it has applied, without deciding again', async () => {
    const store = inMemoryEventStore({ events: accountEvents });
    const handle = commandHandler(account, store);
    const first = await handle('a', { type: 'Open', owner: 'ann' }, { commandId: 'open-1', correlationId: 'req-1' });
    // Deciding again would throw "already open": the retry must not get that far.
    const retry = await handle('a', { type: 'Open', owner: 'ann' }, { commandId: 'open-1' });
    expect(retry.alreadyApplied).to.equal(true);
    expect(retry.events).to.deep.equal(first.events);
    expect(retry.state).to.deep.equal(first.state);
    expect(first.events[0]!.meta).to.include({ commandId: 'open-1', correlationId: 'req-1' });
  });

  it('accepts a command that decides no events and appends nothing', async () => {
    const store = inMemoryEventStore({ events: accountEvents });
    const idle: Decider<AccountState, 'noop', AccountEvent> = { ...account, decide: () => [] };
    const result = await commandHandler(idle, store)('a', 'noop');
    expect(result).to.deep.include({ events: [], nextExpectedVersion: 0, alreadyApplied: false });
  });
});
