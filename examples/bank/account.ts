// An account as a decider: pure rules, no I/O. The one rule that matters:
// a balance never goes below zero.
import type { Decider } from '../../src/aggregates/index.js';
import {
  AccountOpened,
  Deposited,
  TransferReceived,
  TransferRefunded,
  TransferSent,
  Withdrawn,
  type BankEvent,
} from './events.js';
import { money } from './money.js';

export type AccountState = { status: 'none' } | { status: 'open'; owner: string; balance: number };

export type AccountCommand =
  | { type: 'Open'; owner: string }
  | { type: 'Deposit'; amount: number }
  | { type: 'Withdraw'; amount: number }
  | { type: 'SendTransfer'; transferId: string; to: string; amount: number }
  | { type: 'ReceiveTransfer'; transferId: string; from: string; amount: number }
  | { type: 'RefundTransfer'; transferId: string; to: string; amount: number; reason: string };

export class InsufficientFunds extends Error {
  override name = 'InsufficientFunds';
}

export class AccountNotOpen extends Error {
  override name = 'AccountNotOpen';
}

export class AccountAlreadyOpen extends Error {
  override name = 'AccountAlreadyOpen';
}

export const account: Decider<AccountState, AccountCommand, BankEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve(state, event) {
    if (event.type === 'AccountOpened') return { status: 'open', owner: event.data.owner, balance: 0 };
    if (state.status !== 'open') return state;
    switch (event.type) {
      case 'Deposited':
      case 'TransferReceived':
      case 'TransferRefunded':
        return { ...state, balance: state.balance + event.data.amount };
      case 'Withdrawn':
      case 'TransferSent':
        return { ...state, balance: state.balance - event.data.amount };
    }
  },
  decide(command, state) {
    if (command.type === 'Open') {
      if (state.status === 'open') throw new AccountAlreadyOpen(`the account is already open (owner ${state.owner})`);
      return AccountOpened({ owner: command.owner });
    }
    if (state.status !== 'open') throw new AccountNotOpen('the account is not open');
    switch (command.type) {
      case 'Deposit':
        return Deposited({ amount: command.amount });
      case 'ReceiveTransfer':
        return TransferReceived({ transferId: command.transferId, from: command.from, amount: command.amount });
      case 'RefundTransfer':
        return TransferRefunded({
          transferId: command.transferId,
          to: command.to,
          amount: command.amount,
          reason: command.reason,
        });
      case 'Withdraw':
      case 'SendTransfer':
        if (command.amount > state.balance) {
          throw new InsufficientFunds(
            `insufficient funds: balance ${money(state.balance)}, asked ${money(command.amount)}`,
          );
        }
        return command.type === 'Withdraw'
          ? Withdrawn({ amount: command.amount })
          : TransferSent({ transferId: command.transferId, to: command.to, amount: command.amount });
    }
  },
};
