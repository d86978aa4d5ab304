// Snapshots: every N events into their own compacted log; a load reads the
// snapshot plus the newer events and must equal a full replay. On every
// backend, the snapshots beside the events (same directory, memory, or a
// JetStream stream of their own); where several processes write one log,
// handlers in two processes sharing the snapshots.
import { expect } from 'chai';
import fc from 'fast-check';
import { aggregateStream, commandHandler, type Decider } from '../../src/aggregates/index.js';
import { account, type AccountCommand, type AccountEvent, type AccountState } from '../eventstore/fixtures/account.js';
import { useSharedFixture, type ProcessStores, type StoreFactory, type StoreFixture } from './event-stores.js';

/** Counts evolve calls, to see how much of the stream a load replayed. */
function counting<S, C, E extends AccountEvent>(decider: Decider<S, C, E>): Decider<S, C, E> & { evolved: number } {
  const counted = { ...decider, evolved: 0, evolve: (s: S, e: E) => (counted.evolved++, decider.evolve(s, e)) };
  return counted;
}

async function run(stores: ProcessStores, commands: AccountCommand[], every: number, decider = account): Promise<void> {
  const handle = commandHandler(decider, stores.store, { snapshots: { store: stores.snapshots, every } });
  for (const command of commands) await handle('acc', command).catch(() => undefined);
}

const deposits = (n: number): AccountCommand[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'Deposit', amount: i + 1 }));

/** Opens the fixture's snapshots as the tests use them: compacted in the background every 5 saves. */
async function storesOf(f: StoreFixture): Promise<ProcessStores> {
  return { store: f.store, snapshots: await f.snapshots({ compactEvery: 5 }) };
}

export function snapshotsContract(factory: StoreFactory): void {
  describe(`snapshots (${factory.name})`, () => {
    let f: StoreFixture;
    let stores: ProcessStores;
    beforeEach(async () => {
      f = await factory.create();
      stores = await storesOf(f);
    });
    afterEach(() => f.cleanup());

    it('are taken every N events and make a load replay only the newer events', async () => {
      await run(stores, [{ type: 'Open', owner: 'ann' }, ...deposits(24)], 10);
      expect(await stores.snapshots.load('acc')).to.include({ stateVersion: 1, streamVersion: 20 });
      const decider = counting(account);
      const loaded = await aggregateStream(stores.store, 'acc', decider, { snapshots: { store: stores.snapshots } });
      expect(decider.evolved).to.equal(5);
      expect(loaded).to.include({ version: 25, snapshotVersion: 20 });
      const full = await aggregateStream(stores.store, 'acc', account);
      expect(loaded.state).to.deep.equal(full.state);
      expect(loaded.position).to.equal(full.position);
    });

    it('of an older state shape are ignored, never fed to new code, and replaced', async () => {
      await run(stores, [{ type: 'Open', owner: 'ann' }, ...deposits(9)], 5);
      expect(await stores.snapshots.load('acc')).to.include({ stateVersion: 1, streamVersion: 10 });
      type Cents = { cents: number };
      const inCents: Decider<Cents, AccountCommand, AccountEvent> = {
        stateVersion: 2,
        initialState: () => ({ cents: 0 }),
        evolve: (s, e) => (e.type === 'Deposited' ? { cents: s.cents + e.data.amount * 100 } : s),
        decide: (c) =>
          c.type === 'Deposit' ? [{ type: 'Deposited', data: { amount: c.amount, currency: 'EUR' } }] : [],
      };
      const counted = counting(inCents);
      const loaded = await aggregateStream(stores.store, 'acc', counted, { snapshots: { store: stores.snapshots } });
      expect(loaded.state).to.deep.equal({ cents: 4500 });
      expect(counted.evolved).to.equal(10);
      await commandHandler(inCents, stores.store, { snapshots: { store: stores.snapshots, every: 5 } })('acc', {
        type: 'Deposit',
        amount: 1,
      });
      expect(await stores.snapshots.load('acc')).to.deep.include({
        stateVersion: 2,
        streamVersion: 11,
        state: { cents: 4600 },
      });
    });

    it('that cannot be used are ignored: ahead of the stream, or rejected by fromJSON', async () => {
      await run(stores, [{ type: 'Open', owner: 'ann' }, ...deposits(3)], 100);
      await stores.snapshots.save('acc', {
        stateVersion: 1,
        streamVersion: 99,
        position: 500,
        state: { status: 'none' },
      });
      const full = await aggregateStream(stores.store, 'acc', account);
      expect(
        (await aggregateStream(stores.store, 'acc', account, { snapshots: { store: stores.snapshots } })).state,
      ).to.deep.equal(full.state);
      await stores.snapshots.save('acc', { stateVersion: 1, streamVersion: 2, position: 1, state: 'garbage' });
      const fromJSON = (json: unknown): AccountState => {
        if (typeof json !== 'object') throw new Error('not a state');
        return json as AccountState;
      };
      const loaded = await aggregateStream(stores.store, 'acc', account, {
        snapshots: { store: stores.snapshots, fromJSON },
      });
      expect(loaded).to.deep.include({ state: full.state, snapshotVersion: 0 });
    });

    it('keep a state JSON cannot hold through toJSON / fromJSON', async () => {
      type Seen = Map<string, number>;
      const byType: Decider<Seen, AccountCommand, AccountEvent> = {
        initialState: () => new Map(),
        evolve: (s, e) => new Map(s).set(e.type, (s.get(e.type) ?? 0) + 1),
        decide: (c, s) =>
          account.decide(
            c,
            s.has('AccountOpened') ? { status: 'open', owner: 'x', balance: 1e9, movements: 0 } : { status: 'none' },
          ),
      };
      const snapshots = {
        store: stores.snapshots,
        every: 2,
        toJSON: (s: Seen) => [...s],
        fromJSON: (j: unknown) => new Map(j as [string, number][]),
      };
      const handle = commandHandler(byType, stores.store, { snapshots });
      for (const command of [{ type: 'Open', owner: 'a' }, ...deposits(4)] as AccountCommand[])
        await handle('acc', command);
      const loaded = await aggregateStream(stores.store, 'acc', byType, { snapshots });
      expect(loaded.snapshotVersion).to.equal(4);
      expect([...loaded.state]).to.deep.equal([
        ['AccountOpened', 1],
        ['Deposited', 4],
      ]);
    });

    it('are compacted to the newest per stream', async () => {
      await run(stores, [{ type: 'Open', owner: 'ann' }, ...deposits(19)], 1);
      await stores.snapshots.compact();
      const { messages } = await stores.snapshots.log.consume(-2, 100);
      expect(messages).to.have.length(1);
      expect(await stores.snapshots.load('acc')).to.include({ streamVersion: 20 });
    });

    it('snapshot + tail load equals full replay over random command sequences', async () => {
      const command = fc.oneof(
        fc.record({ type: fc.constant('Open' as const), owner: fc.constantFrom('ann', 'bob') }),
        fc.record({ type: fc.constant('Deposit' as const), amount: fc.integer({ min: 1, max: 100 }) }),
        fc.record({ type: fc.constant('Withdraw' as const), amount: fc.integer({ min: 1, max: 150 }) }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(command, { maxLength: 60 }),
          fc.integer({ min: 1, max: 12 }),
          async (commands, every) => {
            const g = await factory.create();
            try {
              const s = await storesOf(g);
              await run(s, commands, every);
              const withSnapshot = await aggregateStream(s.store, 'acc', account, {
                snapshots: { store: s.snapshots },
              });
              const replayed = await aggregateStream(s.store, 'acc', account);
              expect(withSnapshot.state).to.deep.equal(replayed.state);
              expect(withSnapshot.version).to.equal(replayed.version);
              // The handler decided on the same states a replay gives: the pure fold agrees.
              const events = (await s.store.readStream('acc')).events;
              expect(events.reduce(account.evolve, account.initialState())).to.deep.equal(replayed.state);
            } finally {
              await g.cleanup();
            }
          },
        ),
        // Each run opens fresh logs: as many runs as each backend opens quickly.
        { numRuns: { memory: 60, disk: 8, server: 20 }[factory.kind] },
      );
    });
  });

  if (factory.multiWriter)
    describe(`snapshots shared by two processes (${factory.name})`, () => {
      const shared = useSharedFixture(factory);

      it('are taken by handlers in both; a load in either, or in a third process, equals a full replay', async () => {
        const f = shared();
        const here: ProcessStores = { store: f.store, snapshots: await f.snapshots() };
        const there = await f.another({ cachedStreams: 0 });
        const [first, second] = [here, there].map((p) =>
          commandHandler(account, p.store, { retries: 100, snapshots: { store: p.snapshots, every: 3 } }),
        );
        await first('acc', { type: 'Open', owner: 'ann' });
        await Promise.all(deposits(30).map((command, i) => (i % 2 ? second : first)('acc', command)));
        const full = await aggregateStream(here.store, 'acc', account);
        expect(full.version).to.equal(31);
        for (const p of [here, there, await f.another({ cachedStreams: 0 })]) {
          const decider = counting(account);
          const loaded = await aggregateStream(p.store, 'acc', decider, { snapshots: { store: p.snapshots } });
          expect(loaded).to.deep.include({ state: full.state, version: 31, position: full.position });
          expect(loaded.snapshotVersion).to.be.greaterThan(0);
          expect(decider.evolved).to.equal(31 - loaded.snapshotVersion);
        }
      });
    });
}
