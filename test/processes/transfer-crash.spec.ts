// The bank's transfer workflow under SIGKILL: a child runs the bank app and
// many concurrent transfers (some to an account that does not exist, which
// are refunded); it is killed at random points and restarted. After each
// kill the money is counted from the event log: the sum of the balances
// plus the money in flight (debited, not yet credited or refunded) equals
// what was deposited, and no transfer is debited, credited or refunded
// twice. After a last run to the end, every transfer completed or was
// refunded, and every instance of the workflow completed.
// KLEVDB_TRANSFER_KILLS (default 3) and KLEVDB_TRANSFER_COUNT (default 60);
// npm run torture runs many more.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEventStore, type RecordedEvent } from '../../src/eventstore/index.js';
import { workflowEvents, type InputRecord } from '../../src/processes/index.js';
import { bankEvents } from '../../examples/bank/events.js';
import { seeded } from '../helpers/crash-workload.js';
import { reportFigure } from '../helpers/figures.js';
import { useTempDirs } from '../helpers/fs.js';
import type { TransferPlan } from './fixtures/transfer-child.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'transfer-child.js');
const KILLS = Number(process.env.KLEVDB_TRANSFER_KILLS ?? 3);
const COUNT = Number(process.env.KLEVDB_TRANSFER_COUNT ?? 60);
const SEED = Number(process.env.KLEVDB_CRASH_SEED ?? 19);

function makePlan(rand: () => number): TransferPlan {
  const accounts = ['ann', 'ben', 'cat', 'dan', 'eve'];
  const pick = () => accounts[Math.floor(rand() * accounts.length)]!;
  const transfers = Array.from({ length: COUNT }, (_, i) => {
    const from = pick();
    // One in six goes to an account nobody opened: debited, refused, refunded.
    const to = rand() < 1 / 6 ? 'ghost' : accounts.filter((a) => a !== from)[Math.floor(rand() * 4)]!;
    return { transferId: `t${i}`, from, to, amount: 1 + Math.floor(rand() * 100_00) };
  });
  // Enough that no debit is refused: every transfer must complete or be refunded.
  return { accounts, funding: 1_000_000_00, transfers };
}

/** Runs the child; with killAfterMs, SIGKILLs it that long after it began transferring. Resolves to whether it finished. */
function runChild(dataDir: string, planFile: string, killAfterMs?: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, planFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (killAfterMs !== undefined && timer === undefined && out.includes('transferring'))
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' || out.includes('done')) return resolve(out.includes('done'));
      reject(new Error(`the bank child exited with ${code ?? signal} before it was done:\n${out}`));
    });
  });
}

interface Count {
  deposited: number;
  balances: Map<string, number>;
  /** Per transfer id: how many debits, credits and refunds, and the amount. */
  transfers: Map<string, { sent: number; received: number; refunded: number; amount: number }>;
  records: Map<string, InputRecord[]>;
}

async function countMoney(dataDir: string): Promise<Count> {
  const store = await openEventStore(path.join(dataDir, 'events'), { events: [...bankEvents, ...workflowEvents] });
  const count: Count = { deposited: 0, balances: new Map(), transfers: new Map(), records: new Map() };
  const add = (account: string, amount: number) =>
    count.balances.set(account, (count.balances.get(account) ?? 0) + amount);
  const transfer = (id: string, amount: number) => {
    let t = count.transfers.get(id);
    if (!t) count.transfers.set(id, (t = { sent: 0, received: 0, refunded: 0, amount }));
    return t;
  };
  try {
    for (let position = 0; ;) {
      const { events, nextPosition } = await store.readAll({ fromPosition: position });
      if (events.length === 0) break;
      position = nextPosition;
      for (const e of events as RecordedEvent[]) {
        const account = e.meta.streamId.replace(/^account-/, '');
        const data = e.data as { amount: number; transferId: string };
        switch (e.type) {
          case 'Deposited':
            count.deposited += data.amount;
            add(account, data.amount);
            break;
          case 'TransferSent':
            transfer(data.transferId, data.amount).sent++;
            add(account, -data.amount);
            break;
          case 'TransferReceived':
            transfer(data.transferId, data.amount).received++;
            add(account, data.amount);
            break;
          case 'TransferRefunded':
            transfer(data.transferId, data.amount).refunded++;
            add(account, data.amount);
            break;
          case 'WorkflowInputRecorded': {
            const record = e.data as InputRecord;
            count.records.set(record.workflowId, [...(count.records.get(record.workflowId) ?? []), record]);
            break;
          }
        }
      }
    }
  } finally {
    await store.close();
  }
  return count;
}

/** The invariants that hold at any kill point. */
function checkMoney(count: Count): number {
  let inFlight = 0;
  for (const [id, t] of count.transfers) {
    expect(t.sent, `debits of ${id}`).to.be.at.most(1);
    expect(t.received + t.refunded, `credits and refunds of ${id}`).to.be.at.most(t.sent);
    inFlight += (t.sent - t.received - t.refunded) * t.amount;
  }
  const balances = [...count.balances.values()].reduce((a, b) => a + b, 0);
  expect(balances + inFlight, 'balances + money in flight').to.equal(count.deposited);
  for (const [account, balance] of count.balances) expect(balance, `balance of ${account}`).to.be.at.least(0);
  return inFlight;
}

describe('processes: the transfer workflow under SIGKILL', function () {
  this.timeout(0);
  const tempDir = useTempDirs('klevdb-transfer-crash-');

  it(`keeps balances + money in flight constant through ${KILLS} kills of ${COUNT} concurrent transfers, and finishes every one`, async () => {
    const rand = seeded(SEED);
    const dir = await tempDir();
    const dataDir = path.join(dir, 'bank');
    const plan = makePlan(rand);
    const planFile = path.join(dir, 'plan.json');
    // Each run asks for the transfers of the runs before (a client retrying) and a share of new ones.
    const share = Math.ceil(plan.transfers.length / (KILLS + 1));
    let kills = 0;
    let killedInFlight = 0;
    for (let round = 0; round < KILLS; round++) {
      await writeFile(planFile, JSON.stringify({ ...plan, transfers: plan.transfers.slice(0, (round + 1) * share) }));
      if (await runChild(dataDir, planFile, Math.floor(rand() * 250))) continue;
      kills++;
      if (checkMoney(await countMoney(dataDir)) > 0) killedInFlight++;
    }
    await writeFile(planFile, JSON.stringify(plan));
    expect(await runChild(dataDir, planFile), 'the last run finishes').to.equal(true);
    const count = await countMoney(dataDir);
    expect(checkMoney(count), 'money in flight at the end').to.equal(0);
    for (const t of plan.transfers) {
      const moved = count.transfers.get(t.transferId);
      expect(moved, `transfer ${t.transferId}`).to.deep.include(
        t.to === 'ghost' ? { sent: 1, received: 0, refunded: 1 } : { sent: 1, received: 1, refunded: 0 },
      );
      const records = count.records.get(t.transferId) ?? [];
      expect(
        records.some((r) => r.outputs.some((o) => o.type === 'complete')),
        `instance ${t.transferId} completed`,
      ).to.equal(true);
      expect(
        records.filter((r) => r.outcome === 'failed'),
        `failed inputs of ${t.transferId}`,
      ).to.deep.equal([]);
    }
    reportFigure('workflows', 'bank child processes killed while transferring', kills);
    reportFigure('workflows', 'kills that left money in flight', killedInFlight);
    reportFigure('workflows', 'transfers completed or refunded', plan.transfers.length);
  });
});
