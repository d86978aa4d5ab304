/**
 * The klevgo command (interop/klevgo: the real Go klevdb) for the benchmark,
 * built once and cached under node_modules/.cache/klevdb-interop-bench. The
 * binary's name carries a hash of the Go sources, go.mod, go.sum and the Go
 * version, so a change to any of them builds a new one, and worktrees sharing
 * one node_modules never run each other's build.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const interopDir = path.join(repoRoot, 'interop');
const cacheDir = path.join(repoRoot, 'node_modules', '.cache', 'klevdb-interop-bench');
/** Builds unused this long are removed when a new one is made (each use touches its file). */
const STALE_MS = 7 * 24 * 3600 * 1000;

export type Klevgo = { binary: string; goVersion: string } | { missing: string };

function goSources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) return goSources(file);
      return entry.name.endsWith('.go') || entry.name === 'go.mod' || entry.name === 'go.sum' ? [file] : [];
    })
    .sort();
}

function sourceHash(goVersion: string): string {
  const hash = createHash('sha256').update(goVersion);
  for (const file of goSources(interopDir))
    hash.update(path.relative(interopDir, file)).update('\0').update(fs.readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

function pruneStale(keep: string): void {
  for (const name of fs.readdirSync(cacheDir)) {
    const file = path.join(cacheDir, name);
    if (file !== keep && Date.now() - fs.statSync(file).mtimeMs > STALE_MS) fs.rmSync(file, { force: true });
  }
}

/**
 * The cached klevgo binary, built first when missing; `{ missing }` with a
 * one-line reason when there is no `go` on the PATH. A failed build throws
 * with Go's output: a Go peer that silently vanished would hide the failure.
 */
export async function klevgo(): Promise<Klevgo> {
  let goVersion: string;
  try {
    goVersion = (await run('go', ['env', 'GOVERSION'])).stdout.trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { missing: 'no `go` on the PATH (install Go 1.26 to compare with the real klevdb)' };
    throw err;
  }
  const binary = path.join(cacheDir, `klevgo-${sourceHash(goVersion)}`);
  if (fs.existsSync(binary)) {
    const now = new Date();
    fs.utimesSync(binary, now, now);
    return { binary, goVersion };
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  // Built beside its final name and renamed, so a concurrent run never executes half a file.
  const partial = `${binary}.${process.pid}.tmp`;
  try {
    await run('go', ['build', '-o', partial, './klevgo'], { cwd: interopDir, maxBuffer: 16 << 20 });
  } catch (err) {
    fs.rmSync(partial, { force: true });
    const output = (err as { stderr?: string }).stderr?.trim() || String(err);
    throw new Error(
      `go build ./klevgo in ${interopDir} failed:\n${output}\nFix it, or leave Go out with --only klevdb,raw,sqlite,lmdb`,
      {
        cause: err,
      },
    );
  }
  fs.renameSync(partial, binary);
  pruneStale(binary);
  return { binary, goVersion };
}
