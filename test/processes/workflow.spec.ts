// klevdb/processes workflows through the public API: inputs recorded before
// their outputs, duplicates, completion, refused commands, appended events,
// timers across a restart, the durable consumer, and recovery of a step a
// crash interrupted.
import { expect } from 'chai';
import path from 'node:path';
import { inMemoryEventStore, openEventStore, type LogEventStore } from '../../src/eventstore/index.js';
import { ProjectionRunner } from '../../src/projections/index.js';
import { createWorkflow, startWorkflow, WorkflowInputRecorded, type Workflow } from '../../src/processes/index.js';
import { useTempDirs } from '../helpers/fs.js';
import {
  ItemReserved,
  OrderPlaced,
  orderEvents,
  orderWorkflow,
  stockHandler,
  type OrderEvent,
  type OrderState,
  type Reserve,
} from './order-fixture.js';

type Store = LogEventStore;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('processes: workflows', () => {
  const running: Array<Workflow<OrderEvent, OrderState, Reserve>> = [];
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((w) => w.close()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  const tempDir = useTempDirs('klevdb-workflow-');

  const memoryStore = (): Store => {
    const store = inMemoryEventStore({ events: orderEvents }) as unknown as Store;
    stores.push(store);
    return store;
  };
  const start = async (
    store: Store,
    extra: { checkpoints?: string; onError?: (e: Error) => void } = {},
    definition = orderWorkflow,
  ) => {
    const w = await startWorkflow(definition, { store, commands: { stock: stockHandler(store) }, ...extra });
    running.push(w);
    return w;
  };
  const typesOf = async (store: Store, streamId: string) =>
    (await store.readStream(streamId)).events.map((e) => e.type);

  it('records the input with its outputs before carrying them out, and hands the results back as inputs', async () => {
    const store = memoryStore();
    const orders = await start(store);
    const result = await orders.handle(OrderPlaced({ orderId: 'o1', item: 'tea' }), { inputId: 'place' });
    expect(result).to.deep.include({ workflowId: 'o1', inputId: 'place', status: 'handled', completed: true });
    // The reservation came back at once (ItemReserved is an input): shipping asked for, the instance completed.
    const instance = await orders.instance('o1');
    expect(instance).to.deep.equal({
      state: { status: 'reserved', item: 'tea', reminded: 0 },
      completed: true,
      inputs: 2,
    });
    const records = (await store.readStream('workflow-order-o1')).events;
    expect(records.map((e) => [e.type, (e.data as { input: { type: string } }).input.type])).to.deep.equal([
      ['WorkflowInputRecorded', 'OrderPlaced'],
      ['WorkflowInputRecorded', 'ItemReserved'],
    ]);
    expect(records[0]!.meta.position).to.be.lessThan((await store.readStream('stock-tea')).events[0]!.meta.position);
    expect(await typesOf(store, 'shipping-o1')).to.deep.equal(['ShipmentRequested']);
  });

  it('ignores an input it recorded before: the command is applied once, the answer says duplicate', async () => {
    const store = memoryStore();
    const orders = await start(store);
    const input = OrderPlaced({ orderId: 'o2', item: 'tea' });
    const [a, b] = await Promise.all([orders.handle(input, { inputId: 'x' }), orders.handle(input, { inputId: 'x' })]);
    expect([a, b].map((r) => r.status).sort()).to.deep.equal(['duplicate', 'handled']);
    expect((await orders.handle(input, { inputId: 'x' })).status).to.equal('duplicate');
    expect(await typesOf(store, 'stock-tea')).to.deep.equal(['ItemReserved']);
    expect((await orders.instance('o2')).inputs).to.equal(2);
  });

  it('records inputs after completion as ignored: they are kept, and decide is not asked', async () => {
    const store = memoryStore();
    const orders = await start(store);
    await orders.handle(OrderPlaced({ orderId: 'o3', item: 'tea' }), { inputId: 'first' });
    const late = await orders.handle(OrderPlaced({ orderId: 'o3', item: 'coffee' }), { inputId: 'second' });
    expect(late).to.deep.include({ status: 'ignored', outputs: [], completed: true });
    expect(await typesOf(store, 'stock-coffee')).to.deep.equal([]);
    const last = (await store.readStream('workflow-order-o3')).events.at(-1)!;
    expect(last.data).to.deep.include({ inputId: 'second', outcome: 'ignored', reason: 'the instance had completed' });
  });

  it('hands a command its target refused back as CommandRejected, recorded in the instance', async () => {
    const store = memoryStore();
    const orders = await start(store);
    await orders.handle(OrderPlaced({ orderId: 'o4', item: 'unobtainium' }), { inputId: 'p' });
    const { state, completed } = await orders.instance('o4');
    expect(state.status).to.equal('refused');
    expect(completed).to.equal(true);
    const refused = (await store.readStream('workflow-order-o4')).events[1]!.data as {
      input: { type: string; data: { error: unknown; commandId: string } };
    };
    expect(refused.input.type).to.equal('CommandRejected');
    expect(refused.input.data.error).to.deep.equal({ name: 'OutOfStock', message: 'no unobtainium left' });
    expect(refused.input.data.commandId).to.equal('order/o4/p/0');
  });

  it('rejects handle with the error decide threw, records the input as failed and does not decide it again', async () => {
    const store = memoryStore();
    const errors: Error[] = [];
    const orders = await start(store, { onError: (e) => errors.push(e) });
    const bad = OrderPlaced({ orderId: 'o5', item: '' });
    let thrown: unknown;
    await orders.handle(bad, { inputId: 'b' }).catch((err: unknown) => (thrown = err));
    expect((thrown as Error).message).to.equal('an order needs an item');
    expect((await orders.handle(bad, { inputId: 'b' })).status).to.equal('duplicate');
    expect((await store.readStream('workflow-order-o5')).events[0]!.data).to.deep.include({
      outcome: 'failed',
      reason: 'an order needs an item',
    });
    expect((await orders.status()).failedInputs).to.equal(1);
  });

  it('fires a scheduled input at its time, and one pending at a restart after the restart', async () => {
    const dir = await tempDir();
    const store = await openEventStore(path.join(dir, 'events'), { events: orderEvents });
    stores.push(store as unknown as Store);
    // Reservations do not come back as inputs here, so the orders stay open for their reminders.
    const placedOnly = { ...orderWorkflow, inputs: [OrderPlaced] };
    const first = await start(store as unknown as Store, {}, placedOnly);
    await first.handle(OrderPlaced({ orderId: 'soon', item: 'tea', remindAfterMs: 20 }));
    for (let i = 0; i < 100 && (await first.instance('soon')).state.reminded === 0; i++) await sleep(10);
    expect((await first.instance('soon')).state.reminded).to.equal(1);
    await first.handle(OrderPlaced({ orderId: 'later', item: 'tea', remindAfterMs: 400 }));
    expect((await first.status()).timers).to.equal(1);
    await first.close();
    // The 'later' timer was pending when it stopped: a new runtime arms it from the timers stream.
    const second = await start(store as unknown as Store, {}, placedOnly);
    expect((await second.status()).timers).to.equal(1);
    for (let i = 0; i < 200 && (await second.instance('later')).state.reminded === 0; i++) await sleep(10);
    expect((await second.instance('later')).state.reminded).to.equal(1);
    await second.close();
    const third = await start(store as unknown as Store, {}, placedOnly);
    expect((await third.status()).timers).to.equal(0);
    expect((await third.instance('soon')).state.reminded).to.equal(1);
  });

  it('consumes input events from the store with a durable checkpoint, and resumes from it', async () => {
    const dir = await tempDir();
    const store = (await openEventStore(path.join(dir, 'events'), { events: orderEvents })) as unknown as Store;
    stores.push(store);
    const checkpoints = path.join(dir, 'workflows');
    await store.appendToStream('orders', [OrderPlaced({ orderId: 'c1', item: 'tea' })]);
    const orders = await start(store, { checkpoints });
    await orders.caughtUp();
    expect((await orders.instance('c1')).completed).to.equal(true);
    const status = await orders.status();
    expect(status).to.include({ kind: 'workflow', state: 'running', lagEvents: 0 });
    expect(status.checkpoint).to.equal(await store.headPosition());
    await orders.close();
    await store.appendToStream('orders', [OrderPlaced({ orderId: 'c2', item: 'tea' })]);
    const again = await start(store, { checkpoints });
    await again.caughtUp();
    expect((await again.instance('c2')).completed).to.equal(true);
    // c1 was not handled again: one reservation each.
    expect(
      (await store.readStream('stock-tea')).events.map((e) => (e.data as { orderId: string }).orderId),
    ).to.deep.equal(['c1', 'c2']);
  });

  it("runs on a ProjectionRunner: checkpoint in the runner's store, started, reported and closed with it", async () => {
    const dir = await tempDir();
    const store = (await openEventStore(path.join(dir, 'events'), { events: orderEvents })) as unknown as Store;
    stores.push(store);
    const onRunner = async () => {
      const runner = new ProjectionRunner({ dir: path.join(dir, 'state') });
      const orders = runner.addProcess(
        createWorkflow(orderWorkflow, { store, commands: { stock: stockHandler(store) } }),
      );
      await runner.start();
      return { runner, orders };
    };
    await store.appendToStream('orders', [OrderPlaced({ orderId: 'r1', item: 'tea' })]);
    const first = await onRunner();
    await first.orders.caughtUp();
    const [status] = await first.runner.processStatus();
    expect(status).to.deep.include({ name: 'order', kind: 'workflow', state: 'running', lagEvents: 0 });
    expect(status!.checkpoint).to.equal(await store.headPosition());
    await first.runner.close();
    expect((await first.orders.status()).state).to.equal('stopped');
    await store.appendToStream('orders', [OrderPlaced({ orderId: 'r2', item: 'tea' })]);
    const second = await onRunner();
    try {
      await second.orders.caughtUp();
      expect((await second.orders.instance('r2')).completed).to.equal(true);
      expect((await store.readStream('stock-tea')).events).to.have.length(2);
    } finally {
      await second.runner.close();
    }
  });

  it('carries out the outputs of a record a crash left behind, once, when the consumer reaches it', async () => {
    const dir = await tempDir();
    const store = (await openEventStore(path.join(dir, 'events'), { events: orderEvents })) as unknown as Store;
    stores.push(store);
    // What a process killed right after recording the input leaves: the record, no reservation.
    const place = OrderPlaced({ orderId: 'k1', item: 'tea' });
    const reserve = {
      type: 'send' as const,
      target: 'stock',
      streamId: 'stock-tea',
      command: { type: 'Reserve', orderId: 'k1', item: 'tea' },
    };
    for (let i = 0; i < 2; i++)
      await store.appendToStream(
        'workflow-order-k1',
        WorkflowInputRecorded({
          workflow: 'order',
          workflowId: 'k1',
          inputId: 'p',
          input: place,
          outcome: 'handled',
          outputs: [reserve],
        }),
        { commandId: 'input:p' },
      );
    const orders = await start(store, { checkpoints: path.join(dir, 'workflows') });
    await orders.caughtUp();
    expect(await typesOf(store, 'stock-tea')).to.deep.equal(['ItemReserved']);
    expect(await orders.instance('k1')).to.deep.include({ completed: true, inputs: 2 });
    // The same input handed in again finds it recorded, and the reservation applied.
    expect((await orders.handle(place, { inputId: 'p' })).status).to.equal('duplicate');
    expect(await typesOf(store, 'stock-tea')).to.deep.equal(['ItemReserved']);
  });

  it('leaves alone an input getWorkflowId gives no instance', async () => {
    const store = memoryStore();
    const w = await startWorkflow(
      { ...orderWorkflow, getWorkflowId: () => undefined },
      { store, commands: { stock: stockHandler(store) } },
    );
    running.push(w);
    expect(await w.handle(ItemReserved({ orderId: 'x', item: 'tea' }))).to.deep.equal({ status: 'skipped' });
    expect(await store.headPosition()).to.equal(0);
  });
});
