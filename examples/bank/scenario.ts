// The scripted day at the bank. Every run does the same, so balances grow by
// the same amounts each run: alice +10.00, bob +70.00, and carol back to 0.00.
import type { Accounts } from './accounts.js';
import type { Transfers } from './transfers.js';
import { cents } from './money.js';

export const OWNERS = [
  ['alice', 'Alice'],
  ['bob', 'Bob'],
  ['carol', 'Carol'],
] as const;

export const ACCOUNT_IDS = OWNERS.map(([id]) => id);

/** What a run changes; the tests check the balances against it. */
export const PER_RUN = { alice: cents(10), bob: cents(70), carol: 0 } as const;

export interface ScenarioOutcome {
  /** Accounts opened now (not in an earlier run). */
  opened: number;
  /** Commands refused by the rules (never by a conflict: those are retried). */
  refused: number;
  /** How the transfer to an account that does not exist ended. */
  refunded: boolean;
}

/**
 * `tag` makes this run's command ids unique (a command id is applied once),
 * `step` announces each step and resolves once its events were printed.
 */
export async function scenario(
  { accounts, transfers }: { accounts: Accounts; transfers: Transfers },
  tag: string,
  step: (title: string) => Promise<void>,
): Promise<ScenarioOutcome> {
  await step('open accounts (command ids open-<id>: a second run finds them applied)');
  const opened = await Promise.all(OWNERS.map(([id, owner]) => accounts.open(id, owner)));

  await step('deposits');
  await Promise.all([
    accounts.deposit('alice', cents(100), `${tag}-deposit-alice`),
    accounts.deposit('bob', cents(50), `${tag}-deposit-bob`),
    accounts.deposit('carol', cents(20), `${tag}-deposit-carol`),
  ]);

  await step('transfers (a workflow each): alice -> bob 30.00, bob -> carol 10.00');
  await transfers.transfer(`${tag}-transfer-1`, 'alice', 'bob', cents(30));
  await transfers.transfer(`${tag}-transfer-2`, 'bob', 'carol', cents(10));

  await step('bob -> dave 5.00: dave has no account, the credit is refused and bob is refunded');
  const toDave = await transfers.transfer(`${tag}-transfer-3`, 'bob', 'dave', cents(5));

  await step('three commands on alice at once: the losers of each race reload and decide again');
  await Promise.all([
    accounts.withdraw('alice', cents(40), `${tag}-alice-w1`),
    accounts.withdraw('alice', cents(25), `${tag}-alice-w2`),
    accounts.deposit('alice', cents(5), `${tag}-alice-d1`),
  ]);

  await step("two ATMs withdraw all of carol's balance at once: one wins, the other is refused");
  const carol = await accounts.state('carol');
  const all = carol.status === 'open' ? carol.balance : 0;
  const atms = await Promise.allSettled([
    accounts.withdraw('carol', all, `${tag}-atm-1`),
    accounts.withdraw('carol', all, `${tag}-atm-2`),
  ]);
  await step('');

  return {
    opened: opened.filter((r) => !r.alreadyApplied).length,
    refused: atms.filter((r) => r.status === 'rejected').length,
    refunded: toDave.status === 'refunded',
  };
}
