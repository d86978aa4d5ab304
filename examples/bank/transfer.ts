// A transfer as a workflow: debit the sender, credit the receiver, and give
// the money back when the credit is refused. Each transfer is one instance
// (its stream: workflow-transfer-<transferId>), so a crash between the
// steps leaves a record of where it stood, and the restart carries on.
import { z } from 'zod';
import { defineEvent, type EventOf } from '../../src/eventstore/index.js';
import { complete, send, workflow, type WorkflowInput } from '../../src/processes/index.js';
import type { AccountCommand } from './account.js';
import { streamOf, TransferReceived, TransferRefunded, TransferSent } from './events.js';

/** What a client asks for; it goes to the workflow directly (transfers.handle), recorded in the instance. */
export const TransferRequested = defineEvent(
  'TransferRequested',
  z.object({ transferId: z.string(), from: z.string(), to: z.string(), amount: z.number().int().positive() }),
);

export type TransferEvent =
  | EventOf<typeof TransferRequested>
  | EventOf<typeof TransferSent>
  | EventOf<typeof TransferReceived>
  | EventOf<typeof TransferRefunded>;

type Request = { transferId: string; from: string; to: string; amount: number };

export type TransferState =
  | { status: 'none' }
  /** Asked for, the debit sent. */
  | ({ status: 'requested' } & Request)
  /** Debited: the money is in flight until the credit or the refund. */
  | ({ status: 'debited' } & Request)
  | ({ status: 'refunding'; reason: string } & Request)
  | ({ status: 'completed' } & Request)
  | ({ status: 'refunded'; reason: string } & Request)
  /** The debit was refused: nothing moved. */
  | ({ status: 'refused'; reason: string } & Request);

type Input = WorkflowInput<TransferEvent, AccountCommand>;

export const transferWorkflow = workflow<TransferEvent, TransferState, AccountCommand>({
  name: 'transfer',
  // The account events of a transfer come back from the event store (and at once, from the commands' results).
  inputs: [TransferSent, TransferReceived, TransferRefunded],
  outputs: ['accounts'],
  initialState: () => ({ status: 'none' }),
  getWorkflowId: (input) => input.data.transferId,

  decide(input: Input, state: TransferState) {
    switch (input.type) {
      case 'TransferRequested': {
        if (state.status !== 'none') return [];
        const { transferId, from, to, amount } = input.data;
        if (from === to) throw new Error(`transfer ${transferId}: from and to are the same account (${from})`);
        return send('accounts', streamOf(from), { type: 'SendTransfer', transferId, to, amount });
      }
      case 'TransferSent':
        // A TransferSent of no request here (made before transfers were workflows) is left alone.
        if (state.status !== 'requested') return [];
        return send('accounts', streamOf(state.to), {
          type: 'ReceiveTransfer',
          transferId: state.transferId,
          from: state.from,
          amount: state.amount,
        });
      case 'TransferReceived':
        return state.status === 'debited' ? complete() : [];
      case 'TransferRefunded':
        return state.status === 'refunding' ? complete() : [];
      case 'CommandRejected':
        if (state.status === 'requested') return complete();
        if (state.status !== 'debited') return [];
        return send('accounts', streamOf(state.from), {
          type: 'RefundTransfer',
          transferId: state.transferId,
          to: state.to,
          amount: state.amount,
          reason: input.data.error.message,
        });
    }
  },

  evolve(state: TransferState, input: Input): TransferState {
    switch (input.type) {
      case 'TransferRequested':
        return state.status === 'none' ? { status: 'requested', ...input.data } : state;
      case 'TransferSent':
        return state.status === 'requested' ? { ...state, status: 'debited' } : state;
      case 'TransferReceived':
        return state.status === 'debited' ? { ...state, status: 'completed' } : state;
      case 'TransferRefunded':
        return state.status === 'refunding' ? { ...state, status: 'refunded' } : state;
      case 'CommandRejected': {
        const reason = input.data.error.message;
        if (state.status === 'requested') return { ...state, status: 'refused', reason };
        return state.status === 'debited' ? { ...state, status: 'refunding', reason } : state;
      }
    }
  },
});

/** The money a transfer holds between the debit and the credit or refund. */
export const inFlight = (state: TransferState): number =>
  state.status === 'debited' || state.status === 'refunding' ? state.amount : 0;
