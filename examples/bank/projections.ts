// The read side: two projections folding the account events into keyed
// state, each kept in a compacted state log of its own (data/bank/projections/<name>).
// Written as @injectable classes, so the runner resolves them from the
// container and injects the event store they read.
import { inject, injectable, Tokens } from '../../src/di/index.js';
import type { EventStore, RecordedEvent } from '../../src/eventstore/index.js';
import type { ProjectionDefinition } from '../../src/projections/index.js';
import {
  accountOf,
  AccountOpened,
  Deposited,
  TransferReceived,
  TransferRefunded,
  TransferSent,
  Withdrawn,
  type BankEvent,
} from './events.js';

export type Recorded = RecordedEvent<BankEvent>;

export interface Balance {
  owner: string;
  balance: number;
  /** Deposits, withdrawals, transfers in and out, and refunds. */
  movements: number;
}

/** One state per account: its owner and balance. */
@injectable()
export class BalancesProjection implements ProjectionDefinition<Balance, Recorded> {
  readonly name = 'balances';
  readonly handles = [AccountOpened, Deposited, Withdrawn, TransferSent, TransferReceived, TransferRefunded];

  constructor(@inject(Tokens.EventStore) readonly source: EventStore<BankEvent>) {}

  key(event: Recorded): string {
    return accountOf(event.meta.streamId);
  }

  initialState(): Balance {
    return { owner: '', balance: 0, movements: 0 };
  }

  apply(state: Balance, event: Recorded): Balance {
    switch (event.type) {
      case 'AccountOpened':
        return { ...state, owner: event.data.owner };
      case 'Deposited':
      case 'TransferReceived':
      case 'TransferRefunded':
        return { ...state, balance: state.balance + event.data.amount, movements: state.movements + 1 };
      case 'Withdrawn':
      case 'TransferSent':
        return { ...state, balance: state.balance - event.data.amount, movements: state.movements + 1 };
    }
  }
}

export interface DailyTotals {
  deposited: number;
  withdrawn: number;
  transferred: number;
  /** Money movements of the day (a transfer counts once). */
  count: number;
}

/** One state per UTC day: the money that came in, went out and moved between accounts. */
@injectable()
export class DailyTotalsProjection implements ProjectionDefinition<DailyTotals, Recorded> {
  readonly name = 'daily-totals';
  readonly handles = [Deposited, Withdrawn, TransferSent, TransferRefunded];

  constructor(@inject(Tokens.EventStore) readonly source: EventStore<BankEvent>) {}

  key(event: Recorded): string {
    return event.meta.recordedAt.toISOString().slice(0, 10);
  }

  initialState(): DailyTotals {
    return { deposited: 0, withdrawn: 0, transferred: 0, count: 0 };
  }

  apply(state: DailyTotals, event: Recorded): DailyTotals {
    const count = state.count + 1;
    switch (event.type) {
      case 'Deposited':
        return { ...state, deposited: state.deposited + event.data.amount, count };
      case 'Withdrawn':
        return { ...state, withdrawn: state.withdrawn + event.data.amount, count };
      case 'TransferSent':
        return { ...state, transferred: state.transferred + event.data.amount, count };
      // A refunded transfer moved nothing in the end: it leaves the day's totals.
      case 'TransferRefunded':
        return { ...state, transferred: state.transferred - event.data.amount, count: state.count - 1 };
      default:
        return state;
    }
  }
}
