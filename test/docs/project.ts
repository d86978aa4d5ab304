// A throwaway project that uses klevdb the way a user's does: the package is
// imported by name (`klevdb`, `klevdb/eventstore`, ...) through a node_modules
// link to this repository, so its package.json exports and its published
// .d.ts files are what the blocks see, under strict and NodeNext.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  blockFileName,
  declarationsSource,
  declaredNames,
  extractBlocks,
  isDeclarations,
  type CodeBlock,
} from './blocks.js';

export interface DocsProject {
  dir: string;
  /** Per declarations block: the file comparing it with the package, and the name each of its lines checks. */
  checks: Map<CodeBlock, { file: string; names: Map<number, string> }>;
  /** The compiled JavaScript of a block. */
  output(b: CodeBlock): string;
  remove(): Promise<void>;
}

/**
 * The tsconfig.json the README tells users to write (its json block with
 * compilerOptions), so the blocks are compiled exactly as it promises; plus
 * where this project keeps its files.
 */
function tsconfig(root: string): object {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const block = extractBlocks('README.md', readme).find(
    (b) => b.lang === 'json' && b.code.includes('"compilerOptions"'),
  );
  if (!block) throw new Error('README.md has no ```json block with the tsconfig.json compilerOptions users need');
  const { compilerOptions } = JSON.parse(block.code) as { compilerOptions: Record<string, unknown> };
  return { compilerOptions: { ...compilerOptions, outDir: 'out', rootDir: 'src' }, include: ['src'] };
}

/** Writes every block into src/ of a new temporary project whose node_modules resolves `klevdb` to `root`. */
export async function createDocsProject(root: string, blocks: readonly CodeBlock[]): Promise<DocsProject> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klevdb-docs-'));
  const modules = path.join(dir, 'node_modules');
  await fs.mkdir(modules);
  // The package itself, and the packages a user installs beside it (zod, rxjs, @types/node, ...).
  await fs.symlink(root, path.join(modules, 'klevdb'), 'dir');
  const installed = path.join(root, 'node_modules');
  for (const name of await fs.readdir(installed)) {
    if (name !== 'klevdb' && !name.startsWith('.'))
      await fs.symlink(path.join(installed, name), path.join(modules, name));
  }
  await fs.writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'klevdb-docs', private: true, type: 'module' }),
  );
  await fs.writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig(root), null, 2));
  await fs.mkdir(path.join(dir, 'src'));
  const checks = new Map<CodeBlock, { file: string; names: Map<number, string> }>();
  for (const b of blocks) {
    if (!isDeclarations(b)) {
      await fs.writeFile(path.join(dir, 'src', blockFileName(b)), b.code);
      continue;
    }
    await fs.writeFile(path.join(dir, 'src', blockFileName(b)), declarationsSource(b.code));
    const check = comparison(b);
    await fs.writeFile(path.join(dir, 'src', check.file), check.text);
    checks.set(b, check);
  }
  return {
    dir,
    checks,
    output: (b) => path.join(dir, 'out', blockFileName(b).replace(/\.ts$/, '.js')),
    remove: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A module that fails to compile unless each name the block declares is
 * exported by the package root with the same type (each assignable to the
 * other; generic types compared with `any` arguments).
 */
function comparison(b: CodeBlock): { file: string; text: string; names: Map<number, string> } {
  const base = blockFileName(b).replace(/\.ts$/, '');
  const lines = [
    `import type * as Documented from './${base}.js';`,
    `import type * as Package from 'klevdb';`,
    'type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;',
  ];
  const names = new Map<number, string>();
  for (const d of declaredNames(b.code)) {
    const args = d.arity > 0 ? `<${Array(d.arity).fill('any').join(', ')}>` : '';
    if (d.kind !== 'type') {
      names.set(lines.length + 1, d.name);
      lines.push(`export const value_${d.name}: Same<typeof Documented.${d.name}, typeof Package.${d.name}> = true;`);
    }
    if (d.kind !== 'value') {
      names.set(lines.length + 1, d.name);
      lines.push(`export const type_${d.name}: Same<Documented.${d.name}${args}, Package.${d.name}${args}> = true;`);
    }
  }
  return { file: `${base}__check.ts`, text: lines.join('\n') + '\n', names };
}

/**
 * Type-checks and compiles the project with the repository's TypeScript;
 * returns the compiler's diagnostics per block file name (empty when clean).
 */
export async function compileDocsProject(root: string, project: DocsProject): Promise<Map<string, string[]>> {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const output = await new Promise<string>((resolve) => {
    execFile(
      process.execPath,
      [tsc, '-p', project.dir, '--pretty', 'false'],
      { cwd: project.dir, maxBuffer: 16 << 20 },
      (_err, stdout, stderr) => resolve(stdout + stderr),
    );
  });
  const errors = new Map<string, string[]>();
  let last: string[] | null = null;
  for (const line of output.split('\n')) {
    const m = /^src\/([^(]+)\((\d+),\d+\): (.*)$/.exec(line);
    if (m) {
      last = errors.get(m[1]!) ?? [];
      errors.set(m[1]!, last);
      last.push(`line ${m[2]} of the block: ${m[3]}`);
    } else if (line.trim() !== '') {
      // A continuation of the previous message, or an error that names no block (a broken tsconfig).
      if (last && /^\s/.test(line)) last.push(line);
      else errors.set('*', [...(errors.get('*') ?? []), line]);
    }
  }
  return errors;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a compiled block with node in a fresh working directory, killing it after `timeoutMs`. */
export async function runBlock(script: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  const cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'klevdb-docs-run-'));
  try {
    return await new Promise<RunResult>((resolve) => {
      const child = execFile(
        process.execPath,
        [script],
        { cwd, env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
        (err, stdout, stderr) => {
          const timedOut = err !== null && (err as { killed?: boolean }).killed === true;
          resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr, timedOut });
        },
      );
    });
  } finally {
    await fs.rm(cwd, { recursive: true, force: true });
  }
}
