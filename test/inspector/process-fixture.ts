// A projection runner's store holding a reactor ("mailer", one dead letter)
// and a workflow ("orders", an instance per order) run over an event store.
import { z } from 'zod';
import { defineEvent, type EventStore } from '../../src/eventstore/index.js';
import { complete, createWorkflow, reactor, workflow } from '../../src/processes/index.js';
import { ProjectionRunner } from '../../src/projections/index.js';

export const Placed = defineEvent('Placed', z.object({ orderId: z.string() }));

/** Places orders o-0..o-3 in `store` and runs both processes over them until done; the runner's store is `stateDir`. */
export async function runProcesses(store: EventStore, stateDir: string): Promise<void> {
  for (let i = 0; i < 4; i++) await store.appendToStream(`order-${i}`, Placed({ orderId: `o-${i}` }));
  const runner = new ProjectionRunner({ dir: stateDir });
  // The mailer gives up on o-2 at once: one dead letter.
  const mailer = runner.addProcess(
    reactor({
      name: 'mailer',
      source: store,
      handles: [Placed],
      retry: { maxAttempts: 1 },
      onFailure: 'dead-letter',
      handle: async (event) => {
        if ((event.data as { orderId: string }).orderId === 'o-2') throw new Error('no mail server for o-2');
        return Promise.resolve();
      },
    }),
  );
  const orders = runner.addProcess(
    createWorkflow(
      workflow({
        name: 'orders',
        inputs: [Placed],
        initialState: () => ({}),
        getWorkflowId: (input) => (input as { data: { orderId: string } }).data.orderId,
        decide: () => complete(),
        evolve: (state) => state,
      }),
      { store },
    ),
  );
  try {
    await runner.start();
    await mailer.waitFor(3, { timeoutMs: 20_000 });
    await orders.caughtUp(20_000);
  } finally {
    await runner.close();
  }
}
