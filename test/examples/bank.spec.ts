// examples/bank: the scripted scenario, run once, twice and after --reset;
// the account rules and the projections on their own.
import { expect } from 'chai';
import { DeciderSpecification } from '../../src/aggregates/index.js';
import { ProjectionSpecification } from '../../src/projections/index.js';
import { account, InsufficientFunds, type AccountCommand } from '../../examples/bank/account.js';
import { openBank } from '../../examples/bank/app.js';
import {
  AccountOpened,
  bankEvents,
  Deposited,
  TransferReceived,
  TransferRefunded,
  TransferSent,
  Withdrawn,
} from '../../examples/bank/events.js';
import { complete, send, WorkflowSpecification, type CommandRejected } from '../../src/processes/index.js';
import { TransferRequested, transferWorkflow } from '../../examples/bank/transfer.js';
import { BalancesProjection, DailyTotalsProjection } from '../../examples/bank/projections.js';
import { run, type BankResult } from '../../examples/bank/run.js';
import { PER_RUN } from '../../examples/bank/scenario.js';
import { capture, useTempDir } from './helpers.js';

/** Balances in cents after `runs` runs of the scenario. */
const balancesAfter = (runs: number) => ({
  alice: PER_RUN.alice * runs,
  bob: PER_RUN.bob * runs,
  carol: PER_RUN.carol * runs,
});
const balancesOf = (result: BankResult) =>
  Object.fromEntries(Object.entries(result.balances).map(([id, b]) => [id, b.balance]));
const sum = (result: BankResult, field: 'deposited' | 'withdrawn' | 'transferred' | 'count') =>
  Object.values(result.daily).reduce((total, day) => total + day[field], 0);

// 3 opened, 3 deposits, 3 on alice, 1 ATM withdrawal; 2 transfers of 2 account events and 3 workflow records,
// 1 refunded transfer of 2 account events and 4 workflow records.
const EVENTS_FIRST_RUN = 26;
const EVENTS_NEXT_RUNS = 23; // the same without the 3 openings

describe('examples/bank', () => {
  const dataDir = useTempDir('bank');

  it('runs the scenario: balances, daily totals, lag and stats, with the conflicts retried and the overdraft refused', async () => {
    const out = capture();
    const result = await run({ dataDir: dataDir(), print: out.print });
    expect(result.startedAt).to.equal(0);
    expect(balancesOf(result)).to.deep.equal(balancesAfter(1));
    expect(result.balances.alice).to.deep.include({ owner: 'Alice' });
    expect(result).to.include({ opened: 3, refused: 1, refunded: true, printed: EVENTS_FIRST_RUN });
    expect(sum(result, 'deposited')).to.equal(175_00);
    expect(sum(result, 'withdrawn')).to.equal(95_00);
    expect(sum(result, 'transferred')).to.equal(40_00);
    expect(result.events.messages).to.equal(EVENTS_FIRST_RUN);
    for (const status of result.status)
      expect(status).to.include({ state: 'running', checkpoint: EVENTS_FIRST_RUN, lagEvents: 0 });
    const text = out.text();
    expect(text).to.match(/~ alice: concurrency conflict \(expected v\d+, found v\d+\), retrying/);
    expect(text).to.match(/~ carol: concurrency conflict \(expected v3, found v4\), retrying/);
    expect(text).to.match(/x carol: Withdraw refused: insufficient funds: balance 0\.00, asked 30\.00/);
    expect(text).to.match(/^ {2}@25 +carol +v4 +Withdrawn +-30\.00$/m);
    expect(text).to.match(/^ {2}@18 +transfer r0-transfer-3: TransferSent -> send ReceiveTransfer to dave$/m);
    expect(text).to.match(/x dave: ReceiveTransfer refused: the account is not open/);
    expect(text).to.match(/^ {2}@20 +bob +v6 +TransferRefunded +\+5\.00 back: the transfer to dave was refused$/m);
    expect(text).to.match(/^ {2}alice +Alice +10\.00 +5$/m);
    expect(text).to.match(/^projection lag right after the last command: balances \d+ events/m);
    expect(text).to.match(/^event log: 26 events in 1 segment\(s\)/m);
  });

  it('continues from the data it left when run again, and starts clean with --reset', async () => {
    await run({ dataDir: dataDir(), print: () => undefined });
    const second = await run({ dataDir: dataDir(), print: () => undefined });
    expect(second.startedAt).to.equal(EVENTS_FIRST_RUN);
    expect(second).to.include({ opened: 0, refused: 1, refunded: true, printed: EVENTS_NEXT_RUNS });
    // The projections resumed from their checkpoints: no event applied twice.
    expect(balancesOf(second)).to.deep.equal(balancesAfter(2));
    expect(sum(second, 'count')).to.equal(2 * 9);
    expect(second.events.messages).to.equal(EVENTS_FIRST_RUN + EVENTS_NEXT_RUNS);

    const reset = await run({ dataDir: dataDir(), reset: true, print: () => undefined });
    expect(reset.startedAt).to.equal(0);
    expect(balancesOf(reset)).to.deep.equal(balancesAfter(1));
  });

  it('the balance projection agrees with the aggregates, and a rebuild from the oldest event gives the same state', async () => {
    await run({ dataDir: dataDir(), print: () => undefined });
    await run({ dataDir: dataDir(), print: () => undefined });
    const bank = await openBank(dataDir());
    try {
      for (const [id, balance] of Object.entries(balancesAfter(2))) {
        const state = await bank.accounts.state(id);
        expect(state).to.deep.include({ status: 'open', balance });
        expect(await bank.balances.get(id)).to.deep.include({ balance });
      }
      const before = (await bank.daily.snapshot()).states;
      await bank.daily.rebuild();
      expect((await bank.daily.snapshot()).states).to.deep.equal(before);
    } finally {
      await bank.close();
    }
  });

  describe('transfer workflow', () => {
    const given = WorkflowSpecification.for(transferWorkflow);
    const request = TransferRequested({ transferId: 't', from: 'ann', to: 'bob', amount: 10_00 });
    const sent = TransferSent({ transferId: 't', to: 'bob', amount: 10_00 });
    const refusal = (command: AccountCommand): CommandRejected<AccountCommand> => ({
      type: 'CommandRejected',
      data: {
        target: 'accounts',
        streamId: '',
        command,
        commandId: 'c',
        error: { name: 'AccountNotOpen', message: 'the account is not open' },
      },
    });
    const credit = { type: 'ReceiveTransfer' as const, transferId: 't', from: 'ann', amount: 10_00 };

    it('debits, then credits, then completes', () => {
      given()
        .when(request)
        .then(send('accounts', 'account-ann', { type: 'SendTransfer', transferId: 't', to: 'bob', amount: 10_00 }));
      given([request])
        .when(sent)
        .then(send('accounts', 'account-bob', credit));
      given([request, sent])
        .when(TransferReceived({ transferId: 't', from: 'ann', amount: 10_00 }))
        .then(complete());
    });

    it('refunds a refused credit, and ends a refused debit with nothing moved', () => {
      given([request, sent])
        .when(refusal(credit))
        .then(
          send('accounts', 'account-ann', {
            type: 'RefundTransfer',
            transferId: 't',
            to: 'bob',
            amount: 10_00,
            reason: 'the account is not open',
          }),
        );
      given([request, sent, refusal(credit)])
        .when(TransferRefunded({ transferId: 't', to: 'bob', amount: 10_00, reason: 'the account is not open' }))
        .then(complete());
      given([request])
        .when(refusal({ type: 'SendTransfer', transferId: 't', to: 'bob', amount: 10_00 }))
        .then(complete());
      given([request, refusal({ type: 'SendTransfer', transferId: 't', to: 'bob', amount: 10_00 })])
        .when(sent)
        .thenIgnored();
    });

    it('leaves alone a debit of no request, and refuses a transfer to the same account', () => {
      given().when(sent).thenNothingHappened();
      given()
        .when(TransferRequested({ transferId: 't', from: 'ann', to: 'ann', amount: 1 }))
        .thenThrows(/same account/);
    });
  });

  describe('account rules', () => {
    const given = DeciderSpecification.for(account);
    const opened = [AccountOpened({ owner: 'Ann' }), Deposited({ amount: 10_00 })];

    it('never lets a balance go below zero', () => {
      given(opened).when({ type: 'Withdraw', amount: 10_01 }).thenThrows(InsufficientFunds);
      given(opened)
        .when({ type: 'SendTransfer', transferId: 't', to: 'bob', amount: 10_01 })
        .thenThrows(InsufficientFunds);
      given(opened)
        .when({ type: 'Withdraw', amount: 10_00 })
        .then(Withdrawn({ amount: 10_00 }));
      given(opened).when({ type: 'Withdraw', amount: 10_00 }).thenState({ status: 'open', owner: 'Ann', balance: 0 });
    });

    it('refuses commands on an account that is not open, and a second opening', () => {
      given()
        .when({ type: 'Deposit', amount: 1 })
        .thenThrows(/not open/);
      given(opened)
        .when({ type: 'Open', owner: 'Ann' })
        .thenThrows(/already open/);
    });
  });

  describe('projections', () => {
    it('balances: one state per account', () =>
      ProjectionSpecification.for((store) => new BalancesProjection(store), { events: bankEvents })([
        ['account-ann', [AccountOpened({ owner: 'Ann' }), Deposited({ amount: 50_00 })]],
        ['account-bob', AccountOpened({ owner: 'Bob' })],
        ['account-ann', TransferSent({ transferId: 't1', to: 'bob', amount: 20_00 })],
      ]).then({
        ann: { owner: 'Ann', balance: 30_00, movements: 2 },
        bob: { owner: 'Bob', balance: 0, movements: 0 },
      }));

    it('daily totals: one state per day, a transfer counted once', async () => {
      const today = new Date().toISOString().slice(0, 10);
      await ProjectionSpecification.for((store) => new DailyTotalsProjection(store), { events: bankEvents })([
        ['account-ann', [AccountOpened({ owner: 'Ann' }), Deposited({ amount: 50_00 }), Withdrawn({ amount: 5_00 })]],
        ['account-ann', TransferSent({ transferId: 't1', to: 'bob', amount: 20_00 })],
      ]).thenState(today, { deposited: 50_00, withdrawn: 5_00, transferred: 20_00, count: 3 });
    });
  });
});
