// The transfer service: a request handed to the transfer workflow, which
// debits, credits and refunds through the account command handler. The
// request's input id is fixed ('request'): asking again for the same
// transfer id does not move money again, it answers how that transfer ended.
import type { Workflow } from '../../src/processes/index.js';
import type { AccountCommand } from './account.js';
import { TransferRequested, type TransferEvent, type TransferState } from './transfer.js';

export type TransferOutcome = Extract<TransferState, { status: 'completed' | 'refunded' | 'refused' }>;

export class Transfers {
  constructor(readonly workflow: Workflow<TransferEvent, TransferState, AccountCommand>) {}

  /** Resolves once the transfer completed, was refunded, or was refused; rejects a request decide refuses (same account). */
  async transfer(transferId: string, from: string, to: string, amount: number): Promise<TransferOutcome> {
    await this.workflow.handle(TransferRequested({ transferId, from, to, amount }), { inputId: 'request' });
    const { state } = await this.workflow.instance(transferId);
    if (state.status === 'completed' || state.status === 'refunded' || state.status === 'refused') return state;
    // Another caller's request for this id is still under way: it finishes it.
    await this.workflow.caughtUp();
    return (await this.workflow.instance(transferId)).state as TransferOutcome;
  }
}
