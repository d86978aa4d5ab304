// Group append: appends to different streams that are ready together share
// one publish of the log. What must not change: an append the log refuses
// fails alone, and an append handed to the store before close() is written.
import { expect } from 'chai';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LogEventStore, MemoryLog, openEventStore } from '../../src/eventstore/index.js';
import type { PublishMessage } from '../../src/index.js';
import { storeFactories, type StoreFixture } from '../contracts/event-stores.js';
import { accountEvents, AccountOpened, Deposited } from './fixtures/account.js';

for (const factory of storeFactories) {
  describe(`group append (${factory.name})`, () => {
    let f: StoreFixture;
    beforeEach(async () => (f = await factory.create()));
    afterEach(() => f.cleanup());

    it('fails an append the log refuses (over its 64 MiB message limit) alone: the appends beside it are stored', async function () {
      this.timeout(60_000);
      const huge = AccountOpened({ owner: 'x'.repeat(64 * 1024 * 1024) });
      const before = await f.store.log.nextOffset();
      const outcomes = await Promise.allSettled([
        f.store.appendToStream('a', AccountOpened({ owner: 'ann' })),
        f.store.appendToStream('huge', [AccountOpened({ owner: 'bob' }), huge]),
        f.store.appendToStream('b', [AccountOpened({ owner: 'cy' }), Deposited({ amount: 1, currency: 'EUR' })]),
      ]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
      const err = (outcomes[1] as PromiseRejectedResult).reason as Error & { code?: string };
      expect(err.code).to.equal('ERR_INVALID_ARGUMENT');
      // Named as the append's own second message: it was published alone.
      expect(err.message).to.match(/messages\[1\].*64 MiB/);
      expect(await f.store.streamVersion('huge')).to.equal(0);
      expect((await f.store.readStream('a')).events.map((e) => e.type)).to.deep.equal(['AccountOpened']);
      expect((await f.store.readStream('b')).version).to.equal(2);
      expect(await f.store.log.nextOffset()).to.equal(before + 3);
    });

    it('writes the appends handed to it before close(), and keeps them across a restart (on disk)', async () => {
      const streams = ['s1', 's2', 's3', 's4'];
      for (const s of streams) await f.store.appendToStream(s, AccountOpened({ owner: s }));
      // Heads known: each append below reaches its publish before close() is called.
      const pending = streams.map((s) => f.store.appendToStream(s, Deposited({ amount: 2, currency: 'EUR' })));
      const closed = f.store.close();
      const results = await Promise.all(pending);
      await closed;
      expect(results.map((r) => r.nextExpectedVersion)).to.deep.equal([2, 2, 2, 2]);
      // A closed in-memory store took its log with it: only a log on disk has a restart to check.
      if (factory.kind === 'memory') return;
      const store = await f.reopen();
      for (const s of streams) expect(await store.streamVersion(s), s).to.equal(2);
    });
  });
}

describe('group append with autoSync', () => {
  it('acknowledges appends to many streams in flight together, each at its own version, all there after a restart', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klevdb-group-sync-'));
    try {
      const open = () => openEventStore(dir, { events: accountEvents, log: { autoSync: true } });
      const store = await open();
      const streams = Array.from({ length: 20 }, (_, i) => `s${i}`);
      for (let round = 1; round <= 3; round++) {
        const results = await Promise.all(
          streams.map((s) => store.appendToStream(s, Deposited({ amount: round, currency: 'EUR' }))),
        );
        expect(results.map((r) => r.nextExpectedVersion)).to.deep.equal(streams.map(() => round));
      }
      await store.close();
      const reopened = await open();
      try {
        for (const s of streams) {
          const { events } = await reopened.readStream(s);
          expect(
            events.map((e) => (e.data as { amount: number }).amount),
            s,
          ).to.deep.equal([1, 2, 3]);
        }
      } finally {
        await reopened.close();
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('group append over a log whose publish throws', () => {
  it('rejects the appends with the error instead of throwing in the process tick', async () => {
    class Throwing extends MemoryLog {
      override publish(messages: PublishMessage[]): Promise<number> {
        if (messages.length > 0) throw new Error('disk on fire');
        return super.publish(messages);
      }
    }
    const store = new LogEventStore(new Throwing(), { events: accountEvents });
    const outcomes = await Promise.allSettled([
      store.appendToStream('a', AccountOpened({ owner: 'ann' })),
      store.appendToStream('b', AccountOpened({ owner: 'bob' })),
    ]);
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as Error).message)).to.deep.equal([
      'disk on fire',
      'disk on fire',
    ]);
    expect(await store.streamVersion('a')).to.equal(0);
    await store.close();
  });
});
