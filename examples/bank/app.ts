// Wiring, shared by the bank demo and the http service: a tsyringe container
// over the data directory (events, snapshots), the command service, and the
// projection runner with the two projections, started.
import path from 'node:path';
import { createContainer, type DependencyContainer } from '../../src/di/index.js';
import type { LogEventStore } from '../../src/eventstore/index.js';
import {
  ProjectionTokens,
  registerProjectionRunner,
  type Projection,
  type ProjectionRunner,
} from '../../src/projections/index.js';
import { createWorkflow, workflowEvents } from '../../src/processes/index.js';
import { Accounts } from './accounts.js';
import { bankEvents, type BankEvent } from './events.js';
import { Notices } from './notices.js';
import {
  BalancesProjection,
  DailyTotalsProjection,
  type Balance,
  type DailyTotals,
  type Recorded,
} from './projections.js';
import { Tokens } from '../../src/di/index.js';
import { transferWorkflow } from './transfer.js';
import { Transfers } from './transfers.js';

export interface Bank {
  container: DependencyContainer;
  store: LogEventStore<BankEvent>;
  accounts: Accounts;
  /** Transfers as a workflow (debit, credit, refund) on the projection runner, its checkpoint in <data>/projections/transfer. */
  transfers: Transfers;
  notices: Notices;
  runner: ProjectionRunner;
  balances: Projection<Balance, Recorded>;
  daily: Projection<DailyTotals, Recorded>;
  /** Stops the projections and the workflow, and closes every log. */
  close(): Promise<void>;
}

export async function openBank(dataDir: string): Promise<Bank> {
  // The transfer workflow keeps its instances in the same store: its events are declared too.
  // A bank killed in the middle of an append restarts as it is: the open indexes the events that
  // reached the log and cuts one cut short (that command was never acknowledged; a retry with its
  // command id applies it once). No `recover`: damage to the log stops the bank instead of being cut.
  const container = await createContainer({
    dir: dataDir,
    events: [...bankEvents, ...workflowEvents],
  });
  try {
    const notices = new Notices();
    container.registerInstance(Notices, notices);
    const runner = registerProjectionRunner(container, {
      dir: path.join(dataDir, 'projections'),
      // Queries made while a projection catches up wait for it, instead of answering from stale state.
      defaults: { whileRestoring: 'wait', compaction: { everyMs: 60_000 } },
    });
    const balances = runner.add(BalancesProjection);
    const daily = runner.add(DailyTotalsProjection);
    const store = container.resolve(Tokens.EventStore) as LogEventStore<BankEvent>;
    const accounts = container.resolve(Accounts);
    // The transfer workflow runs on the runner too: its checkpoint beside the projections' state.
    const transfers = new Transfers(
      runner.addProcess(createWorkflow(transferWorkflow, { store, commands: { accounts: accounts.commands } })),
    );
    await runner.start();
    return {
      container,
      store,
      accounts,
      transfers,
      notices,
      runner: container.resolve(ProjectionTokens.Runner),
      balances,
      daily,
      close: async () => {
        notices.complete();
        await container.dispose();
      },
    };
  } catch (err) {
    await container.dispose();
    throw err;
  }
}
