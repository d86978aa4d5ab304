// Durable subscriptions across processes: a SIGKILLed consumer resumes with
// no loss (duplicates only of its uncommitted tail), and a second process
// gets ERR_LOCKED or waits for the name.
import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { open, openBlocking } from '../../src/index.js';
import { openSubscription } from '../../src/streams/index.js';
import { expectLogError } from '../helpers/errors.js';
import { messages, range, removeDir, tempDir } from './helpers.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'durable-child.js');

interface Report {
  type: 'opened' | 'handled' | 'done' | 'error';
  committed?: number;
  offsets?: number[];
  code?: string;
  message?: string;
}

class Consumer {
  readonly reports: Report[] = [];
  readonly exited: Promise<void>;
  private readonly proc: ChildProcess;

  constructor(args: object) {
    this.proc = fork(CHILD, [JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m: Report) => this.reports.push(m));
    this.exited = new Promise((resolve) => this.proc.once('exit', () => resolve()));
  }

  get handled(): number[] {
    return this.reports.flatMap((r) => r.offsets ?? []);
  }

  /** Waits until a report matches; fails when the child exits first or after `ms`. */
  async until(match: (r: Report) => boolean, ms = 30_000): Promise<Report> {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 5))) {
      const found = this.reports.find(match);
      if (found) return found;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) break;
    }
    throw new Error(`no matching report from the child (got ${JSON.stringify(this.reports.slice(-3))})`);
  }

  send(cmd: string): void {
    this.proc.send({ cmd });
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }
}

describe('streams: durable subscriptions across processes', function () {
  this.timeout(120_000);
  let dir: string;
  let source: string;
  let offsets: string;
  const children: Consumer[] = [];
  const start = (args: object): Consumer => {
    const child = new Consumer({ source, offsets, name: 'worker', ...args });
    children.push(child);
    return child;
  };

  beforeEach(async () => {
    dir = tempDir();
    source = path.join(dir, 'source');
    offsets = path.join(dir, 'offsets');
    const log = await open(source, { createDirs: true });
    await log.publish(messages(0, 2000));
    await log.close();
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill()));
    removeDir(dir);
  });

  it('a SIGKILLed consumer resumes with no loss: duplicates only of the tail it had not committed', async () => {
    let seen: number[] = [];
    for (let life = 0; life < 6; life++) {
      const child = start({ mode: 'consume', batchSize: 50, delayMs: 1 });
      const opened = await child.until((r) => r.type === 'opened');
      // Resumes exactly at its commit, which nothing handled before it is past.
      if (life > 0) expect(opened.committed, `life ${life}`).to.be.at.most(Math.max(...seen) + 1);
      await child.until((r) => r.type === 'done' || child.handled.length >= 100 + life * 37);
      await child.kill();
      const handled = child.handled;
      expect(handled[0] ?? opened.committed, `life ${life} starts at its commit`).to.equal(opened.committed);
      seen = [...seen, ...handled];
      if (child.reports.some((r) => r.type === 'done')) break;
    }
    // The last life's commit, read in this process once the children are gone.
    const log = await openBlocking(source, { readonly: true });
    try {
      const sub = await openSubscription(log, { name: 'worker', offsets });
      const committed = sub.committed;
      const rest: number[] = [];
      await sub.run(async (b) => void rest.push(...b.messages.map((m) => m.offset)), { live: false });
      await sub.close();
      expect(new Set([...seen, ...rest]), 'no loss').to.deep.equal(new Set(range(0, 2000)));
      // Handled but not yet committed when killed: at most one batch per life, and only those come twice.
      const duplicates = [...seen, ...rest].length - 2000;
      expect(duplicates).to.be.at.most(6 * 50);
      expect(rest[0] ?? committed).to.equal(committed);
      const seenSet = new Set(seen);
      expect(
        range(0, committed).filter((o) => !seenSet.has(o)),
        'handled before the commit',
      ).to.deep.equal([]);
    } finally {
      await log.close();
    }
  });

  it('a second process gets ERR_LOCKED, or waits until the holder closes or dies', async () => {
    const holder = start({ mode: 'hold' });
    await holder.until((r) => r.type === 'opened');
    const log = await openBlocking(source, { readonly: true });
    try {
      await expectLogError(() => openSubscription(log, { name: 'worker', offsets }), 'ERR_LOCKED', 'wait: true');
      const second = start({ mode: 'hold' });
      const refused = await second.until((r) => r.type === 'error');
      expect(refused.code).to.equal('ERR_LOCKED');

      const waiter = start({ mode: 'hold', wait: { pollMs: 10 } });
      await new Promise((r) => setTimeout(r, 200));
      expect(waiter.reports, 'still waiting').to.deep.equal([]);
      holder.send('close');
      await holder.until((r) => r.type === 'done');
      await waiter.until((r) => r.type === 'opened');

      // A holder killed outright: the kernel drops its lock, a waiter gets it.
      const waiting = openSubscription(log, { name: 'worker', offsets, wait: { pollMs: 10, timeoutMs: 30_000 } });
      await waiter.kill();
      const sub = await waiting;
      expect(sub.committed).to.equal(0);
      await sub.close();
    } finally {
      await log.close();
    }
  });
});
