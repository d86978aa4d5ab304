// Every code block of README.md and docs/ works as written. TypeScript blocks
// are copied into a throwaway project that imports klevdb by name, type-
// checked under strict + NodeNext, then each is run with node in its own
// empty working directory and must exit 0 on its own (logs closed,
// subscriptions ended) within the timeout. A block marked ```ts no-run is
// only type-checked. Shell blocks are not run; what they name must exist.
// Blocks that import klevdb/jetstream run against a local three-node
// nats-server cluster whose addresses they get in NATS_SERVERS.
import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  allBlocks,
  blockFileName,
  docFiles,
  declaredNames,
  isDeclarations,
  isShell,
  isTypeScript,
  runs,
  TS_FLAGS,
  type CodeBlock,
} from './blocks.js';
import { compileDocsProject, createDocsProject, runBlock, type DocsProject } from './project.js';
import { packageRootExports } from './exports.js';
import { brokenLinks } from './links.js';
import { ShellChecker, shellCommands } from './shell.js';
import { requireNatsServer } from '../helpers/external.js';
import { startCluster, type NatsCluster } from '../helpers/nats-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const RUN_TIMEOUT_MS = 60_000;

const where = (b: CodeBlock): string => `${b.file}:${b.line}`;
const needsNats = (b: CodeBlock): boolean => /from ['"]klevdb\/jetstream['"]/.test(b.code);

describe('docs: every code block in README.md and docs/', () => {
  const blocks = allBlocks(ROOT);
  const tsBlocks = blocks.filter(isTypeScript);
  let project: DocsProject | null = null;
  let diagnostics = new Map<string, string[]>();
  let cluster: NatsCluster | null = null;

  before(async function () {
    this.timeout(300_000);
    project = await createDocsProject(ROOT, tsBlocks);
    diagnostics = await compileDocsProject(ROOT, project);
  });

  after(async function () {
    this.timeout(30_000);
    await cluster?.stop();
    await project?.remove();
  });

  it('finds the blocks, and the compiler reports nothing outside them', () => {
    expect(tsBlocks.filter(runs).length, 'TypeScript blocks that run').to.be.at.least(10);
    expect(diagnostics.get('*') ?? []).to.deep.equal([]);
  });

  for (const b of tsBlocks) {
    const what = isDeclarations(b) ? ' and matches the package' : runs(b) ? ' and runs' : ' (no-run)';
    it(`${where(b)} compiles${what}`, async function () {
      this.timeout(RUN_TIMEOUT_MS + 30_000);
      const unknown = b.flags.filter((f) => !(TS_FLAGS as readonly string[]).includes(f));
      expect(unknown, `${where(b)}: unknown flags on the fence (allowed: ${TS_FLAGS.join(', ')})`).to.deep.equal([]);
      expect(b.code, `${where(b)}: blocks run in a temporary directory; use a relative path, not /tmp`).not.to.match(
        /['"`]\/tmp\//,
      );
      const errors = diagnostics.get(blockFileName(b)) ?? [];
      expect(errors, `${where(b)} does not type-check:\n${errors.join('\n')}`).to.deep.equal([]);
      const check = project!.checks.get(b);
      if (check) {
        const differ = (diagnostics.get(check.file) ?? []).map((e) => {
          const line = Number(/^line (\d+)/.exec(e)?.[1]);
          return check.names.has(line) ? `${check.names.get(line)} is not what the package root exports` : e;
        });
        expect(differ, `${where(b)} differs from the package's types:\n${differ.join('\n')}`).to.deep.equal([]);
      }
      if (!runs(b)) return;

      const env: NodeJS.ProcessEnv = {};
      if (needsNats(b)) {
        cluster ??= await startCluster(requireNatsServer(this));
        env.NATS_SERVERS = cluster.urls.join(',');
      }
      const r = await runBlock(project!.output(b), env, RUN_TIMEOUT_MS);
      const output = `\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;
      expect(
        r.timedOut,
        `${where(b)} did not exit within ${RUN_TIMEOUT_MS} ms (a log left open? a subscription never ended?)${output}`,
      ).to.equal(false);
      expect(r.code, `${where(b)} failed${output}`).to.equal(0);
    });
  }

  it('docs/api/storage.md declares every name the package root exports, and only those', () => {
    const declared = tsBlocks
      .filter((b) => b.file === path.join('docs', 'api', 'storage.md') && isDeclarations(b))
      .flatMap((b) => declaredNames(b.code).map((d) => d.name));
    const exported = packageRootExports(ROOT);
    expect(exported.length, 'exports of the package root').to.be.greaterThan(50);
    expect([...new Set(declared)].sort()).to.deep.equal([...exported].sort());
  });

  it('shell blocks name only npm scripts, klevdb commands and options, and files that exist', () => {
    const checker = new ShellChecker(ROOT);
    const problems = blocks
      .filter(isShell)
      .flatMap((b) =>
        shellCommands(b.code).flatMap((words) => checker.problems(words).map((p) => `${where(b)}: ${p}`)),
      );
    expect(problems).to.deep.equal([]);
  });

  it('relative links name files in the repository and headings that exist', () => {
    expect(docFiles(ROOT).flatMap((f) => brokenLinks(ROOT, f))).to.deep.equal([]);
  });

  it('blocks that run use their own data directories, so a reader can run them one after another in one project', () => {
    // Each block runs in its own empty directory here, but a reader pastes them into one project: two different
    // blocks writing the same log (or one inside the other) collide on stream ids, command ids or event types.
    const dirs = (code: string): string[] => [...code.matchAll(/['"`](data\/[\w./-]+)['"`]/g)].map((m) => m[1]!);
    const overlap = (a: string, b: string): boolean => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
    const running = tsBlocks.filter(runs);
    const clashes: string[] = [];
    running.forEach((a, i) =>
      running.slice(i + 1).forEach((b) => {
        if (a.code === b.code) return; // the same example repeated (README and its guide) writes the same thing
        for (const da of dirs(a.code))
          for (const db of dirs(b.code)) if (overlap(da, db)) clashes.push(`${where(a)} ${da} and ${where(b)} ${db}`);
      }),
    );
    expect(
      running.some((b) => dirs(b.code).length > 0),
      'blocks that name a data directory',
    ).to.equal(true);
    expect(clashes).to.deep.equal([]);
  });

  it('every code block says its language', () => {
    expect(blocks.filter((b) => b.lang === '').map(where)).to.deep.equal([]);
  });
});
