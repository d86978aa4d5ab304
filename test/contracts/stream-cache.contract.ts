// The store answers reloads of recent streams from memory. Whatever the mix
// of appends (alone, concurrent, conflicting) and reads, what it answers must
// be what a store without any cache reads from the same log.
import { expect } from 'chai';
import fc from 'fast-check';
import { commandHandler } from '../../src/aggregates/index.js';
import { ConcurrencyError, LogEventStore } from '../../src/eventstore/index.js';
import { account, accountEvents, AccountOpened, Deposited, type AccountEvent } from '../eventstore/fixtures/account.js';
import type { CacheOptions, StoreFactory } from './event-stores.js';

type Op =
  | { kind: 'append'; stream: string; count: number; expected: 'any' | 'right' | 'wrong' }
  | { kind: 'concurrent'; stream: string; count: number }
  | { kind: 'read'; stream: string; fromVersion?: number; fromPosition?: number; maxCount?: number }
  | { kind: 'restart' };

const stream = fc.constantFrom('a', 'b');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    stream,
    count: fc.integer({ min: 1, max: 3 }),
    expected: fc.constantFrom('any' as const, 'right' as const, 'wrong' as const),
  }),
  fc.record({ kind: fc.constant('concurrent' as const), stream, count: fc.integer({ min: 1, max: 3 }) }),
  fc.record(
    {
      kind: fc.constant('read' as const),
      stream,
      fromVersion: fc.integer({ min: 1, max: 12 }),
      fromPosition: fc.integer({ min: 0, max: 40 }),
      maxCount: fc.integer({ min: 1, max: 6 }),
    },
    { requiredKeys: ['kind', 'stream'] },
  ),
  fc.constant({ kind: 'restart' as const }),
);

export function streamCacheContract(factory: StoreFactory): void {
  describe(`stream cache (${factory.name})`, () => {
    it('serves a full read from the log when only the newest events are cached (after a restart)', async () => {
      const f = await factory.create();
      try {
        await f.store.appendToStream('a', [
          Deposited({ amount: 1, currency: 'EUR' }),
          Deposited({ amount: 2, currency: 'EUR' }),
        ]);
        const store = await f.reopen();
        await store.appendToStream('a', Deposited({ amount: 3, currency: 'EUR' }));
        expect((await store.readStream('a')).events.map((e) => (e.data as { amount: number }).amount)).to.deep.equal([
          1, 2, 3,
        ]);
        expect(
          (await store.readStream('a', { fromVersion: 3 })).events.map((e) => (e.data as { amount: number }).amount),
        ).to.deep.equal([3]);
      } finally {
        await f.cleanup();
      }
    });

    it('keeps a tail of a stream longer than one stream may hold exact as it grows', async () => {
      // cachedEvents 10,000: one stream keeps at most 1,000 decoded events, cut back when it grows past.
      const f = await factory.create({ cachedEvents: 10_000 });
      try {
        const uncached = new LogEventStore<AccountEvent>(f.store.log, { events: accountEvents, cachedStreams: 0 });
        let amount = 1;
        await f.store.appendToStream(
          'a',
          Array.from({ length: 1_200 }, () => Deposited({ amount: amount++, currency: 'EUR' })),
        );
        for (let i = 0; i < 300; i++) {
          await f.store.appendToStream('a', Deposited({ amount: amount++, currency: 'EUR' }));
          if (i % 60 === 0)
            for (const fromVersion of [1, 700, 1_100 + i, 1_201 + i]) {
              expect(await f.store.readStream('a', { fromVersion })).to.deep.equal(
                await uncached.readStream('a', { fromVersion }),
              );
            }
        }
        const { events, version } = await f.store.readStream('a');
        expect(version).to.equal(1_500);
        expect(events.map((e) => (e.data as { amount: number }).amount)).to.deep.equal(
          Array.from({ length: 1_500 }, (_, i) => i + 1),
        );
      } finally {
        await f.cleanup();
      }
    });

    it('a command with an id on a stream not read since a restart reads the stream once (the lookup and the load share it)', async () => {
      const f = await factory.create();
      try {
        await f.store.appendToStream('a', AccountOpened({ owner: 'x' }), { commandId: 'open' });
        for (let i = 1; i <= 40; i++)
          await f.store.appendToStream('a', Deposited({ amount: i, currency: 'EUR' }), { commandId: `pay-${i}` });
        const store = await f.reopen();
        const read = countReads(store);
        const handle = commandHandler(account, store);
        const paid = await handle('a', { type: 'Deposit', amount: 1000 }, { commandId: 'pay-41' });
        expect(paid).to.deep.include({ alreadyApplied: false, nextExpectedVersion: 42 });
        expect(paid.state).to.deep.include({ balance: 820 + 1000, movements: 41 });
        // Before: the id lookup read the 41 events, then the load read them again (82).
        expect(read('a'), 'events of "a" read').to.equal(41);
        const retried = await handle('a', { type: 'Deposit', amount: 1000 }, { commandId: 'pay-41' });
        expect(retried).to.deep.include({ alreadyApplied: true, nextExpectedVersion: 42 });
        expect(retried.state).to.deep.equal(paid.state);
        expect(read('a'), 'a retry reads back only the events of its command').to.equal(42);
      } finally {
        await f.cleanup();
      }
    });

    it("a command id lookup after a whole read of the stream reads only the command's events, also for a stream longer than the cache keeps", async () => {
      // cachedEvents 10,000: one stream keeps at most 1,000 decoded events; this one has 1,500.
      const f = await factory.create({ cachedEvents: 10_000 });
      try {
        const deposits = (from: number) =>
          Array.from({ length: 500 }, (_, i) => Deposited({ amount: from + i, currency: 'EUR' }));
        for (const n of [1, 501, 1001]) await f.store.appendToStream('a', deposits(n), { commandId: `batch-${n}` });
        const store = await f.reopen();
        const read = countReads(store);
        expect((await store.readStream('a')).version).to.equal(1_500);
        expect(read('a')).to.equal(1_500);
        const original = await store.appliedCommand('a', 'batch-501');
        expect(original?.events.map((e) => e.meta.streamVersion)).to.deep.equal(
          Array.from({ length: 500 }, (_, i) => 501 + i),
        );
        expect(await store.appliedCommand('a', 'batch-9')).to.equal(undefined);
        // Before: the first lookup read the whole stream again (3,500 in all).
        expect(read('a'), 'the lookups read only the 500 events of batch-501').to.equal(2_000);
        // A stream too long for the cache: the lookup's read keeps no events, and the load reads them whole.
        const again = await f.reopen();
        const readAgain = countReads(again);
        const handle = commandHandler(account, again);
        const opened = await handle('a', { type: 'Open', owner: 'x' }, { commandId: 'open' });
        expect(opened).to.deep.include({ alreadyApplied: false, nextExpectedVersion: 1_501 });
        expect(readAgain('a'), 'the lookup and the load each read the stream').to.equal(3_000);
      } finally {
        await f.cleanup();
      }
    });

    it('keeps the command ids of a stream with more of them than the id cache holds: each command with an id does not read the stream again', async () => {
      // cachedStreams 10: about 1,000 command ids in memory; this stream has 1,200.
      const f = await factory.create({ cachedStreams: 10 });
      try {
        for (let i = 0; i < 1_200; i += 300) {
          const appends = Array.from({ length: 300 }, (_, k) =>
            f.store.appendToStream('a', Deposited({ amount: 1, currency: 'EUR' }), { commandId: `pay-${i + k}` }),
          );
          await Promise.all(appends);
        }
        const store = await f.reopen();
        const read = countReads(store);
        for (let i = 0; i < 5; i++) {
          const result = await store.appendToStream('a', Deposited({ amount: 2, currency: 'EUR' }), {
            commandId: `new-${i}`,
          });
          expect(result).to.deep.include({ alreadyApplied: false, nextExpectedVersion: 1_201 + i });
        }
        expect(
          (await store.appendToStream('a', Deposited({ amount: 1, currency: 'EUR' }), { commandId: 'pay-7' }))
            .alreadyApplied,
        ).to.equal(true);
        // Before: the ids did not fit, so every command with an id read all 1,200+ events again (over 7,000 in all).
        expect(read('a'), 'the stream read once, then only the 1 event of pay-7').to.equal(1_201);
      } finally {
        await f.cleanup();
      }
    });

    it('learns a stream version from a whole read, exact when appends race with the read', async () => {
      const f = await factory.create();
      try {
        const deposit = (amount: number) => Deposited({ amount, currency: 'EUR' });
        await f.store.appendToStream('a', [deposit(1), deposit(2)]);
        // A new instance knows no stream: each whole read below finds its stream's head while an append runs beside it.
        const store = await f.reopen();
        const [readA, , readB] = await Promise.all([
          store.readStream('a'),
          store.appendToStream('a', deposit(3), { expectedVersion: 2 }),
          store.readStream('b'),
          store.appendToStream('b', deposit(1), { expectedVersion: 'no-stream' }),
        ]);
        expect(readA.events.length).to.equal(readA.version);
        expect(readA.version).to.be.oneOf([2, 3]);
        expect(readB.events.length).to.equal(readB.version);
        expect(readB.version).to.be.oneOf([0, 1]);
        const stale = await store.appendToStream('a', deposit(4), { expectedVersion: 2 }).catch((e: unknown) => e);
        expect(stale).to.be.instanceOf(ConcurrencyError).and.include({ actual: 3 });
        expect((await store.appendToStream('a', deposit(4), { expectedVersion: 3 })).nextExpectedVersion).to.equal(4);
        const taken = await store.appendToStream('b', deposit(2), { expectedVersion: 'no-stream' }).catch((e) => e);
        expect(taken).to.be.instanceOf(ConcurrencyError).and.include({ actual: 1 });
        // A stream nobody writes: the read learns that it is empty, and the first append creates it.
        expect((await store.readStream('c')).version).to.equal(0);
        expect((await store.appendToStream('c', deposit(1), { expectedVersion: 0 })).nextExpectedVersion).to.equal(1);
        const uncached = new LogEventStore<AccountEvent>(store.log, { events: accountEvents, cachedStreams: 0 });
        for (const id of ['a', 'b', 'c'])
          expect(await store.readStream(id)).to.deep.equal(await uncached.readStream(id));
      } finally {
        await f.cleanup();
      }
    });

    it('reads what an uncached store reads from the same log', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(op, { maxLength: 40 }),
          fc.constantFrom<CacheOptions>({}, { cachedStreams: 2, cachedEvents: 4 }),
          async (ops, caches) => {
            // Tiny caches too, so that evictions and streams too long to cache happen.
            const f = await factory.create(caches);
            try {
              const uncached = () =>
                new LogEventStore<AccountEvent>(f.store.log, { events: accountEvents, cachedStreams: 0 });
              let amount = 1;
              const events = (n: number) =>
                Array.from({ length: n }, () => Deposited({ amount: amount++, currency: 'EUR' }));
              for (const o of ops) {
                const s = f.store;
                if (o.kind === 'restart') {
                  await f.reopen();
                } else if (o.kind === 'append') {
                  const version = await uncached().streamVersion(o.stream);
                  const expectedVersion = o.expected === 'any' ? 'any' : o.expected === 'right' ? version : version + 1;
                  await s.appendToStream(o.stream, events(o.count), { expectedVersion }).catch(() => undefined);
                } else if (o.kind === 'concurrent') {
                  const version = await s.streamVersion(o.stream);
                  const tries = [1, 2].map(() =>
                    s.appendToStream(o.stream, events(o.count), { expectedVersion: version }),
                  );
                  const outcomes = await Promise.allSettled(tries);
                  expect(outcomes.filter((x) => x.status === 'fulfilled')).to.have.length(1);
                } else {
                  const { kind: _, stream: id, ...options } = o;
                  const got = await s.readStream(id, options);
                  expect(got).to.deep.equal(await uncached().readStream(id, options));
                  expect(await s.readStream(id)).to.deep.equal(await uncached().readStream(id));
                }
              }
            } finally {
              await f.cleanup();
            }
          },
        ),
        { numRuns: { memory: 200, disk: 40, server: 40 }[factory.kind] },
      );
    });
  });
}

/** How many events of each stream the store has read from its log since this call (by key). */
function countReads(store: LogEventStore<AccountEvent>): (streamId: string) => number {
  const read = new Map<string, number>();
  const log = store.log;
  const consumeByKey = log.consumeByKey.bind(log);
  log.consumeByKey = async (key, ...rest) => {
    const result = await consumeByKey(key, ...rest);
    const id = typeof key === 'string' ? key : Buffer.from(key).toString();
    read.set(id, (read.get(id) ?? 0) + result.messages.length);
    return result;
  };
  return (streamId) => read.get(streamId) ?? 0;
}
