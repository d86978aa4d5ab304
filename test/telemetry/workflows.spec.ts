// A workflow's steps through the OpenTelemetry SDK's in-memory exporters: a
// span per input handled, recording it and carrying out its outputs as
// children, the commands it sends nested in the delivery, and a step whose
// decide threw failing its span.
import { SpanStatusCode } from '@opentelemetry/api';
import { expect } from 'chai';
import { inMemoryEventStore, type LogEventStore } from '../../src/eventstore/index.js';
import { startWorkflow } from '../../src/processes/index.js';
import { OrderPlaced, orderEvents, orderWorkflow, stockHandler } from '../processes/order-fixture.js';
import { idOf, parentOf, TestSdk } from './sdk.js';

describe('telemetry: workflow steps', () => {
  let sdk: TestSdk;
  beforeEach(() => (sdk = TestSdk.install()));
  afterEach(() => sdk.uninstall());

  it('a step per input: record and deliver, the command sent inside the delivery, the next input inside that', async () => {
    const store = inMemoryEventStore({ events: orderEvents }) as unknown as LogEventStore;
    const orders = await startWorkflow(orderWorkflow, { store, commands: { stock: stockHandler(store) } });
    try {
      await orders.handle(OrderPlaced({ orderId: 'o1', item: 'tea' }), { inputId: 'place' });
      const failed = await orders.handle(OrderPlaced({ orderId: 'o2', item: '' })).catch((e: unknown) => e);
      expect(failed).to.have.property('message', 'an order needs an item');
    } finally {
      await orders.close();
      await store.close();
    }

    const steps = sdk.spans('klevdb.workflow.step');
    expect(
      steps.map((s) => [s.attributes['klevdb.workflow.id'], s.attributes['klevdb.event.type']]),
    ).to.have.deep.members([
      ['o1', 'OrderPlaced'],
      ['o1', 'ItemReserved'],
      ['o2', 'OrderPlaced'],
    ]);
    const stepOf = (workflowId: string, type: string) =>
      steps.find(
        (s) => s.attributes['klevdb.workflow.id'] === workflowId && s.attributes['klevdb.event.type'] === type,
      )!;
    const place = stepOf('o1', 'OrderPlaced');
    const reserved = stepOf('o1', 'ItemReserved');
    const refused = stepOf('o2', 'OrderPlaced');
    expect(place.attributes).to.deep.include({
      'klevdb.consumer.kind': 'workflow',
      'klevdb.consumer.name': 'order',
      'klevdb.workflow.input_id': 'place',
      'klevdb.workflow.outcome': 'handled',
      'klevdb.workflow.outputs': 1,
    });
    expect(place.status.code).to.equal(SpanStatusCode.UNSET);
    const children = (span: typeof place) => sdk.spans().filter((s) => parentOf(s) === idOf(span));
    expect(children(place).map((s) => s.name)).to.deep.equal(['klevdb.workflow.record', 'klevdb.workflow.deliver']);
    // The reservation: a command whose id derives from the step, inside the delivery; its event an input handled inside that.
    const deliver = children(place).find((s) => s.name === 'klevdb.workflow.deliver')!;
    const command = sdk.spans('klevdb.command').find((s) => parentOf(s) === idOf(deliver))!;
    expect(command.attributes).to.include({
      'klevdb.command.id': 'order/o1/place/0',
      'klevdb.command.type': 'Reserve',
    });
    expect(parentOf(reserved)).to.equal(idOf(deliver));
    expect(reserved.attributes).to.include({ 'klevdb.workflow.outcome': 'handled', 'klevdb.workflow.outputs': 2 });
    expect(refused.attributes).to.include({ 'klevdb.workflow.outcome': 'failed', 'klevdb.workflow.outputs': 0 });
    expect(refused.status).to.deep.include({ code: SpanStatusCode.ERROR, message: 'an order needs an item' });
  });
});
