// The real Go klevdb as the interop suite's reference: builds interop/klevgo
// once into node_modules/.cache/klevdb-interop (keyed by a hash of the Go
// sources, go.mod, go.sum and the Go version, so an unchanged tree never
// rebuilds) and runs its subcommands, exchanging messages as JSON lines.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Options } from '../../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');
const INTEROP_DIR = path.join(REPO_ROOT, 'interop');
const CACHE_DIR = path.join(REPO_ROOT, 'node_modules/.cache/klevdb-interop');

function goVersion(): string | null {
  try {
    return execFileSync('go', ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.go$|^go\.(mod|sum)$/.test(e.name) ? [p] : [];
  });
}

/** A hash of everything the build reads: each source's path and bytes, and the Go version. */
function sourceHash(version: string): string {
  const h = createHash('sha256').update(version);
  for (const file of sourceFiles(INTEROP_DIR).sort()) {
    h.update(`\0${path.relative(INTEROP_DIR, file)}\0`).update(readFileSync(file));
  }
  return h.digest('hex').slice(0, 16);
}

let built: string | undefined;

/** Builds (once per source hash) and returns the klevgo binary, or null without Go. */
export function klevgoBinary(): string | null {
  if (built) return built;
  const version = goVersion();
  if (version === null) return null;
  const bin = path.join(CACHE_DIR, `klevgo-${sourceHash(version)}`);
  if (!existsSync(bin)) {
    mkdirSync(CACHE_DIR, { recursive: true });
    // Built under a temporary name and renamed, so a parallel run never
    // executes a half-written binary.
    const tmp = `${bin}.${process.pid}.tmp`;
    try {
      execFileSync('go', ['build', '-o', tmp, './klevgo'], { cwd: INTEROP_DIR, stdio: ['ignore', 'ignore', 'pipe'] });
      renameSync(tmp, bin);
    } catch (err) {
      rmSync(tmp, { force: true });
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`go build of interop/klevgo failed (run \`cd interop && go mod download\` first?): ${stderr || (err as Error).message}`);
    }
  }
  return (built = bin);
}

let reported = false;

/**
 * For a suite's before hook: the klevgo binary. Without Go the suite is
 * skipped with a one-line reason, except in CI (CI set), where it fails.
 */
export function requireKlevgo(ctx: Mocha.Context): string {
  const bin = klevgoBinary();
  if (bin) return bin;
  const reason = 'go is not installed: the Go interop suite (test/interop) needs Go to build interop/klevgo';
  if (process.env.CI) throw new Error(`${reason}; CI requires it`);
  if (!reported) console.log(`  skipped: ${reason}`);
  reported = true;
  ctx.skip();
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
  if (!bin) throw new Error('go is not installed');
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
    const bin = klevgoBinary();
    if (!bin) throw new Error('go is not installed');
    return new GoProcess(spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
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
