// A workflow consumer stopped by a library error (here a command handler
// whose store is away: a KlevdbError, which is not a refusal) starts again
// by itself after a pause, from its checkpoint, and carries the output out
// once; with restart: false it stays failed until start() is called.
import { expect } from 'chai';
import path from 'node:path';
import { openEventStore, type LogEventStore } from '../../src/eventstore/index.js';
import { LogError } from '../../src/index.js';
import { startWorkflow, type Workflow, type WorkflowOptions } from '../../src/processes/index.js';
import { useTempDirs } from '../helpers/fs.js';
import {
  OrderPlaced,
  orderEvents,
  orderWorkflow,
  stockHandler,
  type OrderEvent,
  type OrderState,
  type Reserve,
} from './order-fixture.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, test: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('processes: a workflow consumer that failed starts again', () => {
  const running: Array<Workflow<OrderEvent, OrderState, Reserve>> = [];
  const stores: LogEventStore[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((w) => w.close()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  const tempDir = useTempDirs('klevdb-workflow-restart-');

  /** A store, and a workflow whose stock handler fails with a library error `failures` times before it works. */
  async function setUp(failures: number, restart: WorkflowOptions['restart']) {
    const dir = await tempDir();
    const store = (await openEventStore(path.join(dir, 'events'), { events: orderEvents })) as unknown as LogEventStore;
    stores.push(store);
    const stock = stockHandler(store);
    const calls = { tried: 0 };
    const errors: string[] = [];
    const flaky = (async (...args: Parameters<typeof stock>) => {
      if (calls.tried++ < failures) throw new LogError('ERR_CLOSED', 'the stock store is away');
      return stock(...args);
    }) as typeof stock;
    const orders = await startWorkflow(orderWorkflow, {
      store,
      commands: { stock: flaky },
      checkpoints: path.join(dir, 'workflows'),
      onError: (e) => errors.push(e.message),
      restart,
    });
    running.push(orders);
    return { store, orders, calls, errors };
  }

  it('after a failure the consumer pauses, starts again from its checkpoint and carries the output out once', async () => {
    const { store, orders, calls, errors } = await setUp(2, { initialDelayMs: 20, factor: 2 });
    await store.appendToStream('order-o1', OrderPlaced({ orderId: 'o1', item: 'tea' }));
    await orders.caughtUp();
    expect((await orders.instance('o1')).completed).to.equal(true);
    const status = await orders.status();
    expect(status.restarts, 'restarts').to.equal(2);
    expect(status.state).to.equal('running');
    expect(status.error).to.equal(undefined);
    expect(errors, 'each failure reported').to.deep.equal(['the stock store is away', 'the stock store is away']);
    expect(calls.tried, 'tries of the command').to.equal(3);
    expect(
      (await store.readStream('stock-tea')).events.map((e) => e.type),
      'reserved once',
    ).to.deep.equal(['ItemReserved']);
    await orders.caughtUp();
  });

  it('while it waits to start again, status says failed with the error and caughtUp waits; stop() cancels the restart', async () => {
    // The pause before the restart must outlast what runs inside it (the status polls and a caughtUp of
    // 50 ms), also on a busy machine: at 150 ms a slow poll let the restart come first.
    const pauseMs = 1000;
    const { store, orders, calls } = await setUp(1, { initialDelayMs: pauseMs });
    await store.appendToStream('order-o2', OrderPlaced({ orderId: 'o2', item: 'tea' }));
    await until('the failure', async () => (await orders.status()).state === 'failed');
    expect((await orders.status()).error?.message).to.equal('the stock store is away');
    const waited = await orders.caughtUp(50).then(
      () => 'caught up',
      (e: Error) => e.message,
    );
    expect(waited).to.match(/not caught up after 50 ms .*waits to start again: the stock store is away/);
    await orders.stop();
    await sleep(pauseMs + 250);
    expect(calls.tried, 'no restart after stop()').to.equal(1);
    expect((await orders.status()).restarts).to.equal(0);
    // start() goes on at once from the checkpoint: the input is carried out.
    await orders.start();
    await until('the instance to complete', async () => (await orders.instance('o2')).completed);
    expect(calls.tried).to.equal(2);
  });

  it('restart: false leaves it failed until start() is called', async () => {
    const { store, orders, calls } = await setUp(1, false);
    await store.appendToStream('order-o3', OrderPlaced({ orderId: 'o3', item: 'tea' }));
    await until('the failure', async () => (await orders.status()).state === 'failed');
    await sleep(50);
    expect(calls.tried, 'no restart by itself').to.equal(1);
    const failed = await orders.caughtUp(1_000).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(failed).to.equal('the stock store is away');
    await orders.stop();
    await orders.start();
    await until('the instance to complete', async () => (await orders.instance('o3')).completed);
    expect((await orders.status()).restarts).to.equal(0);
  });

  it('refuses a bad restart option, naming it', async () => {
    const dir = await tempDir();
    const store = (await openEventStore(dir, { events: orderEvents })) as unknown as LogEventStore;
    stores.push(store);
    const attempt = (restart: unknown) =>
      startWorkflow(orderWorkflow, { store, commands: { stock: stockHandler(store) }, restart } as never).then(
        (w) => {
          running.push(w);
          return null;
        },
        (e: LogError) => `${e.code}: ${e.message}`,
      );
    expect(await attempt('yes')).to.match(
      /^ERR_INVALID_ARGUMENT: .*options\.restart must be true, false or an object, got the string "yes"/,
    );
    expect(await attempt({ factor: 0.5 })).to.match(/options\.restart\.factor must be a number >= 1, got 0\.5/);
    expect(await attempt({ initialDelayMs: 10, maxDelayMs: 5 })).to.match(
      /options\.restart\.maxDelayMs must be a number >= 10/,
    );
    expect(await attempt({ pause: 1 })).to.match(/options\.restart.*pause/);
    expect(await attempt(true), 'true: the defaults').to.equal(null);
  });
});
