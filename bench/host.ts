/**
 * Each store runs in a process of its own, driven over IPC by run.ts: in one
 * shared process a store's heap (raw's key map, klevdb's indexes, lmdb's and
 * sqlite's wrappers) would lengthen every other store's garbage collections,
 * and the figures would depend on who else was measured. The parent still
 * interleaves the stores operation by operation, round by round.
 */
import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Measurement, type Sizes, operations, publishAll } from './operations.js';
import { type Store, loadPeer } from './peers/peer.js';
import { MessageSource } from './workload.js';

type Request =
  { type: 'build'; sizes: Sizes } | { type: 'run'; op: string; round: number; sizes: Sizes } | { type: 'close' };
type Reply = { ok: true; measurement?: Measurement; setup?: string } | { ok: false; error: string };

const thisFile = fileURLToPath(import.meta.url);

/**
 * Flags for every measuring child: gc() between measurements, plus whatever
 * BENCH_CHILD_FLAGS adds (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, which
 * NODE_OPTIONS refuses).
 */
export function childExecArgv(): string[] {
  return ['--expose-gc', ...(process.env.BENCH_CHILD_FLAGS ?? '').split(' ').filter(Boolean)];
}

/** Where a peer keeps the shared dataset; the open/memory child reopens it there. */
export function datasetDir(peerDir: string): string {
  return path.join(peerDir, 'dataset');
}

/** What run.ts drives: one store in a process of its own (a Node peer, or Go klevdb: go-host.ts). */
export interface Host {
  readonly name: string;
  /** Publishes the shared dataset of `sizes.dataset` messages in batches of 100. */
  build(sizes: Sizes): Promise<Measurement>;
  /** One round of one operation; the round picks the lookups' seed. */
  run(op: string, round: number, sizes: Sizes): Promise<Measurement>;
  close(): Promise<void>;
}

/** The parent's handle on one Node store's process; one request at a time. */
export class PeerHost implements Host {
  private pending: { resolve: (reply: Reply) => void; reject: (err: Error) => void } | undefined;
  private exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (reply) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve(reply as Reply);
    });
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        this.pending?.reject(new Error(`${name} host exited with ${code}`));
        this.pending = undefined;
        resolve();
      }),
    );
  }

  /** Starts the process; resolves with the host and the peer's one-line setup. */
  static async start(name: string, peerDir: string): Promise<{ host: PeerHost; setup: string }> {
    const host = new PeerHost(name, fork(thisFile, [name, peerDir], { execArgv: childExecArgv() }));
    const reply = await host.next();
    return { host, setup: reply.setup ?? '' };
  }

  build(sizes: Sizes): Promise<Measurement> {
    return this.measurement({ type: 'build', sizes });
  }

  run(op: string, round: number, sizes: Sizes): Promise<Measurement> {
    return this.measurement({ type: 'run', op, round, sizes });
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.connected) {
      this.child.send({ type: 'close' } satisfies Request);
    }
    await this.exited;
  }

  private async measurement(request: Request): Promise<Measurement> {
    const reply = this.next();
    this.child.send(request);
    return (await reply).measurement!;
  }

  private next(): Promise<Reply & { ok: true }> {
    return new Promise<Reply>((resolve, reject) => (this.pending = { resolve, reject })).then((reply) => {
      if (!reply.ok) throw new Error(`${this.name}: ${reply.error}`);
      return reply;
    });
  }
}

async function serve(name: string, peerDir: string): Promise<void> {
  const peer = await loadPeer(name);
  const source = new MessageSource();
  let dataset: Store | undefined;
  let freshCount = 0;

  const handle = async (request: Request): Promise<Measurement | undefined> => {
    globalThis.gc?.();
    if (request.type === 'build') {
      dataset = await peer.open(datasetDir(peerDir), { autoSync: false });
      return publishAll(dataset, source, request.sizes.dataset, 100);
    }
    if (request.type === 'close') {
      await dataset?.close();
      return undefined;
    }
    const op = operations.find((candidate) => candidate.id === request.op);
    if (!op) throw new Error(`unknown operation ${request.op}`);
    const context = { sizes: request.sizes, source, seed: 1 + request.round };
    if (op.store === 'dataset') {
      if (!dataset) throw new Error(`${op.id} needs the dataset: build it first`);
      return op.run(dataset, context);
    }
    const dir = path.join(peerDir, `fresh-${freshCount++}`);
    const store = await peer.open(dir, op.options ?? { autoSync: false });
    try {
      return await op.run(store, context);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  process.on('message', (request: Request) => {
    handle(request).then(
      (measurement) => {
        const reply: Reply = { ok: true, measurement };
        if (request.type === 'close') process.send!(reply, () => process.exit(0));
        else process.send!(reply);
      },
      (err: unknown) =>
        process.send!({
          ok: false,
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        } satisfies Reply),
    );
  });
  process.send!({ ok: true, setup: peer.setup } satisfies Reply);
}

if (process.argv[1] === thisFile && process.send) {
  const [name, peerDir] = process.argv.slice(2);
  await serve(name, peerDir);
}
