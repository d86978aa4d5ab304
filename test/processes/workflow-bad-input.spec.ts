// Bad input to workflows: ERR_INVALID_ARGUMENT naming the argument, at the
// call that got it, never a TypeError later or a hang.
import { expect } from 'chai';
import { inMemoryEventStore } from '../../src/eventstore/index.js';
import { ProjectionRunner } from '../../src/projections/index.js';
import { createWorkflow, send, startWorkflow, workflow, workflowEvents } from '../../src/processes/index.js';
import { caught, expectLogError } from '../helpers/errors.js';
import { OrderPlaced, orderEvents, orderWorkflow, stockHandler } from './order-fixture.js';

describe('processes: workflow bad input', () => {
  const closing: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const c of closing.splice(0).reverse()) await c.close();
  });
  const store = () => {
    const s = inMemoryEventStore({ events: orderEvents });
    closing.push(s);
    return s;
  };
  const started = async <W extends { close(): Promise<void> }>(w: Promise<W>): Promise<W> => {
    const running = await w;
    closing.push(running);
    return running;
  };

  it('a store opened without workflowEvents: the first record says to add them, not to declare the type', async () => {
    const s = inMemoryEventStore({ events: orderEvents.filter((t) => !workflowEvents.includes(t as never)) });
    closing.push(s);
    const orders = await started(startWorkflow(orderWorkflow, { store: s, commands: { stock: stockHandler(s) } }));
    const err = await caught(() => orders.handle(OrderPlaced({ orderId: 'o1', item: 'tea' })));
    expect(err).to.include({ code: 'ERR_INVALID_EVENT', eventType: 'WorkflowInputRecorded' });
    expect((err as Error).message).to.match(
      /the store does not know the workflow's own events; open the store with events: \[\.\.\.yourEvents, \.\.\.workflowEvents\]/,
    );
  });

  it('refuses a definition with unknown options, a bad name, missing functions or no inputs', async () => {
    const def = orderWorkflow as unknown as Record<string, unknown>;
    await expectLogError(
      () => workflow({ ...def, inputz: [] } as never),
      'ERR_INVALID_ARGUMENT',
      /unknown option "inputz"/,
    );
    await expectLogError(
      () => workflow({ ...def, name: 'orders/eu' } as never),
      'ERR_INVALID_ARGUMENT',
      /definition\.name must not contain path separators/,
    );
    await expectLogError(() => workflow({ ...def, name: '..' } as never), 'ERR_INVALID_ARGUMENT', /definition\.name/);
    await expectLogError(
      () => workflow({ ...def, decide: 'no' } as never),
      'ERR_INVALID_ARGUMENT',
      /definition\.decide must be a function/,
    );
    await expectLogError(
      () => workflow({ ...def, inputs: [] } as never),
      'ERR_INVALID_ARGUMENT',
      /definition\.inputs must be a non-empty array/,
    );
    await expectLogError(
      () => workflow({ ...def, inputs: [42] } as never),
      'ERR_INVALID_ARGUMENT',
      /definition\.inputs\[0\]/,
    );
    await expectLogError(
      () => workflow(null as never),
      'ERR_INVALID_ARGUMENT',
      /definition must be an object, got null/,
    );
  });

  it('refuses start options that are unknown, a store that is none, and command handlers that do not match the outputs', async () => {
    const s = store();
    const stock = stockHandler(s);
    await expectLogError(
      () => startWorkflow(orderWorkflow, { store: s, commands: { stock }, checkpoint: '/tmp/x' } as never),
      'ERR_INVALID_ARGUMENT',
      /unknown option "checkpoint"/,
    );
    await expectLogError(
      () => startWorkflow(orderWorkflow, { store: {} as never }),
      'ERR_INVALID_ARGUMENT',
      /options\.store must be an event store/,
    );
    await expectLogError(
      () => startWorkflow(orderWorkflow, { store: s }),
      'ERR_INVALID_ARGUMENT',
      /options\.commands\.stock must be a command handler/,
    );
    await expectLogError(
      () => startWorkflow(orderWorkflow, { store: s, commands: { stock, billing: stock } }),
      'ERR_INVALID_ARGUMENT',
      /options\.commands\.billing is not among the definition's outputs/,
    );
    await expectLogError(
      () => startWorkflow(orderWorkflow, { store: s, commands: { stock }, batchSize: 0 }),
      'ERR_INVALID_ARGUMENT',
      /options\.batchSize must be an integer >= 1, got 0/,
    );
    await expectLogError(
      () => startWorkflow(orderWorkflow, { store: s, commands: { stock }, checkpoints: 7 } as never),
      'ERR_INVALID_ARGUMENT',
      /options\.checkpoints must be a directory path/,
    );
  });

  it('refuses bad inputs and handle options', async () => {
    const s = store();
    const orders = await started(startWorkflow(orderWorkflow, { store: s, commands: { stock: stockHandler(s) } }));
    await expectLogError(() => orders.handle(null as never), 'ERR_INVALID_ARGUMENT', /handle: input must be an event/);
    await expectLogError(
      () => orders.handle({ type: 'OrderPlaced' } as never),
      'ERR_INVALID_ARGUMENT',
      /input\.data is missing/,
    );
    await expectLogError(
      () => orders.handle(OrderPlaced({ orderId: 'a', item: 'tea' }), { id: 'x' } as never),
      'ERR_INVALID_ARGUMENT',
      /unknown option "id"/,
    );
    await expectLogError(
      () => orders.handle(OrderPlaced({ orderId: 'a', item: 'tea' }), { inputId: '' }),
      'ERR_INVALID_ARGUMENT',
      /options\.inputId must be a non-empty string/,
    );
    const noId = await started(
      startWorkflow(
        { ...orderWorkflow, getWorkflowId: () => 42 as never },
        { store: s, commands: { stock: stockHandler(s) } },
      ),
    );
    await expectLogError(
      () => noId.handle(OrderPlaced({ orderId: 'a', item: 'tea' })),
      'ERR_INVALID_ARGUMENT',
      /getWorkflowId's answer must be a non-empty string, got 42/,
    );
  });

  it('records as failed a decide that returns a promise or sends to a target it does not list', async () => {
    const s = store();
    const asyncDecide = await started(
      startWorkflow(
        { ...orderWorkflow, decide: (async () => []) as never },
        { store: s, commands: { stock: stockHandler(s) } },
      ),
    );
    await expectLogError(
      () => asyncDecide.handle(OrderPlaced({ orderId: 'p', item: 'tea' })),
      'ERR_INVALID_ARGUMENT',
      /decide must return its outputs synchronously/,
    );
    const elsewhere = await started(
      startWorkflow(
        { ...orderWorkflow, name: 'elsewhere', decide: () => send('billing', 'bill-1', {}) as never },
        { store: s, commands: { stock: stockHandler(s) } },
      ),
    );
    await expectLogError(
      () => elsewhere.handle(OrderPlaced({ orderId: 'q', item: 'tea' })),
      'ERR_INVALID_ARGUMENT',
      /sends to "billing", which the definition's outputs do not list \(stock\)/,
    );
    expect((await elsewhere.instance('q')).inputs).to.equal(1);
  });

  it('fails the step, without recording a refusal, when a command handler returns no promise; a retry carries it out', async () => {
    const s = store();
    let calls = 0;
    const real = stockHandler(s);
    const flaky = ((...args: Parameters<typeof real>) =>
      ++calls === 1 ? ({ events: [] } as never) : real(...args)) as typeof real;
    const orders = await started(startWorkflow(orderWorkflow, { store: s, commands: { stock: flaky } }));
    const input = OrderPlaced({ orderId: 'r', item: 'tea' });
    await expectLogError(
      () => orders.handle(input, { inputId: 'i' }),
      'ERR_INVALID_ARGUMENT',
      /commands\.stock must return a promise \(be async\)/,
    );
    expect((await s.readStream('stock-tea')).events).to.have.length(0);
    expect((await orders.handle(input, { inputId: 'i' })).status).to.equal('duplicate');
    expect((await s.readStream('stock-tea')).events).to.have.length(1);
    expect((await orders.instance('r')).completed).to.equal(true);
  });

  it('refuses a runner for a workflow that keeps its own checkpoints, and a second runner', async () => {
    const s = store();
    const runner = new ProjectionRunner();
    const own = createWorkflow(orderWorkflow, {
      store: s,
      commands: { stock: stockHandler(s) },
      checkpoints: '/tmp/nowhere',
    });
    await expectLogError(() => runner.addProcess(own), 'ERR_INVALID_ARGUMENT', /leave options\.checkpoints out/);
    // Errors name the function that was called.
    await expectLogError(
      () => createWorkflow(orderWorkflow, { store: s, commands: { stock: stockHandler(s) }, batchSize: 0 }),
      'ERR_INVALID_ARGUMENT',
      /^createWorkflow\(order\): options\.batchSize must be an integer >= 1, got 0/,
    );
    const w = createWorkflow(orderWorkflow, { store: s, commands: { stock: stockHandler(s) } });
    runner.addProcess(w);
    await expectLogError(() => new ProjectionRunner().addProcess(w), 'ERR_INVALID_ARGUMENT', /already on a runner/);
    expect(
      await caught(() =>
        runner.addProcess(createWorkflow(orderWorkflow, { store: s, commands: { stock: stockHandler(s) } })),
      ),
    ).to.have.property('code', 'ERR_INVALID_ARGUMENT');
  });
});
