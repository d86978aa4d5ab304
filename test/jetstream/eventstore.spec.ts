// The event store (src/eventstore) on a JetStream log: the same store class,
// only the log it is given changes. Also shows the hook the store can use
// to make its version check hold across processes (publishExpecting).
import { expect } from 'chai';
import { ConcurrencyError, LogEventStore, PartialAppendError } from '../../src/eventstore/index.js';
import { openJetStream, type JetStreamLog } from '../../src/jetstream/index.js';
import { useNatsServer } from '../helpers/nats-server.js';

describe('event store on JetStream', function () {
  this.timeout(30_000);
  const server = useNatsServer();
  const stores: LogEventStore[] = [];
  const logs: JetStreamLog[] = [];
  afterEach(async () => {
    await Promise.allSettled(stores.splice(0).map((s) => s.close()));
    await Promise.allSettled(logs.splice(0).map((l) => l.close()));
  });
  const open = async (stream: string): Promise<JetStreamLog> => {
    const log = await openJetStream({ servers: server().url, stream });
    logs.push(log);
    return log;
  };

  it('appends, reads and checks versions as on a local log; another process reads the same streams', async function () {
    const store = new LogEventStore(await open('ES1'));
    stores.push(store);
    const r = await store.appendToStream(
      'order-1',
      [
        { type: 'Created', data: { id: 1 } },
        { type: 'Paid', data: { amount: 5 } },
      ],
      { expectedVersion: 'no-stream' },
    );
    expect(r.nextExpectedVersion).to.equal(2);
    let failed: unknown;
    await store
      .appendToStream('order-1', { type: 'Paid', data: { amount: 5 } }, { expectedVersion: 1 })
      .catch((e: unknown) => (failed = e));
    expect(failed).to.be.instanceOf(ConcurrencyError);
    await store.appendToStream('order-2', { type: 'Created', data: { id: 2 } });

    const other = new LogEventStore(await open('ES1'));
    stores.push(other);
    const read = await other.readStream('order-1');
    expect(read.version).to.equal(2);
    expect(read.events.map((e) => e.type)).to.deep.equal(['Created', 'Paid']);
    expect((await other.readStream('order-2')).version).to.equal(1);
    expect((await other.readAll()).events).to.have.length(3);
  });

  it('publishExpecting is the cross-process version check: of two stores appending at the same version, one wins', async function () {
    const a = await open('ES2');
    const b = await open('ES2');
    await a.publishExpecting('order-9', null, [{ value: JSON.stringify({ type: 'Created' }) }]);
    const last = await a.offsetByKey('order-9');
    const [ra, rb] = await Promise.all([
      a.publishExpecting('order-9', last, [{ value: JSON.stringify({ type: 'Paid', by: 'a' }) }]),
      b.publishExpecting('order-9', last, [{ value: JSON.stringify({ type: 'Paid', by: 'b' }) }]),
    ]);
    expect([ra.ok, rb.ok].sort()).to.deep.equal([false, true]);
    expect((await b.consumeByKey('order-9', 0, 10)).messages).to.have.length(2);
  });

  it('two stores in two connections (as two processes would be) appending at the same version: exactly one wins, the other gets ConcurrencyError', async function () {
    const a = new LogEventStore(await open('ES3'));
    const b = new LogEventStore(await open('ES3'));
    stores.push(a, b);
    await a.appendToStream('acct-1', { type: 'Opened', data: {} }, { expectedVersion: 'no-stream' });
    // b learns the stream's head; then both decide on version 1 and race.
    expect((await b.readStream('acct-1')).version).to.equal(1);
    const results = await Promise.allSettled([
      a.appendToStream('acct-1', { type: 'Deposited', data: { by: 'a' } }, { expectedVersion: 1 }),
      b.appendToStream('acct-1', { type: 'Deposited', data: { by: 'b' } }, { expectedVersion: 1 }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won, 'one append wins').to.have.length(1);
    expect(lost[0]!.reason).to.be.instanceOf(ConcurrencyError);
    expect((lost[0]!.reason as ConcurrencyError).actual).to.equal(2);
    const reader = new LogEventStore(await open('ES3'), { cachedStreams: 0 });
    stores.push(reader);
    const read = await reader.readStream('acct-1');
    expect(read.events.map((e) => e.meta.streamVersion)).to.deep.equal([1, 2]);
  });

  it('appends that expect no particular version ("any", "stream-exists") from two processes all land, numbered in order', async function () {
    const a = new LogEventStore(await open('ES4'), { cachedStreams: 0 });
    const b = new LogEventStore(await open('ES4'), { cachedStreams: 0 });
    stores.push(a, b);
    await a.appendToStream('acct-1', { type: 'Opened', data: {} });
    const appends = Array.from({ length: 40 }, (_, i) =>
      (i % 2 ? b : a).appendToStream(
        'acct-1',
        { type: 'Deposited', data: { i } },
        { expectedVersion: i % 4 < 2 ? 'any' : 'stream-exists' },
      ),
    );
    const results = await Promise.all(appends);
    expect(results.map((r) => r.events[0]!.meta.streamVersion).sort((x, y) => x - y)).to.deep.equal(
      Array.from({ length: 40 }, (_, i) => i + 2),
    );
    const read = await a.readStream('acct-1');
    expect(read.events.map((e) => e.meta.streamVersion)).to.deep.equal(Array.from({ length: 41 }, (_, i) => i + 1));
    expect(
      read.events
        .slice(1)
        .map((e) => (e.data as { i: number }).i)
        .sort((x, y) => x - y),
    ).to.deep.equal(Array.from({ length: 40 }, (_, i) => i));
  });

  it('an append another process cuts in the middle (no atomic batch before nats-server 2.12) is a PartialAppendError, not a conflict to retry', async function () {
    const log = await open('ES5');
    const a = new LogEventStore(log, { cachedStreams: 0 });
    const b = new LogEventStore(await open('ES5'), { cachedStreams: 0 });
    stores.push(a, b);
    // The race made certain: b appends right after the first event of a's batch is stored.
    const publishExpecting = log.publishExpecting.bind(log);
    log.publishExpecting = async (key, expectedLastOffset, messages) => {
      const first = await publishExpecting(key, expectedLastOffset, messages.slice(0, 1));
      if (!first.ok || messages.length === 1) return first;
      await b.appendToStream('acct-1', { type: 'Noted', data: {} });
      const rest = await publishExpecting(key, first.nextOffset - 1, messages.slice(1));
      return rest.ok ? rest : { ...rest, stored: rest.stored + 1 };
    };
    const batch = [1, 2, 3].map((i) => ({ type: 'Deposited', data: { i } }));
    const err = await a.appendToStream('acct-1', batch, { commandId: 'c1' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(PartialAppendError).and.include({ streamId: 'acct-1', stored: 1, total: 3 });
    const read = await b.readStream('acct-1');
    expect(read.events.map((e) => [e.type, e.meta.streamVersion])).to.deep.equal([
      ['Deposited', 1],
      ['Noted', 2],
    ]);
  });
});
