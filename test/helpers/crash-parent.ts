// Parent side of test/helpers/crash-child.ts: runs the child until a kill
// plan SIGKILLs it, and checks a reopened directory against what the child
// reported (acknowledged publishes, finished and interrupted deletes).
import { expect } from 'chai';
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Log } from '../../src/index.js';
import { check, open } from './api.js';
import { crashMessage, crashOptions, seeded } from './crash-workload.js';
import type { CrashConfig, CrashReport } from './crash-workload.js';
import { consumeAll, expectedView, publishBatched, views } from './messages.js';
import { leftoverFiles } from './segments.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.js');
/** Seeds of the trials: set KLEVDB_CRASH_SEED to replay a failure. */
export const BASE_SEED = Number(process.env.KLEVDB_CRASH_SEED ?? Date.now() % 1_000_000);
const VERBOSE = process.env.KLEVDB_CRASH_VERBOSE === '1';
/** More trials for a longer hunt (KLEVDB_CRASH_TRIALS=10 runs ten times as many). */
export const TRIALS = Number(process.env.KLEVDB_CRASH_TRIALS ?? 1);

type Deleting = Extract<CrashReport, { t: 'deleting' }>;

/** What the parent knows the directory must hold, from the child's reports and the last reopen. */
export class Expectation {
  /** Offsets that must be there (acknowledged or seen after a reopen) unless a pending delete took them. */
  readonly present = new Set<number>();
  /** Offsets a finished delete removed: they must never come back. */
  readonly deleted = new Set<number>();
  /** The highest offset ever acknowledged or read back: later publishes must be past it. */
  maxAssigned = -1;
  /** A delete announced and not reported done when the child died. */
  pending: Deleting | null = null;
  /** How the pending deletes of the trials ended, for the test to see where kills landed. */
  readonly interrupted: { how: string; applied: boolean }[] = [];

  apply(r: CrashReport, where: string): void {
    switch (r.t) {
      case 'ack':
        for (let o = r.from; o < r.to; o++) {
          expect(o, `${where}: offset ${o} acknowledged again (reused)`).to.be.greaterThan(this.maxAssigned);
          this.present.add(o);
        }
        this.maxAssigned = Math.max(this.maxAssigned, r.to - 1);
        break;
      case 'deleting':
        this.pending = r;
        for (const o of r.exact ? r.offsets : [])
          expect(this.present.has(o), `${where}: deleting ${o}, which is not held`).to.equal(true);
        break;
      case 'deleted':
        for (const o of r.offsets) {
          this.present.delete(o);
          this.deleted.add(o);
        }
        this.pending = null;
        break;
      case 'failed':
        expect.fail(`${where}: the child failed: ${r.message}`);
        break;
      case 'opened':
        expect(r.next, `${where}: next offset at open`).to.be.greaterThan(this.maxAssigned);
        break;
    }
  }

  /** Opens (no recover: a killed writer leaves nothing it needs) and checks everything the reports promise; then takes what is there as known. */
  async verify(dir: string, config: CrashConfig, where: string): Promise<void> {
    const log: Log = await open(dir, crashOptions(config));
    let got: Set<number>;
    try {
      const all = await consumeAll(log, 100);
      const offsets = all.map((m) => m.offset);
      for (let i = 1; i < offsets.length; i++) {
        expect(offsets[i], `${where}: offsets strictly increasing (no segment twice)`).to.be.greaterThan(
          offsets[i - 1],
        );
      }
      expect(views(all), `${where}: every message byte-identical`).to.deep.equal(
        offsets.map((o) => expectedView(crashMessage(o), o)),
      );
      got = new Set(offsets);
      const pending = new Set(this.pending?.offsets ?? []);
      for (const o of this.present) {
        if (!pending.has(o)) expect(got.has(o), `${where}: acknowledged offset ${o} lost`).to.equal(true);
      }
      for (const o of this.deleted) expect(got.has(o), `${where}: deleted offset ${o} is back`).to.equal(false);
      for (const o of got) {
        expect(
          this.present.has(o) || pending.has(o) || o > this.maxAssigned,
          `${where}: offset ${o} neither held nor new`,
        ).to.equal(true);
      }
      if (this.pending) {
        const kept = this.pending.offsets.filter((o) => got.has(o)).length;
        if (this.pending.exact) {
          expect(
            [0, this.pending.offsets.length],
            `${where}: an interrupted delete of ${this.pending.how} [${this.pending.offsets.join()}] kept ${kept}`,
          ).to.include(kept);
        }
        this.interrupted.push({ how: this.pending.how, applied: kept === 0 });
      }
      const interrupted = this.pending
        ? ` (the kill interrupted a delete of ${this.pending.how} [${this.pending.offsets.join()}])`
        : '';
      expect(
        await log.nextOffset(),
        `${where}: next offset after everything acknowledged${interrupted}`,
      ).to.be.greaterThan(this.maxAssigned);
      expect((await log.stat()).messages, `${where}: stat`).to.equal(all.length);
    } finally {
      await log.close();
    }
    await check(dir, crashOptions(config));
    expect(await leftoverFiles(dir), `${where}: temporary files after a reopen`).to.deep.equal([]);

    for (const o of this.pending?.offsets ?? []) if (!got.has(o)) this.deleted.add(o);
    if (VERBOSE)
      console.log(
        `${where}: ${got.size} held, ${this.deleted.size} deleted, max ${this.maxAssigned}, interrupted ${JSON.stringify(this.interrupted.at(-1))}`,
      );
    this.pending = null;
    this.present.clear();
    for (const o of got) {
      this.present.add(o);
      this.maxAssigned = Math.max(this.maxAssigned, o);
    }
  }
}

export type KillPlan = { afterMs: number } | { onDeleting: number; delayMs: number };

/** Runs the child until the plan kills it; feeds every report it sent to `model`. */
export async function runChild(
  dir: string,
  config: CrashConfig,
  plan: KillPlan,
  model: Expectation,
  where: string,
): Promise<void> {
  const child = fork(CHILD, [dir, JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reports: CrashReport[] = [];
  let deletings = 0;
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  const disconnected = new Promise<void>((resolve) => child.on('disconnect', resolve));
  const guard = setTimeout(kill, 15_000);
  child.on('message', (r: CrashReport) => {
    reports.push(r);
    if (r.t === 'opened' && 'afterMs' in plan) setTimeout(kill, plan.afterMs);
    if (r.t === 'deleting' && 'onDeleting' in plan && ++deletings === plan.onDeleting) {
      if (plan.delayMs === 0) kill();
      else setTimeout(kill, plan.delayMs);
    }
    if (r.t === 'failed') kill();
  });
  const how = await exited;
  await disconnected;
  clearTimeout(guard);
  expect(reports.length, `${where}: the child reported`).to.be.greaterThan(0);
  for (const r of reports) model.apply(r, where);
  expect(how, `${where}: the child was killed (reports: ${reports.length})`).to.equal('SIGKILL');
}

/** Publishes crashMessage(0 .. count-1), three at a time, into `dir` before the children start, and expects them. */
export async function seedLog(dir: string, config: CrashConfig, count: number, model: Expectation): Promise<void> {
  const log = await open(dir, crashOptions(config));
  try {
    await publishBatched(
      log,
      Array.from({ length: count }, (_, i) => crashMessage(i)),
      3,
    );
  } finally {
    await log.close();
  }
  for (let i = 0; i < count; i++) model.present.add(i);
  model.maxAssigned = count - 1;
}

/**
 * `trials` children one after the other on `dir`, each killed as `plan`
 * says (drawn from a generator seeded with `seed`), each followed by a
 * verifying reopen. Trial t runs the child with seed `seed * 100 + t`.
 */
export async function runTrials(
  dir: string,
  config: Omit<CrashConfig, 'seed'>,
  trials: number,
  seed: number,
  plan: (rand: () => number) => KillPlan,
  model: Expectation,
): Promise<void> {
  const rand = seeded(seed);
  for (let t = 0; t < trials; t++) {
    const trial: CrashConfig = { ...config, seed: seed * 100 + t };
    const where = `${config.mode} trial ${t} (KLEVDB_CRASH_SEED=${BASE_SEED})`;
    await runChild(dir, trial, plan(rand), model, where);
    await model.verify(dir, trial, where);
  }
}
