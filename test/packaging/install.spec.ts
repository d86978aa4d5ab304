// Issue 14, items 6 and 7: the packed package installs into a clean project on
// this Node (20 in CI) with no engine warning and nothing compiled; the NATS
// client is an optional peer, so klevdb/jetstream without it fails naming the
// command that installs it, and that command (offline here) makes it load.
// The steps run in order on one project, as a user would take them.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import {
  admits,
  type Consumer,
  enginesRefusingThisNode,
  installConsumer,
  reinstallConsumer,
  removeConsumer,
  runScript,
} from './packed.js';

describe('the packed package, installed into a clean project', function () {
  this.timeout(120_000);
  let consumer: Consumer | undefined;
  before(function () {
    this.timeout(120_000);
    consumer = installConsumer();
  });
  after(() => removeConsumer(consumer));

  it('the engines check reads ranges as npm does', () => {
    expect(admits('>= 22.x', '20.20.2')).to.equal(false);
    expect(admits('>=18.0.0', '20.20.2')).to.equal(true);
    expect(admits('^20.19.0 || >=22.12.0', '20.18.1')).to.equal(false);
    expect(admits('^20.19.0 || >=22.12.0', '20.20.2')).to.equal(true);
    expect(admits('>=14 <20', '20.0.0')).to.equal(false);
  });

  it('prints no engine warning, compiles nothing, and leaves the NATS client out', () => {
    const c = consumer!;
    expect(c.installOutput).to.not.match(/EBADENGINE/);
    expect(c.installOutput).to.not.match(/node-gyp|gyp info|prebuild-install/);
    expect(enginesRefusingThisNode(c)).to.deep.equal([]);
    expect(fs.existsSync(path.join(c.dir, 'node_modules/@nats-io')), 'node_modules/@nats-io').to.equal(false);
    expect(fs.existsSync(path.join(c.dir, 'node_modules/fs-ext')), 'node_modules/fs-ext').to.equal(false);
  });

  it('holds the compiled code with its declarations, the docs, the README and the license: no tests, benchmarks or source maps', () => {
    const root = path.join(consumer!.dir, 'node_modules/klevdb');
    const files = fs
      .readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => fs.statSync(path.join(root, f)).isFile());
    expect([...new Set(files.map((f) => f.split(path.sep)[0]))].sort()).to.deep.equal([
      'LICENSE',
      'README.md',
      'dist',
      'docs',
      'package.json',
    ]);
    // The maps named src/*.ts files the package does not ship: a debugger or bundler reading them found nothing there.
    expect(files.filter((f) => f.endsWith('.map'))).to.deep.equal([]);
    expect(files.filter((f) => !f.startsWith(`dist${path.sep}src${path.sep}`) && f.startsWith('dist'))).to.deep.equal(
      [],
    );
    expect(files.filter((f) => /(^|[/\\])(test|bench)[/\\]|\.spec\./.test(f))).to.deep.equal([]);
    for (const entry of Object.values(
      JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).exports as Record<
        string,
        { types: string; default: string }
      >,
    ))
      for (const f of [entry.types, entry.default]) expect(fs.existsSync(path.join(root, f)), f).to.equal(true);
  });

  it('the root works without it: a log opens, publishes, reads, and locks out a second writer', () => {
    const r = runScript(
      consumer!,
      `import { open } from 'klevdb';
import fs from 'node:fs';
const dir = fs.mkdtempSync('log-');
const log = await open(dir, { keyIndex: true });
await log.publish([{ key: Buffer.from('k'), value: Buffer.from('v') }]);
const m = await log.getByKey(Buffer.from('k'));
const second = await open(dir, {}).then(() => 'opened', (e) => e.code);
await log.close();
console.log(JSON.stringify({ value: m.value.toString(), second }));`,
    );
    expect(r.status, r.output).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({ value: 'v', second: 'ERR_LOCKED' });
  });

  it('klevdb ui serves its page script from the installed package: the compiled browser modules, no build step', () => {
    const r = runScript(
      consumer!,
      `import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { open } from 'klevdb';
const dir = fs.mkdtempSync('ui-');
const log = await open(dir, {});
await log.publish([{ key: Buffer.from('k'), value: Buffer.from('v') }]);
await log.close();
const child = spawn(process.execPath, ['node_modules/klevdb/dist/src/cli/main.js', 'ui', dir, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const { url } = JSON.parse(await new Promise((resolve) => child.stdout.once('data', (d) => resolve(String(d)))));
  const page = await (await fetch(url)).text();
  const app = await fetch(new URL('/js/app.js', url));
  const imports = [...(await app.text()).matchAll(/from '\\.\\/([a-z-]+\\.js)'/g)].map((m) => m[1]);
  const statuses = await Promise.all(imports.map((f) => fetch(new URL('/js/' + f, url)).then((res) => res.status)));
  console.log(JSON.stringify({ module: page.includes('<script type="module" src="/js/app.js"></script>'), app: app.status, type: app.headers.get('content-type'), imports: imports.length, statuses: [...new Set(statuses)] }));
} finally {
  child.kill('SIGINT');
}`,
    );
    expect(r.status, r.output).to.equal(0);
    const served = JSON.parse(r.stdout) as { imports: number };
    expect(served).to.deep.include({ module: true, app: 200, type: 'text/javascript; charset=utf-8', statuses: [200] });
    expect(served.imports).to.be.greaterThan(3);
  });

  it('klevdb/jetstream without the NATS client fails with ERR_MISSING_PEER and the npm command that installs it', () => {
    const r = runScript(
      consumer!,
      `const { isKlevdbError } = await import('klevdb');
await import('klevdb/jetstream').then(
  () => console.log(JSON.stringify({ loaded: true })),
  (e) => console.log(JSON.stringify({ name: e.name, code: e.code, install: e.install, message: e.message, klevdb: isKlevdbError(e, 'ERR_MISSING_PEER') })),
);`,
    );
    expect(r.status, r.output).to.equal(0);
    const e = JSON.parse(r.stdout) as Record<string, string | boolean>;
    expect(e).to.include({
      name: 'MissingPeerError',
      code: 'ERR_MISSING_PEER',
      install: 'npm install @nats-io/transport-node@~3.3.1',
      klevdb: true,
    });
    expect(e.message).to.equal(
      'klevdb/jetstream needs @nats-io/transport-node, an optional peer dependency that is not installed; install it with: npm install @nats-io/transport-node@~3.3.1 (3.3 runs on Node 20; 3.4 and later need Node 22)',
    );
  });

  it('without @opentelemetry/api (an optional peer): commands and projections run, and nothing is printed about it', () => {
    const c = consumer!;
    expect(fs.existsSync(path.join(c.dir, 'node_modules/@opentelemetry')), 'node_modules/@opentelemetry').to.equal(
      false,
    );
    const r = runScript(c, TELEMETRY_SCRIPT);
    expect(r.status, r.output).to.equal(0);
    expect(r.output.trim()).to.equal(JSON.stringify({ state: { total: 5 }, projected: { total: 5 }, spans: [] }));
  });

  it('the versions the command names (from the lock, offline) run on this Node, and klevdb/jetstream loads', () => {
    const c = consumer!;
    reinstallConsumer(c, ['@nats-io/transport-node']);
    expect(c.installOutput).to.not.match(/EBADENGINE|ERESOLVE/);
    expect(
      JSON.parse(fs.readFileSync(path.join(c.dir, 'node_modules/@nats-io/transport-node/package.json'), 'utf8'))
        .version,
    ).to.match(/^3\.3\./);
    expect(enginesRefusingThisNode(c)).to.deep.equal([]);
    const r = runScript(
      c,
      `const js = await import('klevdb/jetstream'); console.log(typeof js.openJetStream, typeof js.jetStreamProjectionStore);`,
    );
    expect(r.status, r.output).to.equal(0);
    expect(r.stdout.trim()).to.equal('function function');
  });

  it('with @opentelemetry/api and an SDK installed beside it, the installed klevdb finds the API and records its spans', () => {
    const c = consumer!;
    reinstallConsumer(c, ['@opentelemetry/api', '@opentelemetry/sdk-trace-base']);
    expect(c.installOutput).to.not.match(/EBADENGINE|ERESOLVE/);
    const r = runScript(c, TELEMETRY_SCRIPT);
    expect(r.status, r.output).to.equal(0);
    const { spans } = JSON.parse(r.stdout) as { spans: string[] };
    expect(spans.filter((name) => name === 'klevdb.command')).to.have.length(2);
    expect(spans).to.include('klevdb.projection.batch');
  });
});

/** Two commands and a projection; with the SDK importable, a tracer provider is registered and the spans' names printed. */
const TELEMETRY_SCRIPT = `import { z } from 'zod';
import { defineEvent, inMemoryEventStore } from 'klevdb/eventstore';
import { commandHandler } from 'klevdb/aggregates';
import { ProjectionRunner } from 'klevdb/projections';
const sdk = await import('@opentelemetry/sdk-trace-base').catch(() => undefined);
const exporter = sdk && new sdk.InMemorySpanExporter();
if (sdk) {
  const { trace } = await import('@opentelemetry/api');
  trace.setGlobalTracerProvider(new sdk.BasicTracerProvider({ spanProcessors: [new sdk.SimpleSpanProcessor(exporter)] }));
}
const Added = defineEvent('Added', z.object({ n: z.number() }));
const store = inMemoryEventStore({ events: [Added] });
const decider = { initialState: () => ({ total: 0 }), evolve: (s, e) => ({ total: s.total + e.data.n }), decide: (c) => Added({ n: c.n }) };
const handle = commandHandler(decider, store);
await handle('s', { type: 'Add', n: 2 }, { correlationId: 'c-1' });
const { state, events } = await handle('s', { type: 'Add', n: 3 });
const runner = new ProjectionRunner();
const totals = runner.add({ name: 'totals', source: store, key: (e) => e.meta.streamId, initialState: () => ({ total: 0 }), apply: (s, e) => ({ total: s.total + e.data.n }) });
await runner.start();
await totals.waitFor(events[0].meta.position);
const projected = await totals.get('s');
await runner.close();
console.log(JSON.stringify({ state, projected, spans: exporter ? exporter.getFinishedSpans().map((s) => s.name) : [] }));`;
