// A reactor's events through the OpenTelemetry SDK's in-memory exporters: a
// span per event from its first try to its end, with the event's ids from
// its metadata, a retry event per retry, the handler's spans inside it; the
// events handled, dead letters and lag.
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { expect } from 'chai';
import { inMemoryEventStore } from '../../src/eventstore/index.js';
import { reactor } from '../../src/processes/index.js';
import { accountEvents, AccountOpened, Deposited } from '../eventstore/fixtures/account.js';
import { parentOf, useSdkAndRunner } from './sdk.js';

const where = { 'klevdb.consumer.kind': 'reactor', 'klevdb.consumer.name': 'notifier' };

describe('telemetry: reactor events', () => {
  const t = useSdkAndRunner();

  it('a span per event with its ids, outcome and tries; retries as events; a dead letter fails its span', async () => {
    const store = inMemoryEventStore({ events: accountEvents });
    await store.appendToStream('acc-1', AccountOpened({ owner: 'ann' }), {
      correlationId: 'corr-1',
      causationId: 'cmd-1',
    });
    await store.appendToStream('acc-2', AccountOpened({ owner: 'bob' }), { correlationId: 'corr-2' });
    const { events } = await store.appendToStream('acc-3', Deposited({ amount: 1, currency: 'EUR' }));
    let bobTries = 0;
    const notifier = t.runner.addProcess(
      reactor({
        name: 'notifier',
        source: store,
        retry: { maxAttempts: 2, initialDelayMs: 1 },
        onFailure: 'dead-letter',
        handle: async (event) => {
          trace.getTracer('app').startActiveSpan('app.notify', (span) => span.end());
          if (event.meta.streamId === 'acc-2' && ++bobTries === 1) throw new Error('smtp busy');
          if (event.meta.streamId === 'acc-3') throw new Error('no address');
        },
      }),
    );
    await t.runner.start();
    await notifier.waitFor(events[0]!.meta.position, { timeoutMs: 10_000 });

    const spans = t.sdk.spans('klevdb.reactor.event');
    const byStream = new Map(spans.map((s) => [s.attributes['klevdb.stream.id'], s]));
    const read = await store.readAll();
    expect(byStream.get('acc-1')!.attributes).to.deep.equal({
      ...where,
      'klevdb.event.offset': 0,
      'klevdb.event.type': 'AccountOpened',
      'klevdb.event.id': read.events[0]!.meta.eventId,
      'klevdb.stream.id': 'acc-1',
      'klevdb.correlation.id': 'corr-1',
      'klevdb.causation.id': 'cmd-1',
      'klevdb.event.key': 'acc-1',
      'klevdb.event.outcome': 'handled',
      'klevdb.event.attempts': 1,
    });
    const retried = byStream.get('acc-2')!;
    expect(retried.attributes).to.include({ 'klevdb.event.outcome': 'handled', 'klevdb.event.attempts': 2 });
    expect(retried.status.code).to.equal(SpanStatusCode.UNSET);
    expect(retried.events.map((e) => [e.name, e.attributes])).to.deep.equal([
      [
        'klevdb.reactor.retry',
        { 'klevdb.retry.attempt': 2, 'klevdb.retry.delay_ms': 1, 'exception.message': 'smtp busy' },
      ],
    ]);
    const dead = byStream.get('acc-3')!;
    expect(dead.attributes).to.include({ 'klevdb.event.outcome': 'dead_letter', 'klevdb.event.attempts': 2 });
    expect(dead.status).to.deep.include({ code: SpanStatusCode.ERROR, message: 'no address' });
    // Every try of the handler ran inside its event's span.
    const ids = new Map(spans.map((s) => [s.spanContext().spanId, s.attributes['klevdb.stream.id']]));
    expect(t.sdk.spans('app.notify').map((s) => ids.get(parentOf(s)!))).to.have.members([
      'acc-1',
      'acc-2',
      'acc-2',
      'acc-3',
      'acc-3',
    ]);

    expect((await t.sdk.points('klevdb.consumer.events', where))[0]?.value).to.equal(3);
    expect((await t.sdk.points('klevdb.consumer.dead_letters', where))[0]?.value).to.equal(1);
    expect((await t.sdk.points('klevdb.consumer.lag', where))[0]?.value).to.equal(0);
  });
});
