// Tests that need a browser, nats-server or Go skip with a one-line reason on
// a machine without them, and fail when CI is set (issue 14, item 11). The
// machine without them is simulated with KLEVDB_TEST_WITHOUT.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const DIST_TEST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MOCHA = fileURLToPath(import.meta.resolve('mocha/bin/mocha.js'));
const SPECS = ['inspector/browser.spec.js', 'jetstream/single-writer.spec.js', 'packaging/fixtures/needs-go.js'].map(
  (s) => path.join(DIST_TEST, s),
);
const REASONS = [
  'skipping the tests that need Chromium: Chromium not found; apt-get install chromium',
  'skipping the tests that need nats-server: nats-server not found; apt-get install nats-server',
  'skipping the tests that need Go: Go not found; install Go',
];

function runWithout(ci: boolean) {
  const env: NodeJS.ProcessEnv = { ...process.env, KLEVDB_TEST_WITHOUT: 'chromium,nats-server,go' };
  delete env.CI;
  if (ci) env.CI = 'true';
  const r = spawnSync(process.execPath, [MOCHA, '--no-config', '--timeout', '30000', '--reporter', 'dot', ...SPECS], {
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('tests that need something npm does not install', function () {
  this.timeout(150_000);

  it('skip with a one-line reason each (what is missing, what installs it) where it is missing, and pass', () => {
    const { status, out, err } = runWithout(false);
    expect(status, out + err).to.equal(0);
    const lines = err.split('\n').filter((l) => l.includes('skipping the tests that need'));
    expect(lines, err).to.have.length(3);
    for (const reason of REASONS)
      expect(
        lines.some((l) => l.includes(reason)),
        `${reason}\n${err}`,
      ).to.equal(true);
    expect(out).to.match(/0 passing/);
    expect(out).to.match(/\d+ pending/);
  });

  it('fail when CI is set, naming what is missing', () => {
    const { status, out, err } = runWithout(true);
    expect(status, out + err).to.not.equal(0);
    expect(out).to.match(/3 failing/);
    for (const what of ['Chromium', 'nats-server', 'Go']) expect(out).to.include(`${what} not found;`);
    expect(out).to.include('(required because CI is set)');
  });
});
