// Tests that need something npm does not install (a browser, nats-server,
// Go, flock(1), strace, root for a tmpfs mount) go through requireExternal: where the
// piece is missing they skip, saying in one line what is missing and what
// installs it; when CI is set they fail instead, so CI (.ci/run installs them
// all) never passes by skipping. KLEVDB_TEST_WITHOUT=chromium,nats-server,go,
// flock,strace,root runs the suite as a machine without those pieces would.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** CI is set (to anything but "", "0" or "false"): missing pieces are errors, not skips. */
export function inCI(): boolean {
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

export interface ExternalPiece {
  /** The name KLEVDB_TEST_WITHOUT lists it by. */
  key: string;
  /** What it is, for the reason. */
  what: string;
  /** What installs it. */
  install: string;
}

export const CHROMIUM: ExternalPiece = {
  key: 'chromium',
  what: 'Chromium',
  install: 'apt-get install chromium (or set CHROMIUM to a Chromium or Chrome binary)',
};
export const NATS_SERVER: ExternalPiece = {
  key: 'nats-server',
  what: 'nats-server',
  install: 'apt-get install nats-server, or run .ci/nats.sh (or set NATS_SERVER)',
};
export const GO: ExternalPiece = {
  key: 'go',
  what: 'Go',
  install:
    'install Go 1.26 or later (go.dev/dl; interop/go.mod asks for 1.26) with the Go module proxy reachable (or set GO)',
};
export const STRACE: ExternalPiece = { key: 'strace', what: 'strace', install: 'apt-get install strace' };
export const FLOCK: ExternalPiece = { key: 'flock', what: 'flock(1)', install: 'apt-get install util-linux' };
export const ROOT: ExternalPiece = {
  key: 'root',
  what: 'root (to mount a tmpfs)',
  install: 'run the tests as root, as CI does',
};

function withheld(piece: ExternalPiece): boolean {
  return (process.env.KLEVDB_TEST_WITHOUT ?? '')
    .split(',')
    .map((s) => s.trim())
    .includes(piece.key);
}

const told = new Set<string>();

/**
 * Returns `found` when it is there. Otherwise, outside CI, prints once per
 * process `skipping the tests that need <what>: <what> not found; <install>`
 * and skips the calling test or suite (from a `before` hook: the whole suite);
 * in CI it throws that reason.
 */
export function requireExternal<T>(ctx: Mocha.Context, piece: ExternalPiece, found: T | null | undefined): T {
  if (found !== null && found !== undefined && !withheld(piece)) return found;
  const reason = `${piece.what} not found; ${piece.install}`;
  if (inCI()) throw new Error(`${reason} (required because CI is set)`);
  if (!told.has(piece.key)) {
    told.add(piece.key);
    process.stderr.write(`  skipping the tests that need ${piece.what}: ${reason}\n`);
  }
  ctx.skip();
}

/** The first executable among `$envVar`, the absolute `candidates` and each bare name on PATH; null when none. */
export function findExecutable(envVar: string, candidates: readonly string[]): string | null {
  const fromEnv = process.env[envVar];
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const tries = [
    ...(fromEnv ? [fromEnv] : []),
    ...candidates.flatMap((c) => (path.isAbsolute(c) ? [c] : dirs.map((d) => path.join(d, c)))),
  ];
  for (const file of tries) {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not this one
    }
  }
  return null;
}

/** Debian's chromium (or $CHROMIUM), for the inspector's browser test. */
export function requireChromium(ctx: Mocha.Context): string {
  return requireExternal(
    ctx,
    CHROMIUM,
    findExecutable('CHROMIUM', [
      'chromium',
      'chromium-browser',
      '/usr/bin/chromium',
      'google-chrome',
      'google-chrome-stable',
    ]),
  );
}

/** The nats-server binary: $NATS_SERVER, on PATH, or where the Debian package puts it; null when none. */
export function natsServerBinary(): string | null {
  return findExecutable('NATS_SERVER', [
    'nats-server',
    '/usr/sbin/nats-server',
    '/usr/local/bin/nats-server',
    '/usr/bin/nats-server',
  ]);
}

/** nats-server, for the JetStream backend's tests. */
export function requireNatsServer(ctx: Mocha.Context): string {
  return requireExternal(ctx, NATS_SERVER, natsServerBinary());
}

/** The go command (or $GO), for the interoperability tests against Go klevdb. */
export function requireGo(ctx: Mocha.Context): string {
  return requireExternal(ctx, GO, findExecutable('GO', ['go', '/usr/local/go/bin/go', '/usr/lib/go/bin/go']));
}

/** util-linux's flock(1): flock(2) from another process, as Go klevdb's gofrs/flock takes it. */
export function requireFlockCommand(ctx: Mocha.Context): string {
  return requireExternal(ctx, FLOCK, findExecutable('FLOCK', ['flock', '/usr/bin/flock']));
}

/**
 * strace(1), to kill a child at an exact system call (inject=...:signal=KILL).
 * Where it is installed but may not trace (ptrace not permitted in this
 * container), no package fixes that: the test skips, saying so, even in CI.
 */
export function requireStrace(ctx: Mocha.Context): string {
  const strace = requireExternal(ctx, STRACE, findExecutable('STRACE', ['strace', '/usr/bin/strace']));
  const probe = spawnSync(strace, ['-qq', '-o', '/dev/null', 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    process.stderr.write(`  skipping the tests that need strace: it cannot trace here (ptrace not permitted)\n`);
    ctx.skip();
  }
  return strace;
}
