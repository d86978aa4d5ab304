// Where a store's history starts and ends: the head position a live
// subscriber starts from, and streams whose history was partly destroyed
// (compacted, trimmed or deleted), which the store refuses to fold.
import { expect } from 'chai';
import { firstValueFrom, take, toArray } from 'rxjs';
import { AccountOpened, Deposited } from './fixtures/account.js';
import type { StoreFactory, StoreFixture } from './fixtures/stores.js';

export function historyContract(factory: StoreFactory): void {
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
      const appended = await f.store.appendToStream('b', [Deposited({ amount: 2, currency: 'EUR' }), Deposited({ amount: 3, currency: 'EUR' })]);
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
}
