// The command handler's cache of folded states (cachedStates): a command
// evolves only the events appended since the cached version, and the state
// it decides on is never stale: not after another writer of this store or
// another process appends, not when a concurrent command wins the append,
// not when a snapshot of an older state shape is lying around.
import { expect } from 'chai';
import { aggregateStream, commandHandler, type Decider } from '../../src/aggregates/index.js';
import type { EventStore } from '../../src/eventstore/index.js';
import {
  account,
  AccountOpened,
  Deposited,
  InsufficientFunds,
  Withdrawn,
  type AccountCommand,
  type AccountEvent,
  type AccountState,
} from '../eventstore/fixtures/account.js';
import { useSharedFixture, type SharedFixture, type StoreFactory, type StoreFixture } from './event-stores.js';

/** Counts evolve calls: how many events a command folded. */
function counting(decider: Decider<AccountState, AccountCommand, AccountEvent> = account) {
  const counted = {
    ...decider,
    evolved: 0,
    evolve: (s: AccountState, e: AccountEvent) => (counted.evolved++, decider.evolve(s, e)),
  };
  return counted;
}

const deposit = (amount: number): AccountCommand => ({ type: 'Deposit', amount });

/** The state a full replay of the stream gives, at the version it reaches. */
async function replayed(store: EventStore<AccountEvent>, streamId: string) {
  const { state, version } = await aggregateStream(store, streamId, account);
  return { state, version };
}

export function stateCacheContract(factory: StoreFactory): void {
  describe(`commandHandler state cache (${factory.name})`, () => {
    let f: StoreFixture;
    beforeEach(async () => (f = await factory.create()));
    afterEach(() => f.cleanup());

    it('folds only the events appended since, also on a stream longer than the store keeps decoded', async () => {
      const events = 1_200;
      await f.store.appendToStream('a', [
        AccountOpened({ owner: 'ann' }),
        ...Array.from({ length: events - 1 }, () => Deposited({ amount: 1, currency: 'EUR' })),
      ]);
      const decider = counting();
      const handle = commandHandler(decider, f.store);
      await handle('a', deposit(1));
      expect(decider.evolved).to.equal(events + 1); // the first load folds the stream, then the new event
      for (let i = 0; i < 5; i++) await handle('a', deposit(1));
      expect(decider.evolved).to.equal(events + 6);
      const last = await handle('a', deposit(1));
      expect(last.state).to.deep.equal((await replayed(f.store, 'a')).state);
      expect(last.state).to.include({ balance: events + 6, movements: events + 6 });
    });

    it('includes events appended outside the handler, and a competing handler that wins the append', async () => {
      const mine = counting();
      const handle = commandHandler(mine, f.store);
      const other = commandHandler(account, f.store);
      await handle('a', { type: 'Open', owner: 'ann' });
      await handle('a', deposit(10));
      await f.store.appendToStream('a', Deposited({ amount: 5, currency: 'EUR' }));
      await other('a', deposit(7));
      const result = await handle('a', { type: 'Withdraw', amount: 22 });
      expect(result.state)
        .to.include({ balance: 0, movements: 4 })
        .and.deep.equal((await replayed(f.store, 'a')).state);
      // Another writer gets in between this handler's load and its append: the retry folds its event in.
      let sneak = 0;
      const raced: Decider<AccountState, AccountCommand, AccountEvent> = {
        ...account,
        decide(command, state) {
          if (sneak-- > 0) void f.store.appendToStream('a', Withdrawn({ amount: 1 }));
          return account.decide(command, state);
        },
      };
      const racedHandle = commandHandler(raced, f.store, { retries: 5 });
      await racedHandle('a', deposit(1)); // caches balance 1
      sneak = 1;
      const refused = await racedHandle('a', { type: 'Withdraw', amount: 1 }).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(InsufficientFunds); // decided again on balance 0, not the cached 1
      expect((await racedHandle('a', deposit(2))).state).to.include({ balance: 2, movements: 7 });
    });

    it('keeps every result exact under concurrent commands on one stream', async () => {
      const handle = commandHandler(account, f.store, { retries: 100 });
      await handle('a', { type: 'Open', owner: 'ann' });
      const other = commandHandler(account, f.store, { retries: 100 });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 3 ? handle : other)('a', deposit(i + 1))),
      );
      const { events } = await f.store.readStream('a');
      for (const r of results) {
        // Each state is the fold of exactly the events up to its own version.
        let state = account.initialState();
        for (const e of events.slice(0, r.nextExpectedVersion)) state = account.evolve(state, e);
        expect(r.state).to.deep.equal(state);
      }
      expect((await handle('a', deposit(1))).state).to.include({ balance: 211, movements: 21 });
    });

    it('ignores a snapshot of an older state shape, with and without a cached state', async () => {
      const snapshots = await f.snapshots();
      await commandHandler(account, f.store)('a', { type: 'Open', owner: 'ann' });
      // Saved by older code: its state has another shape, and it claims a wrong balance.
      await snapshots.save('a', {
        stateVersion: 1,
        streamVersion: 1,
        position: 0,
        state: { status: 'open', owner: 'ann', balance: 1000 },
      });
      const v2 = counting({ ...account, stateVersion: 2 });
      const handle = commandHandler(v2, f.store, { snapshots: { store: snapshots, every: 2 } });
      for (let i = 0; i < 5; i++) await handle('a', deposit(1));
      const result = await handle('a', { type: 'Withdraw', amount: 5 });
      expect(result.state)
        .to.include({ balance: 0, movements: 6 })
        .and.deep.equal((await replayed(f.store, 'a')).state);
      expect(v2.evolved).to.equal(1 + 6); // one full load, then only each command's own event
      expect(await snapshots.load('a')).to.include({ stateVersion: 2, streamVersion: 6 }); // every 2 from the full load at 1
      // A fresh handler starts from the snapshot of its shape and gets the same state.
      expect(
        (await commandHandler(v2, f.store, { snapshots: { store: snapshots } })('a', deposit(2))).state,
      ).to.include({ balance: 2, movements: 7 });
    });

    it('keeps the state a rejected command loaded: the next command folds only what was appended since', async () => {
      await f.store.appendToStream('a', [AccountOpened({ owner: 'ann' }), Deposited({ amount: 3, currency: 'EUR' })]);
      const decider = counting();
      const handle = commandHandler(decider, f.store);
      const refused = await handle('a', { type: 'Withdraw', amount: 5 }).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(InsufficientFunds);
      expect(decider.evolved).to.equal(2);
      await f.store.appendToStream('a', Deposited({ amount: 2, currency: 'EUR' }));
      expect((await handle('a', { type: 'Withdraw', amount: 5 })).state).to.include({ balance: 0, movements: 3 });
      expect(decider.evolved).to.equal(2 + 1 + 1); // the deposit appended outside, then the withdrawal
    });

    it('with cachedStates 0 folds the whole stream for every command', async () => {
      const decider = counting();
      const handle = commandHandler(decider, f.store, { cachedStates: 0 });
      await handle('a', { type: 'Open', owner: 'ann' });
      await handle('a', deposit(1));
      await handle('a', deposit(1));
      expect(decider.evolved).to.equal(1 + 2 + 3);
    });
  });

  if (factory.multiWriter)
    describe(`commandHandler state cache, another process appends (${factory.name})`, () => {
      const shared = useSharedFixture(factory);
      let f: SharedFixture;
      beforeEach(() => (f = shared()));

      it('decides on the events the other process appended since the state was cached', async () => {
        const other = (await f.another()).store;
        const handle = commandHandler(account, f.store);
        const there = commandHandler(account, other);
        await handle('a', { type: 'Open', owner: 'ann' });
        await handle('a', deposit(10));
        await there('a', deposit(5));
        await other.appendToStream('a', Deposited({ amount: 1, currency: 'EUR' }));
        const result = await handle('a', { type: 'Withdraw', amount: 16 });
        expect(result.state).to.include({ balance: 0, movements: 4 });
        expect(result.nextExpectedVersion).to.equal(5);
        expect((await there('a', deposit(2))).state).to.include({ balance: 2, movements: 5 });
        expect((await handle('a', deposit(3))).state)
          .to.include({ balance: 5, movements: 6 })
          .and.deep.equal((await replayed(other, 'a')).state);
      });
    });
}
