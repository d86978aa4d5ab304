// Projection and durable-subscription batches through the OpenTelemetry
// SDK's in-memory exporters: a span per batch with its offsets (and, for
// an event-store source, the correlation ids of its events), the events
// handled, the lag gauge and dead letters.
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { expect } from 'chai';
import path from 'node:path';
import { openBlocking, type BlockingLog } from '../../src/index.js';
import { inMemoryEventStore } from '../../src/eventstore/index.js';
import { openSubscription } from '../../src/streams/index.js';
import { accountEvents, AccountOpened, Deposited } from '../eventstore/fixtures/account.js';
import { messages, removeDir, tempDir } from '../streams/helpers.js';
import { idOf, parentOf, TestSdk, useSdkAndRunner } from './sdk.js';

const where = (kind: string, name: string) => ({ 'klevdb.consumer.kind': kind, 'klevdb.consumer.name': name });

describe('telemetry: projection batches', () => {
  const t = useSdkAndRunner();

  const seed = async () => {
    const store = inMemoryEventStore({ events: accountEvents });
    await store.appendToStream('acc-1', [AccountOpened({ owner: 'ann' }), Deposited({ amount: 5, currency: 'EUR' })], {
      correlationId: 'corr-A',
    });
    const { events } = await store.appendToStream(
      'acc-2',
      [AccountOpened({ owner: 'bob' }), Deposited({ amount: 7, currency: 'EUR' })],
      { correlationId: 'corr-B' },
    );
    return { store, last: events.at(-1)!.meta.position };
  };

  it('a span per batch with its offsets and correlation ids; events handled; lag 0 once caught up', async () => {
    const { store, last } = await seed();
    const balances = t.runner.add({
      name: 'balances',
      source: store,
      handles: [Deposited],
      key: (e) => e.meta.streamId,
      initialState: () => ({ balance: 0 }),
      apply: (s, e) => ({ balance: s.balance + (e.type === 'Deposited' ? e.data.amount : 0) }),
    });
    await t.runner.start();
    await balances.waitFor(last);
    expect(await balances.get('acc-2')).to.deep.equal({ balance: 7 });

    const batches = t.sdk.spans('klevdb.projection.batch');
    expect(batches.length).to.be.greaterThan(0);
    for (const span of batches) expect(span.attributes).to.deep.include(where('projection', 'balances'));
    // Every event once, in order, across the batches.
    expect(batches.reduce((n, s) => n + Number(s.attributes['klevdb.batch.size']), 0)).to.equal(4);
    expect(batches[0]!.attributes['klevdb.batch.offset']).to.equal(0);
    expect(batches.at(-1)!.attributes).to.include({
      'klevdb.batch.next_offset': last + 1,
      'klevdb.batch.committed': true,
    });
    // Only the events the projection handles (Deposited) name their correlation ids.
    expect(
      batches.flatMap((s) => (s.attributes['klevdb.correlation.ids'] as string[] | undefined) ?? []),
    ).to.have.members(['corr-A', 'corr-B']);
    expect((await t.sdk.points('klevdb.consumer.events', where('projection', 'balances')))[0]?.value).to.equal(4);
    expect((await t.sdk.points('klevdb.consumer.lag', where('projection', 'balances')))[0]?.value).to.equal(0);
  });

  it('a poison event: skipped, it counts as a dead letter; stopping on it, the batch span fails', async () => {
    const { store, last } = await seed();
    const definition = (name: string) => ({
      name,
      source: store,
      key: (e: { meta: { streamId: string } }) => e.meta.streamId,
      initialState: () => ({ n: 0 }),
      apply: (s: { n: number }, e: { type: string; meta: { streamId: string } }) => {
        if (e.type === 'Deposited' && e.meta.streamId === 'acc-2') throw new Error('cannot apply this one');
        return { n: s.n + 1 };
      },
    });
    const skipping = t.runner.add(definition('skipping'), { onError: 'skip' });
    const stopping = t.runner.add(definition('stopping'), { onError: 'stop' });
    await skipping.start();
    await skipping.waitFor(last);
    await stopping.start().catch(() => undefined);
    await stopping.whenRunning().catch(() => undefined);
    expect(stopping.state).to.equal('failed');

    expect((await t.sdk.points('klevdb.consumer.dead_letters', where('projection', 'skipping')))[0]?.value).to.equal(1);
    expect(await t.sdk.points('klevdb.consumer.dead_letters', where('projection', 'stopping'))).to.deep.equal([]);
    const failed = t.sdk
      .spans('klevdb.projection.batch')
      .filter((s) => s.attributes['klevdb.consumer.name'] === 'stopping');
    expect(failed.at(-1)!.status.code).to.equal(SpanStatusCode.ERROR);
    expect(failed.at(-1)!.status.message).to.match(/projection "stopping" failed at source offset 3/);
  });
});

describe('telemetry: durable subscription batches', () => {
  let sdk: TestSdk;
  let dir: string;
  let log: BlockingLog;
  beforeEach(async () => {
    sdk = TestSdk.install();
    dir = tempDir();
    log = await openBlocking(path.join(dir, 'source'), { createDirs: true });
  });
  afterEach(async () => {
    await log.close();
    removeDir(dir);
    await sdk.uninstall();
  });

  it('a span per batch around the handler (whose spans nest in it), events handled, and the lag until closed', async () => {
    await log.publish(messages(0, 250));
    const s = await openSubscription(log, { name: 'mailer', offsets: path.join(dir, 'offsets'), batchSize: 100 });
    expect((await sdk.points('klevdb.consumer.lag', where('subscription', 'mailer')))[0]?.value).to.equal(250);
    await s.run(async () => trace.getTracer('app').startActiveSpan('app.send', (span) => span.end()), { live: false });
    expect((await sdk.points('klevdb.consumer.lag', where('subscription', 'mailer')))[0]?.value).to.equal(0);
    await s.close();

    const batches = sdk.spans('klevdb.subscription.batch');
    expect(
      batches.map((b) => [
        b.attributes['klevdb.batch.offset'],
        b.attributes['klevdb.batch.next_offset'],
        b.attributes['klevdb.batch.size'],
      ]),
    ).to.deep.equal([
      [0, 100, 100],
      [100, 200, 100],
      [200, 250, 50],
    ]);
    for (const b of batches) expect(b.attributes).to.deep.include(where('subscription', 'mailer'));
    expect(sdk.spans('app.send').map(parentOf)).to.deep.equal(batches.map(idOf));
    expect((await sdk.points('klevdb.consumer.events', where('subscription', 'mailer')))[0]?.value).to.equal(250);
  });

  it('a handler that fails: its batch span fails, its events are not counted as handled', async () => {
    await log.publish(messages(0, 20));
    const s = await openSubscription(log, { name: 'failing', offsets: path.join(dir, 'offsets'), batchSize: 10 });
    let calls = 0;
    const err = await s
      .run(async () => {
        if (++calls === 2) throw new Error('mail server down');
      })
      .catch((e: unknown) => e);
    await s.close();
    expect(err).to.have.property('message', 'mail server down');
    const batches = sdk.spans('klevdb.subscription.batch');
    expect(batches.map((b) => b.status.code)).to.deep.equal([SpanStatusCode.UNSET, SpanStatusCode.ERROR]);
    expect(batches[1]!.status.message).to.equal('mail server down');
    expect((await sdk.points('klevdb.consumer.events', where('subscription', 'failing')))[0]?.value).to.equal(10);
  });
});
