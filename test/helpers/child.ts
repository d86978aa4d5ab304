// Parent side of test/helpers/log-child.ts: a log opened in another process.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Options } from '../../src/index.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'log-child.js');

export interface ChildMessage {
  type: 'opened' | 'error' | 'published' | 'deleted' | 'closed' | 'failed';
  /** Of 'deleted': how many messages went. */
  count?: number;
  code?: string;
  message?: string;
  name?: string;
  nextOffset?: number;
  stat?: { segments: number; messages: number; size: number };
}

export class ChildLog {
  private readonly inbox: ChildMessage[] = [];
  private waiters: (() => void)[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: ChildMessage) => {
      this.inbox.push(m);
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) =>
      proc.on('exit', (code, signal) => {
        resolve({ code, signal });
        for (const w of this.waiters.splice(0)) w();
      }),
    );
  }

  /** Forks a child that opens `dir` with `opts`; resolves with its first report. */
  static async start(dir: string, opts: Options): Promise<{ child: ChildLog; first: ChildMessage }> {
    const child = new ChildLog(
      fork(CHILD, [dir, JSON.stringify(opts)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    return { child, first: await child.next() };
  }

  /** The next message from the child (fails on exit or after `ms`). */
  async next(ms = 20_000): Promise<ChildMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.inbox.shift();
      if (m) return m;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`child exited (${this.proc.exitCode ?? this.proc.signalCode}) without a message`);
      }
      if (Date.now() > deadline) throw new Error(`no message from the child in ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(command: object): void {
    this.proc.send(command);
  }

  async publish(from: number, count: number, batch: number): Promise<ChildMessage> {
    this.send({ cmd: 'publish', from, count, batch });
    return this.next(60_000);
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.send({ cmd: 'close' });
    await this.exited;
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }
}
