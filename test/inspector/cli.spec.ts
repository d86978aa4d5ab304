// `klevdb ui` as users run it: the built binary serving a log until SIGINT.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { getJson, tempDir, writeFixtureLog } from './helpers.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

interface Running {
  child: ChildProcessWithoutNullStreams;
  firstLine: Promise<string>;
  exit: Promise<{ code: number | null; stderr: string }>;
}

function run(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args]);
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.includes('\n')) resolve(stdout.slice(0, stdout.indexOf('\n')));
    });
    child.on('close', () => reject(new Error(`klevdb ui ended before printing; stderr: ${stderr}`)));
  });
  firstLine.catch(() => undefined);
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stderr })),
  );
  return { child, firstLine, exit };
}

describe('klevdb ui (the command)', function () {
  this.timeout(30_000);
  const root = tempDir('cli');
  const dir = path.join(root, 'events');
  const children: ChildProcessWithoutNullStreams[] = [];

  before(async () => {
    await writeFixtureLog(dir);
  });

  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('serves the log on 127.0.0.1 until SIGINT, then exits 0', async () => {
    const r = run(['ui', dir, '--port', '0', '--json']);
    children.push(r.child);
    const started = JSON.parse(await r.firstLine) as { url: string; host: string; kind: string };
    expect(started.host).to.equal('127.0.0.1');
    expect(started.kind).to.equal('log');
    const info = await getJson<{ readonly: boolean; dir: string }>(new URL('/api/info', started.url).toString());
    expect(info).to.include({ readonly: true, dir });
    r.child.kill('SIGINT');
    const { code, stderr } = await r.exit;
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
  });

  it('says where it listens', async () => {
    const r = run(['ui', dir, '--port', '0']);
    children.push(r.child);
    const line = await r.firstLine;
    expect(line).to.match(
      /^klevdb ui: inspecting .*events at http:\/\/127\.0\.0\.1:\d+\/ \(read-only; Ctrl-C stops\)$/,
    );
    r.child.kill('SIGTERM');
    expect((await r.exit).code).to.equal(0);
  });

  it('fails in one line for a missing directory (exit 2) and a bad port (exit 1)', async () => {
    const missing = run(['ui', path.join(root, 'nope')]);
    const m = await missing.exit;
    expect(m.code).to.equal(2);
    expect(m.stderr).to.match(/^klevdb: no log at .*nope/);
    const badPort = run(['ui', dir, '--port', 'eighty']);
    const b = await badPort.exit;
    expect(b.code).to.equal(1);
    expect(b.stderr).to.match(/^klevdb: --port must be a whole number/);
  });

  it('refuses a missing --subscriptions directory (exit 2), as JSON with --json', async () => {
    const missing = path.join(root, 'no-offsets');
    const r = await run(['ui', dir, '--port', '0', '--subscriptions', missing, '--json']).exit;
    expect(r.code).to.equal(2);
    const { error } = JSON.parse(r.stderr) as { error: { code: string; message: string } };
    expect(error.code).to.equal('ERR_NOT_FOUND');
    expect(error.message).to.match(/no-offsets/);
  });
});
