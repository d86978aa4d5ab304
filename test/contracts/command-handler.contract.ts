// The command handler over a real store, on every backend: retries on
// conflicts, the caller's expected version, idempotent command ids (also
// after a restart), and, where several processes can write one log, two
// handlers in two processes racing on one stream.
import { expect } from 'chai';
import { commandHandler, type Decider } from '../../src/aggregates/index.js';
import { ConcurrencyError, type EventStore } from '../../src/eventstore/index.js';
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

const deposited = (amount: number) => Deposited({ amount, currency: 'EUR' });
const opened = AccountOpened({ owner: 'ann' });
const openCommand = { type: 'Open', owner: 'ann' } as const;

/** Counts decide calls: more than there were commands means some were decided again after a conflict. */
function countingDecides(): typeof account & { decided: number } {
  const counted = {
    ...account,
    decided: 0,
    decide: (c: AccountCommand, s: AccountState) => (counted.decided++, account.decide(c, s)),
  };
  return counted;
}

/** A promise each of `parties` callers awaits, settled once all of them have arrived. */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  return () => {
    if (++arrived === parties) release();
    return all;
  };
}

/** The store, with each append held at `arrive` first: appends that meet there race to the log together. */
function meetingBeforeAppend(store: EventStore<AccountEvent>, arrive: () => Promise<void>): EventStore<AccountEvent> {
  return new Proxy(store, {
    get(target, prop) {
      if (prop !== 'appendToStream') return Reflect.get(target, prop);
      return async (...args: Parameters<EventStore<AccountEvent>['appendToStream']>) => {
        await arrive();
        return target.appendToStream(...args);
      };
    },
  });
}

export function commandHandlerContract(factory: StoreFactory): void {
  describe(`commandHandler (${factory.name})`, () => {
    let f: StoreFixture;
    beforeEach(async () => (f = await factory.create()));
    afterEach(() => f.cleanup());

    it('retries on a conflict with the state that includes the other writer', async () => {
      const store = f.store;
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
      const store = f.store;
      await store.appendToStream('a', opened);
      const alwaysRaced: Decider<AccountState, { type: 'Deposit'; amount: number }, AccountEvent> = {
        ...account,
        decide(command, state) {
          void store.appendToStream('a', deposited(1));
          return account.decide(command, state);
        },
      };
      const told: [unknown, number, string][] = [];
      const onRetry = (e: ConcurrencyError, retry: number, streamId: string) => told.push([e, retry, streamId]);
      const err = await commandHandler(alwaysRaced, store, { retries: 2, onRetry })('a', {
        type: 'Deposit',
        amount: 3,
      }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ConcurrencyError);
      // Told before each of the two retries, not for the conflict it gave up on.
      expect(told.map(([e, retry, streamId]) => [e instanceof ConcurrencyError, retry, streamId])).to.deep.equal([
        [true, 1, 'a'],
        [true, 2, 'a'],
      ]);
      expect(
        (await store.readStream('a')).events.filter((e) => e.type === 'Deposited' && e.data.amount === 3),
      ).to.have.length(0);
    });

    it("reports a mismatch with the caller's expected version instead of retrying", async () => {
      const handle = commandHandler(account, f.store);
      await handle('a', openCommand);
      const ok = await handle('a', { type: 'Deposit', amount: 1 }, { expectedVersion: 1 });
      expect(ok.nextExpectedVersion).to.equal(2);
      const err = await handle('a', { type: 'Deposit', amount: 1 }, { expectedVersion: 1 }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ConcurrencyError).and.include({ expected: 1, actual: 2 });
    });

    it('returns the original result for a command id it has applied, without deciding again', async () => {
      const handle = commandHandler(account, f.store);
      const first = await handle('a', openCommand, { commandId: 'open-1', correlationId: 'req-1' });
      // Deciding again would throw "already open": the retry must not get that far.
      const retry = await handle('a', openCommand, { commandId: 'open-1' });
      expect(retry.alreadyApplied).to.equal(true);
      expect(retry.events).to.deep.equal(first.events);
      expect(retry.state).to.deep.equal(first.state);
      expect(first.events[0]!.meta).to.include({ commandId: 'open-1', correlationId: 'req-1' });
    });

    it('recognises a command id applied before a restart, without deciding again', async () => {
      const first = await commandHandler(account, f.store)('a', openCommand, { commandId: 'open-1' });
      await commandHandler(account, f.store)('a', { type: 'Deposit', amount: 5 }, { commandId: 'deposit-1' });
      const handle = commandHandler(account, await f.reopen());
      const retry = await handle('a', openCommand, { commandId: 'open-1' });
      expect(retry).to.deep.include({ alreadyApplied: true, nextExpectedVersion: 1, events: first.events });
      // The state now: the retry reports it, including what came after the command.
      expect(retry.state).to.deep.equal({ status: 'open', owner: 'ann', balance: 5, movements: 1 });
      expect((await handle('a', { type: 'Deposit', amount: 5 }, { commandId: 'deposit-1' })).alreadyApplied).to.equal(
        true,
      );
      expect(await f.store.streamVersion('a')).to.equal(2);
    });

    it('accepts a command that decides no events and appends nothing', async () => {
      const idle: Decider<AccountState, 'noop', AccountEvent> = { ...account, decide: () => [] };
      const result = await commandHandler(idle, f.store)('a', 'noop');
      expect(result).to.deep.include({ events: [], nextExpectedVersion: 0, alreadyApplied: false });
      expect(await f.store.log.nextOffset()).to.equal(0);
    });
  });

  if (factory.multiWriter)
    describe(`commandHandler in two processes on one log (${factory.name})`, () => {
      const shared = useSharedFixture(factory);
      let f: SharedFixture;
      let other: EventStore<AccountEvent>;
      beforeEach(async () => {
        f = shared();
        other = (await f.another({ cachedStreams: 0 })).store;
      });

      it('applies every command of two racing handlers exactly once, in strictly sequential versions; losers decide again', async () => {
        const decider = countingDecides();
        const here = commandHandler(decider, f.store, { retries: 100 });
        const there = commandHandler(decider, other, { retries: 100 });
        await here('acc', openCommand);
        const deposits = 30;
        const command = (i: number) => ({ type: 'Deposit', amount: i + 1 }) as const;
        await Promise.all(
          Array.from({ length: deposits }, (_, i) => (i % 2 ? there : here)('acc', command(i), { commandId: `d${i}` })),
        );
        const { events, version } = await f.store.readStream('acc');
        expect(version).to.equal(deposits + 1);
        expect(events.map((e) => e.meta.streamVersion)).to.deep.equal(
          Array.from({ length: deposits + 1 }, (_, i) => i + 1),
        );
        expect(
          events
            .slice(1)
            .map((e) => e.meta.commandId)
            .sort(),
        ).to.deep.equal(Array.from({ length: deposits }, (_, i) => `d${i}`).sort());
        expect(
          events
            .slice(1)
            .map((e) => (e.data as { amount: number }).amount)
            .sort((a, b) => a - b),
        ).to.deep.equal(Array.from({ length: deposits }, (_, i) => i + 1));
        expect(decider.decided).to.be.greaterThan(deposits + 1);
        // Each command sent again to the other process: recognised there, nothing appended.
        const resent = await Promise.all(
          Array.from({ length: deposits }, (_, i) => (i % 2 ? here : there)('acc', command(i), { commandId: `d${i}` })),
        );
        expect(resent.filter((r) => !r.alreadyApplied)).to.have.length(0);
        expect(resent.map((r) => r.events[0]!.meta.commandId)).to.deep.equal(
          Array.from({ length: deposits }, (_, i) => `d${i}`),
        );
        expect(await other.streamVersion('acc')).to.equal(deposits + 1);
      });

      it('applies a command sent to both processes at once (same command id) once; both answer with its events', async () => {
        // Both load the empty stream and decide before either appends; then the appends race.
        const meet = barrier(2);
        const here = commandHandler(account, meetingBeforeAppend(f.store, meet));
        const there = commandHandler(account, meetingBeforeAppend(other, meet));
        const results = await Promise.all([
          here('acc', openCommand, { commandId: 'open' }),
          there('acc', openCommand, { commandId: 'open' }),
        ]);
        expect(results.map((r) => r.alreadyApplied).sort()).to.deep.equal([false, true]);
        expect(results[0].events).to.deep.equal(results[1].events);
        expect(results[0].state).to.deep.equal(results[1].state);
        expect(await other.streamVersion('acc')).to.equal(1);
      });
    });
}
