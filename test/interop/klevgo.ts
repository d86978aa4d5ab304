// The real Go klevdb as the interop suite's reference: the klevgo command
// (interop/klevgo), built once per source hash and cached by bench/klevgo.ts
// (shared with the benchmark's Go peer), run as JSON-lines subcommands.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Options } from '../../src/index.js';
import { klevgo } from '../../bench/klevgo.js';
import { GO, requireExternal, requireGo } from '../helpers/external.js';

let built: string | undefined;

function klevgoBinary(): string {
  if (!built) throw new Error('the klevgo binary is not built: call requireKlevgo from the suite\'s before hook');
  return built;
}

/**
 * For a suite's before hook: builds klevgo (once; later calls reuse the
 * cached binary). Without Go the suite is skipped with a one-line reason,
 * except in CI (CI set), where it fails.
 */
export async function requireKlevgo(ctx: Mocha.Context): Promise<string> {
  requireGo(ctx);
  if (built) return built;
  ctx.timeout(Math.max(ctx.timeout(), 300_000)); // a cold build with an empty module cache
  const found = await klevgo();
  if ('missing' in found) return requireExternal<string>(ctx, GO, null);
  return (built = found.binary);
}

export type GoLine = Record<string, unknown>;

/** The klevdb.Options flags of klevgo for these options (dir excluded). */
export function goFlags(opts: Options = {}): string[] {
  const flags: string[] = [];
  if (opts.keyIndex) flags.push('-key-index');
  if (opts.timeIndex) flags.push('-time-index');
  if (opts.rollover) flags.push('-rollover', String(opts.rollover));
  if (opts.readonly) flags.push('-readonly');
  if (opts.autoSync) flags.push('-auto-sync');
  if (opts.check) flags.push('-check');
  if (opts.recover) flags.push('-recover');
  const v = opts.version;
  if (v?.newSegmentsVersion) flags.push('-version', v.newSegmentsVersion.name);
  if (v?.keepRewriteVersion) flags.push('-keep-rewrite-version');
  if (v?.eagerVersionMigrate) flags.push('-eager-migrate');
  return flags;
}

/** Runs `klevgo <args>` to its end and returns its stdout as JSON lines; a non-zero exit throws with its stderr. */
export function runGo(args: string[], input = ''): Promise<GoLine[]> {
  const bin = klevgoBinary();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`klevgo ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString().trim()}`));
        return;
      }
      const text = Buffer.concat(out).toString();
      resolve(text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as GoLine));
    });
    // A command that reads no stdin may exit before the write lands.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** A long-running klevgo (hold, publish-loop): its JSON lines one by one, stopped by closing stdin. */
export class GoProcess {
  private readonly lines: GoLine[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private stderr = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly proc: ChildProcessWithoutNullStreams) {
    createInterface({ input: proc.stdout }).on('line', (l) => {
      this.lines.push(JSON.parse(l) as GoLine);
      this.waiter?.();
    });
    proc.stderr.on('data', (b: Buffer) => (this.stderr += b.toString()));
    proc.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => proc.on('close', (code) => {
      this.ended = true;
      this.waiter?.();
      resolve(code);
    }));
  }

  static start(args: string[]): GoProcess {
    return new GoProcess(spawn(klevgoBinary(), args, { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** The next JSON line (fails if the process ends first or after `ms`). */
  async next(ms = 20_000): Promise<GoLine> {
    const deadline = Date.now() + ms;
    for (;;) {
      const line = this.lines.shift();
      if (line) return line;
      if (this.ended) throw new Error(`klevgo ${this.proc.spawnargs.slice(1).join(' ')} ended without a line: ${this.stderr.trim()}`);
      if (Date.now() > deadline) throw new Error(`no line from klevgo in ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Writes one JSON line to its stdin and resolves with the line it answers (`klevgo session`). */
  async request(command: object): Promise<GoLine> {
    this.proc.stdin.write(`${JSON.stringify(command)}\n`);
    return this.next();
  }

  /** Closes stdin (klevgo closes the log and exits) and resolves with its remaining lines. */
  async stop(): Promise<GoLine[]> {
    this.proc.stdin.end();
    const code = await this.exited;
    if (code !== 0) throw new Error(`klevgo exited ${code}: ${this.stderr.trim()}`);
    return this.lines.splice(0);
  }

  kill(): void {
    if (!this.ended) this.proc.kill('SIGKILL');
  }
}
