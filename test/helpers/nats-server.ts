// nats-server processes for the tests: one JetStream server, or a cluster of
// them on loopback ports. Every server started here is stopped by the hooks
// the use* helpers register (also when a test or a hook fails), and as a
// last resort when the test process exits.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { requireNatsServer } from './external.js';

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ServerSpec {
  name: string;
  port: number;
  dir: string;
  cluster?: { name: string; port: number; routes: number[] };
}

/** One nats-server process; start() again after kill() restarts it on the same port and store. */
export class NatsServer {
  proc: ChildProcess | null = null;
  output = '';

  constructor(
    readonly bin: string,
    readonly spec: ServerSpec,
  ) {}

  get url(): string {
    return `127.0.0.1:${this.spec.port}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(): Promise<void> {
    const { spec } = this;
    const args = ['-js', '-a', '127.0.0.1', '-p', String(spec.port), '-sd', spec.dir, '-n', spec.name];
    if (spec.cluster) {
      args.push('--cluster_name', spec.cluster.name, '--cluster', `nats://127.0.0.1:${spec.cluster.port}`);
      args.push('--routes', spec.cluster.routes.map((p) => `nats://127.0.0.1:${p}`).join(','));
    }
    const proc = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    running.add(proc);
    proc.on('exit', () => running.delete(proc));
    const keep = (d: Buffer): void => {
      this.output = (this.output + d.toString()).slice(-20_000);
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    const deadline = Date.now() + 10_000;
    while (!/Server is ready/.test(this.output)) {
      if (proc.exitCode !== null)
        throw new Error(`nats-server ${spec.name} exited with ${proc.exitCode}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`nats-server ${spec.name} not ready within 10 s:\n${this.output}`);
      await sleep(20);
    }
  }

  /** Sends `signal` and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    this.output = '';
  }

  get alive(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }
}

/** Waits until JetStream answers API requests through `nc` (on a cluster: a meta leader is elected). */
export async function waitForJetStream(nc: NatsConnection, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const m = await nc.request('$JS.API.INFO', '', { timeout: 1000 });
      const j = JSON.parse(new TextDecoder().decode(m.data)) as { error?: unknown };
      if (!j.error) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error('JetStream did not become ready');
    await sleep(100);
  }
}

/**
 * Waits until a stream of `replicas` replicas can be placed: a meta leader
 * can answer before every peer has joined it, and a replicated stream made
 * then fails with "no suitable peers for placement" (10005).
 */
async function waitForPlacement(nc: NatsConnection, replicas: number, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  const name = `klevdb-placement-probe-${process.pid}`;
  const config = JSON.stringify({ name, subjects: [`${name}.>`], num_replicas: replicas, storage: 'memory' });
  for (;;) {
    try {
      const m = await nc.request(`$JS.API.STREAM.CREATE.${name}`, config, { timeout: 5000 });
      const j = JSON.parse(new TextDecoder().decode(m.data)) as { error?: unknown };
      if (!j.error) {
        await nc.request(`$JS.API.STREAM.DELETE.${name}`, '', { timeout: 5000 });
        return;
      }
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`the cluster could not place a stream of ${replicas} replicas`);
    await sleep(200);
  }
}

/** Starts one JetStream server on a free loopback port with a temporary store. */
export async function startServer(bin: string): Promise<NatsServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'klevdb-nats-'));
  const server = new NatsServer(bin, { name: `klevdb-test-${process.pid}`, port: await freePort(), dir });
  try {
    await server.start();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return server;
}

export async function stopServer(server: NatsServer): Promise<void> {
  await server.kill('SIGTERM');
  await rm(server.spec.dir, { recursive: true, force: true });
}

/** A cluster of `size` JetStream servers routed to each other on loopback ports. */
export class NatsCluster {
  constructor(readonly nodes: NatsServer[]) {}

  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  node(name: string): NatsServer {
    const n = this.nodes.find((s) => s.spec.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill('SIGTERM')));
    await Promise.all(this.nodes.map((n) => rm(n.spec.dir, { recursive: true, force: true })));
  }
}

export async function startCluster(bin: string, size = 3): Promise<NatsCluster> {
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = await Promise.all(Array.from({ length: size }, () => freePort()));
  const nodes: NatsServer[] = [];
  for (let i = 0; i < size; i++) {
    const dir = await mkdtemp(path.join(os.tmpdir(), `klevdb-nats-n${i + 1}-`));
    nodes.push(
      new NatsServer(bin, {
        name: `n${i + 1}`,
        port: ports[i]!,
        dir,
        cluster: { name: 'klevdb', port: routes[i]!, routes: routes.filter((_, j) => j !== i) },
      }),
    );
  }
  const cluster = new NatsCluster(nodes);
  try {
    await Promise.all(nodes.map((n) => n.start()));
    const nc = await connect({ servers: cluster.urls });
    try {
      await waitForJetStream(nc);
      await waitForPlacement(nc, size);
    } finally {
      await nc.close();
    }
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/**
 * Registers before/after hooks around the calling describe: a server is
 * started before its tests and stopped after them, whether they pass or not.
 */
export function useNatsServer(): () => NatsServer {
  let server: NatsServer | null = null;
  before(async function () {
    this.timeout(20_000);
    const bin = requireNatsServer(this);
    server = await startServer(bin);
  });
  after(async function () {
    this.timeout(20_000);
    if (server) await stopServer(server);
    server = null;
  });
  return () => {
    if (!server) throw new Error('the NATS server is not running (before hook failed?)');
    return server;
  };
}
