// The package as a user gets it: `npm pack` of this repository (its built
// dist/src), installed into an empty temporary project offline from the npm
// cache (which `npm ci` filled), with whatever else the test names.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const KEPT_NPM_VARS = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);

/** The environment without what `npm test` passes down (its prefix, package, lifecycle), which would steer the child npm; the cache stays. */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.toLowerCase().startsWith('npm_') || KEPT_NPM_VARS.has(k.toLowerCase()),
    ),
  );
}

export interface Run {
  status: number | null;
  /** stdout and stderr together. */
  output: string;
  stdout: string;
}

export function run(cmd: string, args: string[], cwd: string, timeoutMs = 120_000): Run {
  const r = spawnSync(cmd, args, { cwd, env: npmEnv(), encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

export function npm(args: string[], cwd: string): Run {
  const r = run('npm', args, cwd);
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} in ${cwd} exited with ${r.status}:\n${r.output}`);
  return r;
}

/** The flags every install here uses: from the cache only, quietly. */
export const OFFLINE = ['--offline', '--no-audit', '--no-fund'];

let tarball: string | null = null;

/** The tarball of this repository's package (packed once per process). */
export function packed(): string {
  if (tarball && fs.existsSync(tarball)) return tarball;
  if (!fs.existsSync(path.join(REPO, 'dist/src/index.d.ts')))
    throw new Error('dist/src is not built: run npm run build (npm test does)');
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'klevdb-pack-'));
  const out = npm(['pack', '--json', '--pack-destination', dest], REPO);
  const [{ filename }] = JSON.parse(out.stdout) as { filename: string }[];
  tarball = path.join(dest, filename);
  process.on('exit', () => fs.rmSync(dest, { recursive: true, force: true }));
  return tarball;
}

export interface Consumer {
  dir: string;
  /** What the install printed (warnings included). */
  installOutput: string;
}

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [field: string]: unknown;
}
type LockPackages = Record<string, LockEntry>;

/**
 * The entries of this repository's package-lock.json that `roots` need, with
 * their dependencies (and optional ones), found from where each one sits as
 * Node resolves them: the tree a user gets, at the versions tested here.
 */
function lockClosure(packages: LockPackages, roots: string[]): LockPackages {
  const out: LockPackages = {};
  const visit = (from: string, name: string) => {
    for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
      const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (packages[key]) {
        if (out[key]) return;
        const {
          dev: _dev,
          devOptional: _devOptional,
          peer: _peer,
          ...entry
        } = packages[key] as LockEntry & { dev?: boolean; devOptional?: boolean; peer?: boolean };
        out[key] = entry;
        for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) visit(key, dep);
        return;
      }
      if (!dir) throw new Error(`package-lock.json has no ${name} for ${from || 'the root'}`);
    }
  };
  for (const name of roots) visit('', name);
  return out;
}

/**
 * An empty ESM project with the packed klevdb and `extra` packages (names in
 * this repository's lock) installed by `npm ci` offline from the cache, with a
 * lock written from this repository's: a fresh project resolving version
 * ranges would need the registry's package lists, which `npm ci` does not keep.
 */
export function installConsumer(extra: string[] = []): Consumer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'klevdb-consumer-'));
  const c = { dir, installOutput: '' };
  try {
    reinstallConsumer(c, extra);
  } catch (err) {
    removeConsumer(c);
    throw err;
  }
  return c;
}

/** Installs the consumer again with these `extra` packages (npm ci: what was there before goes). */
export function reinstallConsumer(c: Consumer, extra: string[]): void {
  const ours = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as LockEntry & {
    version: string;
    [field: string]: unknown;
  };
  const lock = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: LockPackages };
  const tgz = 'klevdb.tgz';
  fs.copyFileSync(packed(), path.join(c.dir, tgz));
  const integrity = `sha512-${createHash('sha512')
    .update(fs.readFileSync(path.join(c.dir, tgz)))
    .digest('base64')}`;
  const wanted = Object.fromEntries(extra.map((name) => [name, lock.packages[`node_modules/${name}`]?.version ?? '*']));
  const dependencies = { klevdb: `file:${tgz}`, ...wanted };
  const deps = lockClosure(lock.packages, [...Object.keys(ours.dependencies ?? {}), ...extra]);
  const pkg = { name: 'klevdb-consumer', version: '1.0.0', private: true, type: 'module', dependencies };
  const klevdb = {
    version: ours.version,
    resolved: `file:${tgz}`,
    integrity,
    license: ours.license,
    dependencies: ours.dependencies,
    peerDependencies: ours.peerDependencies,
    peerDependenciesMeta: ours.peerDependenciesMeta,
    engines: ours.engines,
    bin: ours.bin,
  };
  fs.writeFileSync(path.join(c.dir, 'package.json'), JSON.stringify(pkg, null, 2));
  fs.writeFileSync(
    path.join(c.dir, 'package-lock.json'),
    JSON.stringify(
      {
        name: pkg.name,
        version: pkg.version,
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: pkg.name, version: pkg.version, dependencies },
          'node_modules/klevdb': klevdb,
          ...deps,
        },
      },
      null,
      2,
    ),
  );
  c.installOutput = npm(['ci', ...OFFLINE], c.dir).output;
}

export function removeConsumer(c: Consumer | undefined): void {
  if (c) fs.rmSync(c.dir, { recursive: true, force: true });
}

/** Runs an ES module script in the consumer project (so it resolves `klevdb` as the user's code would). */
export function runScript(c: Consumer, source: string): Run {
  const file = path.join(c.dir, `script-${process.hrtime.bigint()}.mjs`);
  fs.writeFileSync(file, source);
  return run(process.execPath, [file], c.dir, 60_000);
}

/** Each installed package whose engines.node does not admit this Node ("name@version requires node X"). */
export function enginesRefusingThisNode(c: Consumer): string[] {
  const refusing: string[] = [];
  const seen = new Set<string>();
  const walk = (nm: string) => {
    if (!fs.existsSync(nm)) return;
    for (const entry of fs.readdirSync(nm)) {
      if (entry.startsWith('.')) continue;
      const dirs = entry.startsWith('@')
        ? fs.readdirSync(path.join(nm, entry)).map((s) => path.join(nm, entry, s))
        : [path.join(nm, entry)];
      for (const d of dirs) {
        const file = path.join(d, 'package.json');
        if (!fs.existsSync(file) || seen.has(d)) continue;
        seen.add(d);
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as {
          name: string;
          version: string;
          engines?: { node?: string };
        };
        const range = pkg.engines?.node;
        if (range && !admits(range, process.versions.node))
          refusing.push(`${pkg.name}@${pkg.version} requires node ${range}`);
        walk(path.join(d, 'node_modules'));
      }
    }
  };
  walk(path.join(c.dir, 'node_modules'));
  return refusing;
}

const parts = (v: string): number[] => v.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : 0));
function cmp(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/**
 * Whether an engines range admits `version`, by the lower bounds its
 * alternatives set (`>=`, `>`, `^`, `~`, a bare version; `x` and `*` as 0) and
 * their `<` upper bounds: what engines fields use in practice.
 */
export function admits(range: string, version: string): boolean {
  const v = parts(version);
  return range.split('||').some((alt) => {
    const comparators = alt
      .trim()
      .replace(/([<>=^~]+)\s+/g, '$1')
      .split(/\s+/)
      .filter(Boolean);
    return comparators.every((c) => {
      const m = /^([<>=^~]*)v?([\dx*]+(?:\.[\dx*]+){0,2})/.exec(c);
      if (!m) return true;
      const bound = parts(m[2].replace(/[x*]/g, '0'));
      const op = m[1];
      if (op === '<') return cmp(v, bound) < 0;
      if (op === '<=') return cmp(v, bound) <= 0;
      if (op === '>') return cmp(v, bound) > 0;
      if (op === '^') return cmp(v, bound) >= 0 && v[0] === bound[0];
      return cmp(v, bound) >= 0;
    });
  });
}
