// Where a store's history starts and ends: the head position a live
// subscriber starts from, and streams whose history was partly destroyed
// (compacted, trimmed or deleted), which the store refuses to fold.
import { expect } from 'chai';
import { firstValueFrom, take, toArray } from 'rxjs';
import { commandHandler } from '../../src/aggregates/index.js';
import { StreamGapError } from '../../src/eventstore/index.js';
import { account, AccountOpened, Deposited } from '../eventstore/fixtures/account.js';
import type { StoreFactory, StoreFixture } from './event-stores.js';

export function eventStoreHistoryContract(factory: StoreFactory): void {
  describe(`head position (${factory.name})`, () => {
    let f: StoreFixture;
    beforeEach(async () => (f = await factory.create()));
    afterEach(() => f.cleanup());

    it('is the position the next event gets: a subscription from it sees only what is appended afterwards', async () => {
      expect(await f.store.headPosition()).to.equal(0);
      await f.store.appendToStream('a', [AccountOpened({ owner: 'x' }), Deposited({ amount: 1, currency: 'EUR' })]);
      await f.store.appendToStream('b', AccountOpened({ owner: 'y' }));
      const head = await f.store.headPosition();
      expect(head).to.equal(3);
      expect((await f.store.readAll({ fromPosition: head })).events).to.deep.equal([]);
      const live = firstValueFrom(f.store.subscribeToAll({ fromPosition: head }).pipe(take(2), toArray()));
      const appended = await f.store.appendToStream('b', [
        Deposited({ amount: 2, currency: 'EUR' }),
        Deposited({ amount: 3, currency: 'EUR' }),
      ]);
      expect(appended.events[0]!.meta.position).to.equal(head);
      expect((await live).map((e) => `${e.meta.streamId}@${e.meta.streamVersion}`)).to.deep.equal(['b@2', 'b@3']);
      expect(await f.store.headPosition()).to.equal(5);
    });

    it('survives a restart, and fails with ERR_CLOSED on a closed store', async () => {
      await f.store.appendToStream('a', AccountOpened({ owner: 'x' }));
      const store = await f.reopen();
      expect(await store.headPosition()).to.equal(1);
      await store.close();
      const err = await store.headPosition().catch((e: unknown) => e);
      expect(err).to.have.property('code', 'ERR_CLOSED');
    });
  });

  describe(`streams with destroyed history (${factory.name})`, () => {
    let f: StoreFixture;
    beforeEach(async () => (f = await factory.create()));
    afterEach(() => f.cleanup());

    /** Stream a: versions 1..6 at positions 0..5; stream b: versions 1..2 at 6..7. */
    async function fill(): Promise<void> {
      await f.store.appendToStream('a', [
        AccountOpened({ owner: 'x' }),
        ...[1, 2, 3, 4, 5].map((n) => Deposited({ amount: n, currency: 'EUR' })),
      ]);
      await f.store.appendToStream('b', [AccountOpened({ owner: 'y' }), Deposited({ amount: 9, currency: 'EUR' })]);
    }

    /** Deletes behind the store's back (as klevdb delete / compact / trim would), then restarts it. */
    async function destroy(positions: number[]): Promise<void> {
      await f.store.log.delete(positions);
      await f.reopen();
    }

    async function expectGap(
      call: () => Promise<unknown>,
      streamId: string,
      missing: Array<[number, number]>,
      text: string,
    ): Promise<void> {
      const err = await call().then(
        () => expect.fail('expected ERR_STREAM_GAP, but the call succeeded'),
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(StreamGapError).and.include({ code: 'ERR_STREAM_GAP', streamId });
      expect((err as StreamGapError).missing).to.deep.equal(missing.map(([from, to]) => ({ from, to })));
      expect((err as Error).message).to.include(`stream "${streamId}" is missing ${text}`);
    }

    it('refuses to read or fold a stream with versions missing in the middle, naming them; other streams read on', async () => {
      await fill();
      await destroy([1, 3, 4]);
      await expectGap(
        () => f.store.readStream('a'),
        'a',
        [
          [2, 2],
          [4, 5],
        ],
        'versions 2, 4..5',
      );
      const head = await f.store.headPosition();
      const handle = commandHandler(account, f.store);
      await expectGap(
        () => handle('a', { type: 'Withdraw', amount: 1 }),
        'a',
        [
          [2, 2],
          [4, 5],
        ],
        'versions 2, 4..5',
      );
      expect(await f.store.headPosition(), 'no decision, no append').to.equal(head);
      expect((await f.store.readStream('b')).version).to.equal(2);
      expect((await handle('b', { type: 'Deposit', amount: 1 })).state).to.deep.include({ balance: 10 });
    });

    it('a command with an id on a stream with a gap still refuses it: the id lookup that read the stream caches nothing of it', async () => {
      await fill();
      await destroy([2]);
      const handle = commandHandler(account, f.store);
      await expectGap(
        () => handle('a', { type: 'Deposit', amount: 1 }, { commandId: 'pay-1' }),
        'a',
        [[3, 3]],
        'version 3',
      );
      expect(await f.store.appliedCommand('a', 'pay-1'), 'nothing appended').to.equal(undefined);
      await expectGap(() => f.store.readStream('a'), 'a', [[3, 3]], 'version 3');
    });

    it('refuses a stream whose first versions are gone (compacted down to its newest event), also when subscribing', async () => {
      await fill();
      await destroy([0, 1, 2, 3, 4]);
      await expectGap(() => f.store.readStream('a'), 'a', [[1, 5]], 'versions 1..5');
      await expectGap(() => f.store.readStream('a', { fromVersion: 4 }), 'a', [[4, 5]], 'versions 4..5');
      // What is asked for is whole: versions before it are not the reader's concern.
      expect((await f.store.readStream('a', { fromVersion: 6 })).events.map((e) => e.meta.streamVersion)).to.deep.equal(
        [6],
      );
      await expectGap(
        () => firstValueFrom(f.store.subscribeToStream('a', { live: false }).pipe(toArray())),
        'a',
        [[1, 5]],
        'versions 1..5',
      );
      // Reading from a position on promises nothing about what came before it.
      expect(
        (await f.store.readStream('a', { fromPosition: 5 })).events.map((e) => e.meta.streamVersion),
      ).to.deep.equal([6]);
    });

    it('a read from a position with a version finds the versions it skips behind the position, and names one destroyed at it', async () => {
      await fill();
      const versions = (events: Array<{ meta: { streamVersion: number } }>) => events.map((e) => e.meta.streamVersion);
      const subscribed = (options: { fromVersion: number; fromPosition: number }) =>
        firstValueFrom(f.store.subscribeToStream('a', { ...options, live: false }).pipe(toArray()));
      // Versions 1..3 of a lie before position 3: not a gap, whatever fromVersion says.
      expect(versions((await f.store.readStream('a', { fromVersion: 1, fromPosition: 3 })).events)).to.deep.equal([
        4, 5, 6,
      ]);
      expect(versions(await subscribed({ fromVersion: 1, fromPosition: 3 }))).to.deep.equal([4, 5, 6]);
      expect(
        versions((await f.store.readStream('a', { fromVersion: 1, fromPosition: 3, maxCount: 1 })).events),
      ).to.deep.equal([4]);
      await destroy([3]);
      await expectGap(() => f.store.readStream('a', { fromVersion: 1, fromPosition: 3 }), 'a', [[4, 4]], 'version 4');
      await expectGap(() => subscribed({ fromVersion: 1, fromPosition: 3 }), 'a', [[4, 4]], 'version 4');
    });

    it('folds from a snapshot at version k with only k+1..n, and refuses when one of those is missing', async () => {
      const snapshots = await f.snapshots();
      const handle = commandHandler(account, f.store, { snapshots: { store: snapshots, every: 3 } });
      await handle('a', { type: 'Open', owner: 'x' });
      await handle('a', { type: 'Deposit', amount: 1 });
      await handle('a', { type: 'Deposit', amount: 2 }); // snapshot at version 3
      await handle('a', { type: 'Deposit', amount: 3 });
      await handle('a', { type: 'Deposit', amount: 4 });
      expect(await snapshots.load('a')).to.include({ streamVersion: 3 });
      await destroy([0, 1, 2]);
      const fromSnapshot = commandHandler(account, f.store, { snapshots: { store: snapshots, every: 100 } });
      expect((await fromSnapshot('a', { type: 'Deposit', amount: 5 })).state).to.deep.include({ balance: 15 });
      await destroy([3]);
      const again = commandHandler(account, f.store, { snapshots: { store: snapshots, every: 100 } });
      await expectGap(() => again('a', { type: 'Deposit', amount: 6 }), 'a', [[4, 4]], 'version 4');
    });
  });
}
