// Children for the reliability tests: a child reports over IPC, the parent
// collects the reports and kills a child that falls silent (a call stuck in
// a synchronous loop cannot be raced against a timer in its own process).
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Child side: sends one report and resolves once it is on its way. */
export function sendReport<R extends object>(report: R): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('this helper must be forked with an IPC channel'));
    process.send(report, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

export interface ForkOutcome<R> {
  reports: R[];
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The child said nothing for `silenceMs` and was killed; the last report it sent. */
  silent: { afterMs: number; last: R | undefined } | null;
}

export interface RunningChild<R> {
  proc: ChildProcess;
  /** Reports so far (the array keeps growing). */
  reports: R[];
  /** Resolves with the next report for which `match` holds (waiting up to `ms`). */
  waitFor(match: (r: R) => boolean, ms: number): Promise<R>;
  done: Promise<ForkOutcome<R>>;
  kill(): Promise<void>;
}

/**
 * Forks test/helpers/<script> (compiled .js beside this file) with `args`.
 * A child that sends nothing for `silenceMs` is SIGKILLed. `as` runs it as
 * another user (root only).
 */
export function startChild<R>(
  script: string,
  args: string[],
  silenceMs: number,
  as: { uid?: number; gid?: number } = {},
): RunningChild<R> {
  const proc = fork(path.join(HERE, script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...as });
  const reports: R[] = [];
  const listeners = new Set<() => void>();
  let silent: ForkOutcome<R>['silent'] = null;
  let watchdog: NodeJS.Timeout;
  const arm = (): void => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      silent = { afterMs: silenceMs, last: reports[reports.length - 1] };
      proc.kill('SIGKILL');
    }, silenceMs);
  };
  arm();
  proc.on('message', (r: R) => {
    reports.push(r);
    arm();
    for (const l of listeners) l();
  });
  const done = new Promise<ForkOutcome<R>>((resolve) => {
    proc.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      for (const l of listeners) l();
      resolve({ reports, code, signal, silent });
    });
  });
  let seen = 0;
  return {
    proc,
    reports,
    done,
    async waitFor(match, ms) {
      const deadline = Date.now() + ms;
      for (;;) {
        while (seen < reports.length) {
          const r = reports[seen++]!;
          if (match(r)) return r;
        }
        if (proc.exitCode !== null || proc.signalCode !== null)
          throw new Error(
            `child ${script} exited (${proc.exitCode ?? proc.signalCode}) while awaited; reports: ${JSON.stringify(reports.slice(-3))}`,
          );
        if (Date.now() > deadline)
          throw new Error(`no awaited report from ${script} in ${ms} ms; last: ${JSON.stringify(reports.slice(-3))}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, Math.max(1, deadline - Date.now()));
          function done(): void {
            clearTimeout(t);
            listeners.delete(done);
            resolve();
          }
          listeners.add(done);
        });
      }
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await done;
    },
  };
}

/** Runs `jobs` with at most `parallel` at a time, in order of start. */
export async function inParallel<T>(jobs: (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const results = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, worker));
  return results;
}

/**
 * Like useTempDirs, but under /dev/shm when there is one: the torture tests
 * open, recover and rewrite thousands of times, and on a real disk every
 * fsync of theirs costs milliseconds that say nothing about the library.
 */
export function useFastTempDirs(prefix: string): () => Promise<string> {
  const created: string[] = [];
  afterEach(async () => {
    await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(path.join(fastTmp(), prefix));
    created.push(dir);
    return dir;
  };
}

/** /dev/shm when it is a writable directory, else the OS temp dir. */
export function fastTmp(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

/**
 * An unprivileged user to run a child as, when this process is root (for
 * whom file modes deny nothing): nobody from /etc/passwd. Null when not root
 * or there is no such user.
 */
export function unprivilegedUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('nobody:'));
    if (!line) return null;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}
