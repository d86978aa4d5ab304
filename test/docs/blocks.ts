// The fenced code blocks of the README and docs/, as the docs test runs them.
import fs from 'node:fs';
import path from 'node:path';

export interface CodeBlock {
  /** The markdown file, relative to the repository root. */
  file: string;
  /** The line of the first line of code (1-based). */
  line: number;
  lang: string;
  /** Words after the language on the fence line, e.g. `no-run`. */
  flags: string[];
  code: string;
}

/**
 * The flags a TypeScript block may carry; any other word on its fence is a
 * mistake. `no-run`: only type-checked. `declarations`: an API reference
 * written as a .d.ts would be (`export function f(...): T;`), type-checked
 * and compared with the package root's own types, never run.
 */
export const TS_FLAGS = ['no-run', 'declarations'] as const;

export const isDeclarations = (b: CodeBlock): boolean => b.flags.includes('declarations');
export const runs = (b: CodeBlock): boolean => !b.flags.includes('no-run') && !isDeclarations(b);

export interface Declared {
  name: string;
  /** A value (const, function), a type (interface, type alias) or both (class). */
  kind: 'value' | 'type' | 'class';
  /** How many type parameters a type takes. */
  arity: number;
}

/** The names a declarations block exports, each once (overloads are one name). */
export function declaredNames(code: string): Declared[] {
  const out = new Map<string, Declared>();
  for (const m of code.matchAll(/^export (const|function|class|interface|type) (\w+)(<[^>(]*>)?/gm)) {
    const kind = m[1] === 'const' || m[1] === 'function' ? 'value' : m[1] === 'class' ? 'class' : 'type';
    const arity = m[3] && kind !== 'value' ? m[3].split(',').length : 0;
    if (!out.has(m[2]!)) out.set(m[2]!, { name: m[2]!, kind, arity });
  }
  return [...out.values()];
}

/** A declarations block as a .ts module: what a .d.ts leaves implicit is made `declare`. */
export function declarationsSource(code: string): string {
  return code
    .replace(/^export (function|class) /gm, 'export declare $1 ')
    .replace(/^export const (\w+): /gm, 'export declare const $1: ');
}

export const isTypeScript = (b: CodeBlock): boolean => b.lang === 'ts' || b.lang === 'typescript';
export const isShell = (b: CodeBlock): boolean => b.lang === 'sh' || b.lang === 'bash' || b.lang === 'shell';

/** README.md and every markdown file under docs/, in a stable order. */
export function docFiles(root: string): string[] {
  const out = ['README.md'];
  const walk = (dir: string): void => {
    for (const e of fs
      .readdirSync(path.join(root, dir), { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.md')) out.push(rel);
    }
  };
  if (fs.existsSync(path.join(root, 'docs'))) walk('docs');
  return out;
}

/** The fenced blocks (``` or ~~~, not indented code) of one markdown text. */
export function extractBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence)) end++;
    if (end === lines.length) throw new Error(`${file}:${i + 1}: a code block that is never closed`);
    const flags = open[4]!.trim() === '' ? [] : open[4]!.trim().split(/\s+/);
    blocks.push({
      file,
      line: start + 1,
      lang: open[3]!.toLowerCase(),
      flags,
      code: lines.slice(start, end).join('\n') + '\n',
    });
    i = end;
  }
  return blocks;
}

export function allBlocks(root: string): CodeBlock[] {
  return docFiles(root).flatMap((f) => extractBlocks(f, fs.readFileSync(path.join(root, f), 'utf8')));
}

/** A file name for a block: where it comes from, readable in compiler errors. */
export function blockFileName(b: CodeBlock): string {
  return `${b.file.replace(/\.md$/, '').replace(/[^\w]+/g, '_')}_L${b.line}.ts`;
}
