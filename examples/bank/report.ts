// The end of a run: balances from the balance projection, the daily totals,
// the projections' lag, and the logs' stats.
import path from 'node:path';
import type { ProjectionStatus } from '../../src/projections/index.js';
import { dirSize, formatBytes, table, type Print } from '../shared/output.js';
import type { Bank } from './app.js';
import { money } from './money.js';
import type { Balance, DailyTotals } from './projections.js';

export interface BankReport {
  balances: Record<string, Balance>;
  daily: Record<string, DailyTotals>;
  /** Right after the last command, before the projections caught up. */
  lagAfterCommands: ProjectionStatus[];
  status: ProjectionStatus[];
  events: { messages: number; segments: number; size: number };
}

/** Resolves once every projection has applied every event appended so far. */
export async function caughtUp(bank: Bank, timeoutMs = 30_000): Promise<ProjectionStatus[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await bank.runner.status();
    if (status.every((s) => s.state === 'running' && s.lagEvents === 0)) return status;
    const failed = status.find((s) => s.state === 'failed');
    if (failed) throw failed.error ?? new Error(`projection ${failed.name} failed`);
    if (Date.now() > deadline)
      throw new Error(`projections not caught up after ${timeoutMs} ms: ${status.map(describeLag).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const describeLag = (s: ProjectionStatus) => `${s.name} ${s.lagEvents} events (${s.lagSeconds.toFixed(2)} s)`;

export async function report(
  bank: Bank,
  dataDir: string,
  print: Print,
  lagAfterCommands: ProjectionStatus[],
): Promise<BankReport> {
  const status = await caughtUp(bank);
  const { states: balanceStates } = await bank.balances.snapshot();
  const balances = Object.fromEntries([...balanceStates].sort(([a], [b]) => a.localeCompare(b)));
  const daily = Object.fromEntries([...(await bank.daily.snapshot()).states].sort(([a], [b]) => a.localeCompare(b)));

  print('balances (balances projection):');
  const balanceRows = Object.entries(balances).map(([id, b]) => [id, b.owner, money(b.balance), b.movements]);
  for (const line of table([['account', 'owner', 'balance', 'movements'], ...balanceRows])) print(line);
  print('daily totals (daily-totals projection):');
  const dayRows = Object.entries(daily).map(([day, t]) => [
    day,
    money(t.deposited),
    money(t.withdrawn),
    money(t.transferred),
    t.count,
  ]);
  for (const line of table([['day (UTC)', 'deposited', 'withdrawn', 'transferred', 'movements'], ...dayRows]))
    print(line);
  print(`projection lag right after the last command: ${lagAfterCommands.map(describeLag).join(', ')}`);
  print(
    `projections now: ${status.map((s) => `${s.name} ${s.state} at checkpoint ${s.checkpoint}/${s.sourceHead} (lag ${s.lagEvents})`).join(', ')}`,
  );
  const events = await bank.store.log.stat();
  print(
    `event log: ${events.messages} events in ${events.segments} segment(s), ${formatBytes(events.size)}; ` +
      `snapshots ${formatBytes(await dirSize(path.join(dataDir, 'snapshots')))}, projection state ${formatBytes(await dirSize(path.join(dataDir, 'projections')))}`,
  );
  return { balances, daily, lagAfterCommands, status, events };
}
