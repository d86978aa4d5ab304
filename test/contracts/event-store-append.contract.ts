// The append half of the event store contract: versions, optimistic
// concurrency, atomic multi-event appends and idempotent command ids.
import { expect } from 'chai';
import { commandHandler } from '../../src/aggregates/index.js';
import { ConcurrencyError, InvalidEventError } from '../../src/eventstore/index.js';
import { account, AccountOpened, Deposited, Withdrawn } from '../eventstore/fixtures/account.js';
import type { StoreFactory, StoreFixture } from './event-stores.js';

export function eventStoreAppendContract(factory: StoreFactory): void {
  describe(`appendToStream (${factory.name})`, () => {
    let f: StoreFixture;
    beforeEach(async () => (f = await factory.create()));
    afterEach(() => f.cleanup());

    it('numbers events from version 1 and records their metadata', async () => {
      const result = await f.store.appendToStream(
        'account-1',
        [AccountOpened({ owner: 'ann' }), Deposited({ amount: 5, currency: 'EUR' })],
        {
          commandId: 'c1',
          correlationId: 'corr',
          causationId: 'cause',
        },
      );
      expect(result.nextExpectedVersion).to.equal(2);
      expect(result.alreadyApplied).to.equal(false);
      expect(result.events.map((e) => e.meta.streamVersion)).to.deep.equal([1, 2]);
      const [first, second] = result.events;
      expect(second.meta.position).to.equal(first.meta.position + 1);
      expect(first.meta).to.include({
        streamId: 'account-1',
        commandId: 'c1',
        correlationId: 'corr',
        causationId: 'cause',
      });
      expect(first.meta.eventId).to.not.equal(second.meta.eventId);
      const read = await f.store.readStream('account-1');
      expect(read.version).to.equal(2);
      expect(read.events).to.deep.equal(result.events);
      expect(await f.store.streamVersion('account-1')).to.equal(2);
      expect(await f.store.streamVersion('account-2')).to.equal(0);
    });

    it('checks the expected version: any, no-stream, stream-exists and exact', async () => {
      const s = f.store;
      await s.appendToStream('a', AccountOpened({ owner: 'x' }), { expectedVersion: 'no-stream' });
      await s.appendToStream('a', Deposited({ amount: 1, currency: 'EUR' }), { expectedVersion: 1 });
      await s.appendToStream('a', Deposited({ amount: 1, currency: 'EUR' }), { expectedVersion: 'stream-exists' });
      await s.appendToStream('a', Deposited({ amount: 1, currency: 'EUR' }), { expectedVersion: 'any' });
      const conflict = await s
        .appendToStream('a', Withdrawn({ amount: 1 }), { expectedVersion: 2 })
        .catch((e: unknown) => e);
      expect(conflict).to.be.instanceOf(ConcurrencyError);
      expect(conflict).to.include({ streamId: 'a', expected: 2, actual: 4 });
      expect((conflict as Error).message).to.match(/expected version 2, actual version 4/);
      const exists = await s
        .appendToStream('a', Withdrawn({ amount: 1 }), { expectedVersion: 'no-stream' })
        .catch((e: unknown) => e);
      expect(exists).to.be.instanceOf(ConcurrencyError).and.include({ actual: 4 });
      const missing = await s
        .appendToStream('b', Withdrawn({ amount: 1 }), { expectedVersion: 'stream-exists' })
        .catch((e: unknown) => e);
      expect(missing).to.be.instanceOf(ConcurrencyError).and.include({ actual: 0 });
      expect(await s.streamVersion('a')).to.equal(4);
    });

    it('writes all events of an append or none: an invalid one rejects the whole append', async () => {
      await f.store.appendToStream('a', AccountOpened({ owner: 'x' }));
      const before = await f.store.log.nextOffset();
      const bad = Deposited({ amount: -3, currency: 'EUR' });
      const err = await f.store
        .appendToStream('a', [Deposited({ amount: 1, currency: 'EUR' }), bad])
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(InvalidEventError).and.include({ eventType: 'Deposited', path: 'data.amount' });
      expect((err as Error).message).to.match(/#1 of the append to "a"/);
      const unknown = await f.store.appendToStream('a', [{ type: 'Nope', data: {} } as never]).catch((e: unknown) => e);
      expect(unknown).to.be.instanceOf(InvalidEventError).and.include({ path: 'type' });
      expect(await f.store.log.nextOffset()).to.equal(before);
      expect(await f.store.streamVersion('a')).to.equal(1);
    });

    it('lets exactly one of 100 concurrent appends with the same expected version win', async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 100 }, (_, i) =>
          f.store.appendToStream('a', AccountOpened({ owner: `o${i}` }), { expectedVersion: 'no-stream' }),
        ),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(won).to.have.length(1);
      expect(lost).to.have.length(99);
      for (const reason of lost)
        expect(reason).to.be.instanceOf(ConcurrencyError).and.include({ expected: 'no-stream', actual: 1 });
      expect((await f.store.readStream('a')).events).to.have.length(1);
    });

    it('runs 100 concurrent commands on one stream: versions strictly sequential, no lost or duplicated event', async () => {
      const handle = commandHandler(account, f.store, { retries: 100 });
      await handle('acc', { type: 'Open', owner: 'ann' });
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          handle('acc', { type: 'Deposit', amount: i + 1 }, { commandId: `d${i}` }),
        ),
      );
      const { events, version } = await f.store.readStream('acc');
      expect(version).to.equal(101);
      expect(events.map((e) => e.meta.streamVersion)).to.deep.equal(Array.from({ length: 101 }, (_, i) => i + 1));
      const deposits = events.slice(1).map((e) => e.meta.commandId);
      expect(new Set(deposits).size).to.equal(100);
      const amounts = events
        .slice(1)
        .map((e) => (e.data as { amount: number }).amount)
        .sort((a, b) => a - b);
      expect(amounts).to.deep.equal(Array.from({ length: 100 }, (_, i) => i + 1));
      const positions = events.map((e) => e.meta.position);
      expect(positions).to.deep.equal([...positions].sort((a, b) => a - b));
    });

    it('appends to many streams at once: each append gets its own contiguous positions and exact versions', async () => {
      const streams = Array.from({ length: 40 }, (_, i) => `s${i}`);
      const eventsOf = (i: number, round: number) =>
        Array.from({ length: 1 + ((i + round) % 3) }, (_, k) =>
          Deposited({ amount: round * 100 + k + 1, currency: 'EUR' }),
        );
      const appended = new Map<string, number>();
      for (let round = 0; round < 3; round++) {
        // One stale expected version among them fails alone; the appends beside it are stored.
        const outcomes = await Promise.allSettled(
          streams.map((s, i) =>
            f.store.appendToStream(s, eventsOf(i, round), {
              expectedVersion: i === 7 ? 99 : (appended.get(s) ?? 0) || 'no-stream',
              commandId: `r${round}`,
            }),
          ),
        );
        outcomes.forEach((o, i) => {
          if (i === 7) {
            expect(o.status).to.equal('rejected');
            expect((o as PromiseRejectedResult).reason).to.be.instanceOf(ConcurrencyError);
            return;
          }
          if (o.status === 'rejected') throw o.reason;
          const before = appended.get(streams[i]!) ?? 0;
          const { events, nextExpectedVersion } = o.value;
          expect(events.map((e) => e.meta.streamVersion)).to.deep.equal(events.map((_, k) => before + k + 1));
          expect(events.map((e) => e.meta.position)).to.deep.equal(events.map((_, k) => events[0]!.meta.position + k));
          expect(nextExpectedVersion).to.equal(before + events.length);
          appended.set(streams[i]!, nextExpectedVersion);
        });
      }
      const all = (await f.store.readAll({ maxCount: 1000 })).events;
      expect(new Set(all.map((e) => e.meta.position)).size).to.equal(all.length);
      for (const [i, s] of streams.entries()) {
        const { events, version } = await f.store.readStream(s);
        expect(version, s).to.equal(i === 7 ? 0 : appended.get(s));
        expect(events).to.deep.equal(all.filter((e) => e.meta.streamId === s));
        // Each append's events carry its command id, and no other append's.
        for (const round of i === 7 ? [] : [0, 1, 2])
          expect(events.filter((e) => e.meta.commandId === `r${round}`).map((e) => e.data)).to.deep.equal(
            eventsOf(i, round).map((e) => e.data),
          );
      }
    });

    it('does not apply a command id twice, and returns the original result', async () => {
      await f.store.appendToStream('a', AccountOpened({ owner: 'x' }));
      const first = await f.store.appendToStream(
        'a',
        [Deposited({ amount: 1, currency: 'EUR' }), Deposited({ amount: 2, currency: 'EUR' })],
        {
          commandId: 'cmd-1',
          expectedVersion: 1,
        },
      );
      await f.store.appendToStream('a', Withdrawn({ amount: 1 }));
      // A retry with its stale expected version is still recognised, not a conflict.
      const retry = await f.store.appendToStream(
        'a',
        [Deposited({ amount: 1, currency: 'EUR' }), Deposited({ amount: 2, currency: 'EUR' })],
        {
          commandId: 'cmd-1',
          expectedVersion: 1,
        },
      );
      expect(retry.alreadyApplied).to.equal(true);
      expect(retry.events).to.deep.equal(first.events);
      expect(retry.nextExpectedVersion).to.equal(3);
      expect(await f.store.streamVersion('a')).to.equal(4);
      expect((await f.store.appliedCommand('a', 'cmd-1'))?.events).to.deep.equal(first.events);
      expect(await f.store.appliedCommand('a', 'cmd-2')).to.equal(undefined);
      // Command ids are per stream.
      const other = await f.store.appendToStream('b', AccountOpened({ owner: 'y' }), { commandId: 'cmd-1' });
      expect(other.alreadyApplied).to.equal(false);
    });

    it('applies concurrent retries of one command id once', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          f.store.appendToStream('a', AccountOpened({ owner: 'x' }), { commandId: 'open-a' }),
        ),
      );
      expect(results.filter((r) => !r.alreadyApplied)).to.have.length(1);
      expect(new Set(results.map((r) => r.events[0]!.meta.eventId)).size).to.equal(1);
      expect(await f.store.streamVersion('a')).to.equal(1);
    });

    it('remembers versions and command ids across a restart', async () => {
      await f.store.appendToStream('a', AccountOpened({ owner: 'x' }), { commandId: 'open' });
      await f.store.appendToStream('a', Deposited({ amount: 3, currency: 'EUR' }), { commandId: 'dep' });
      const store = await f.reopen();
      expect(await store.streamVersion('a')).to.equal(2);
      const retry = await store.appendToStream('a', Deposited({ amount: 3, currency: 'EUR' }), { commandId: 'dep' });
      expect(retry).to.include({ alreadyApplied: true, nextExpectedVersion: 2 });
      const conflict = await store
        .appendToStream('a', Withdrawn({ amount: 1 }), { expectedVersion: 1 })
        .catch((e: unknown) => e);
      expect(conflict).to.be.instanceOf(ConcurrencyError).and.include({ actual: 2 });
      const next = await store.appendToStream('a', Withdrawn({ amount: 1 }), { expectedVersion: 2 });
      expect(next.events[0]!.meta.streamVersion).to.equal(3);
    });

    it('accepts an empty append as a version check that writes nothing', async () => {
      const before = await f.store.log.nextOffset();
      expect(await f.store.appendToStream('a', [], { expectedVersion: 'no-stream' })).to.deep.include({
        events: [],
        nextExpectedVersion: 0,
      });
      expect(await f.store.log.nextOffset()).to.equal(before);
    });

    it('rejects bad arguments with LogError ERR_INVALID_ARGUMENT before waiting for anything', async () => {
      for (const call of [
        () => f.store.appendToStream('', AccountOpened({ owner: 'x' })),
        () => f.store.appendToStream('a', AccountOpened({ owner: 'x' }), { expectedVersion: -1 }),
        () => f.store.appendToStream('a', AccountOpened({ owner: 'x' }), { commandId: '' }),
        () => f.store.readStream('a', { fromVersion: 0 }),
        () => f.store.readAll({ maxCount: 0 }),
      ]) {
        const err = await call().catch((e: unknown) => e);
        expect(err).to.have.property('code', 'ERR_INVALID_ARGUMENT');
      }
    });
  });
}
