// Running the built klevdb binary as a child process on real directories.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/test/cli
const repoRoot = path.resolve(here, '../../..');
export const BIN = path.join(repoRoot, 'dist/src/cli/main.js');
export const FORMAT_DIR = process.env.KLEVDB_FORMAT_DIR ?? path.resolve(repoRoot, '../shared/format');
export const LIB = path.join(repoRoot, 'dist/src/index.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `klevdb ...args` to completion, feeding `input` on stdin (stdin is closed either way). */
export function klevdb(args: string[], input?: string | Buffer, cwd?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Runs and expects exit code 0 and nothing on stderr; returns stdout. */
export async function ok(args: string[], input?: string | Buffer): Promise<string> {
  const r = await klevdb(args, input);
  expect(r.stderr, `stderr of klevdb ${args.join(' ')}`).to.equal('');
  expect(r.code, `exit code of klevdb ${args.join(' ')}`).to.equal(0);
  return r.stdout;
}

/** Runs with --json and parses the one JSON document printed. */
export async function okJson<T = Record<string, unknown>>(args: string[], input?: string | Buffer): Promise<T> {
  const out = await ok([...args, '--json'], input);
  expect(out.endsWith('\n') && out.trim().split('\n').length === 1, `one JSON line, got ${out}`).to.equal(true);
  return JSON.parse(out) as T;
}

/** Parses JSON lines. */
export function jsonLines<T = Record<string, unknown>>(out: string): T[] {
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

/** A failure: the exit code, and one line on stderr starting with `klevdb: ` that matches `pattern`. */
export function expectError(r: Run, code: number, pattern: RegExp): void {
  expect(r.code, `exit code (stderr: ${r.stderr})`).to.equal(code);
  expect(r.stderr.endsWith('\n'), 'stderr ends with a newline').to.equal(true);
  expect(r.stderr.trimEnd().split('\n'), 'stderr is one line').to.have.length(1);
  expect(r.stderr).to.match(/^klevdb: /);
  expect(r.stderr).to.match(pattern);
}

/** A temporary directory per suite, holding copies of the format samples. */
export class Workspace {
  readonly root = mkdtempSync(path.join(os.tmpdir(), 'klevdb-cli-'));
  private n = 0;

  /** A fresh copy of a sample directory. */
  sample(name: string): string {
    const dst = path.join(this.root, `${name}-${++this.n}`);
    cpSync(path.join(FORMAT_DIR, name), dst, { recursive: true });
    return dst;
  }

  /** A path for a new directory (not created). */
  fresh(name: string): string {
    return path.join(this.root, `${name}-${++this.n}`);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export interface SampleMessage {
  offset: number;
  unixMicro: number;
  time: string;
  key: string | null;
  value: string | null;
}

export interface Sample {
  name: string;
  options: { keyIndex: boolean; timeIndex: boolean; version: 'V1' | 'V2' };
  messages: SampleMessage[];
  nextOffset: number;
  expected: {
    check: { ok: boolean; error?: string };
    recover?: {
      nextOffset?: number;
      droppedOffsets?: number[];
      log?: { file: string; sha256: string };
      index?: { file: string; sha256: string };
    };
    readErrors?: { offset: number }[];
  };
}

export const manifest = JSON.parse(readFileSync(path.join(FORMAT_DIR, 'manifest.json'), 'utf8')) as {
  samples: Sample[];
};

export function sample(name: string): Sample {
  const s = manifest.samples.find((x) => x.name === name);
  if (!s) throw new Error(`no sample ${name}`);
  return s;
}

/** A node process running `code` (an ES module body with `k` = the klevdb package); resolves once it prints `ready`. */
export async function nodeScript(
  code: string,
): Promise<{ child: ChildProcess; lines: string[]; waitFor(text: string): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `import * as k from ${JSON.stringify(LIB)};\n${code}`],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  let buffered = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  child.on('exit', () => {
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no '${text}' from the script (got ${lines.join(' | ')})`)),
        20_000,
      );
      const check = (): void => {
        if (lines.includes(text)) {
          clearTimeout(timer);
          resolve();
        } else if (child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`script exited (${child.exitCode}) before '${text}'`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });
  await waitFor('ready');
  return { child, lines, waitFor };
}

/** Waits until `child` has exited; resolves with its exit code. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
