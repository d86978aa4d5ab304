// Shell blocks in the docs are not run, but what they name must exist: npm
// scripts in package.json, klevdb subcommands and their --options, files
// under dist/ that `node` is given.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The commands of a shell block: one per pipeline stage or `&&` / `;` part, comments dropped. */
export function shellCommands(code: string): string[][] {
  const out: string[][] = [];
  for (const raw of code.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    for (const part of line.split(/&&|\|\||[|;]/)) {
      const words = part
        .trim()
        .split(/\s+/)
        .filter((w) => w !== '');
      if (words.length > 0) out.push(words);
    }
  }
  return out;
}

const NPM_BUILTINS = new Set(['ci', 'install', 'i', 'test', 'start', 'pack', 'exec']);

export class ShellChecker {
  private readonly scripts: Record<string, string>;
  private readonly help = new Map<string, string | null>();
  private commands: Set<string> | null = null;

  constructor(private readonly root: string) {
    this.scripts = (
      JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
  }

  /** What is wrong with one command (empty when it names only things that exist). */
  problems(words: string[]): string[] {
    const [cmd, sub] = words;
    if (cmd === 'npm') {
      if (sub === 'run')
        return words[2] && words[2] in this.scripts ? [] : [`no npm script "${words[2]}" in package.json`];
      if (sub === 'start' || sub === 'test')
        return sub in this.scripts ? [] : [`no npm script "${sub}" in package.json`];
      return sub && NPM_BUILTINS.has(sub) ? [] : [`npm ${sub}: not a command the docs should name`];
    }
    if (cmd === 'node' && sub && /^dist\//.test(sub)) {
      return fs.existsSync(path.join(this.root, sub)) ? [] : [`${sub} does not exist after npm run build`];
    }
    if (cmd === 'klevdb') {
      if (!sub) return [];
      const help = this.subcommandHelp(sub);
      if (help === null) return [`klevdb has no command "${sub}"`];
      const options =
        words
          .slice(2)
          .join(' ')
          .match(/--[a-z][\w-]*/g) ?? [];
      return options.filter((o) => !new RegExp(`${o}\\b`).test(help)).map((o) => `klevdb ${sub} has no option ${o}`);
    }
    return [];
  }

  private cli(args: string[]): string {
    const main = path.join(this.root, 'dist', 'src', 'cli', 'main.js');
    return execFileSync(process.execPath, [main, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** The subcommand's --help, or null when `klevdb --help` does not list it. */
  private subcommandHelp(sub: string): string | null {
    // The commands listed under "Commands:" in klevdb --help, one per line.
    this.commands ??= new Set(
      [
        ...this.cli(['--help'])
          .split(/^Commands:$/m)[1]!
          .matchAll(/^ {2}([a-z][\w-]*)/gm),
      ].map((m) => m[1]!),
    );
    if (!this.commands.has(sub)) return null;
    if (!this.help.has(sub)) this.help.set(sub, this.cli([sub, '--help']));
    return this.help.get(sub)!;
  }
}
