/**
 * Go klevdb as one more peer of the storage bench: `klevgo bench -serve`
 * (interop/klevgo/bench.go) runs the same workload (bench/workload.ts ported
 * to Go: the same keys, values, times and random lookups) on the real
 * library, one request per JSON line, so run.ts interleaves it with the Node
 * peers operation by operation, round by round. It answers the operations
 * only: the open/memory stage measures Node processes.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import readline from 'node:readline';
import { promisify } from 'node:util';
import type { Host } from './host.js';
import type { Measurement, Sizes } from './operations.js';
import { ROLLOVER_BYTES } from './workload.js';

export const GO_PEER = 'go';

type Request =
  { type: 'build'; sizes: Sizes } | { type: 'run'; op: string; round: number; sizes: Sizes } | { type: 'close' };
type Reply = { ok: true; measurement?: Measurement } | { ok: false; error: string };

export class GoHost implements Host {
  readonly name = GO_PEER;
  private pending: { resolve: (reply: Reply) => void; reject: (err: Error) => void } | undefined;
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const pending = this.pending;
      this.pending = undefined;
      try {
        pending?.resolve(JSON.parse(line) as Reply);
      } catch {
        pending?.reject(new Error(`${GO_PEER}: klevgo bench printed ${JSON.stringify(line)}, not a JSON reply`));
      }
    });
    child.on('error', (err) => this.fail(err));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.fail(new Error(`${GO_PEER}: klevgo bench exited with ${code ?? signal} (its stderr is above)`));
        resolve();
      }),
    );
  }

  /** Starts `klevgo bench -serve` on `peerDir` (created; must not hold anything yet). */
  static async start(binary: string, goVersion: string, peerDir: string): Promise<{ host: GoHost; setup: string }> {
    const klevdbVersion = (await promisify(execFile)(binary, ['version'])).stdout.trim();
    const child = spawn(binary, ['bench', '-serve', '-dir', peerDir], { stdio: ['pipe', 'pipe', 'inherit'] });
    const host = new GoHost(child);
    await host.next();
    const setup =
      `Go klevdb ${klevdbVersion} (${goVersion}) through interop/klevgo bench, the same workload ported to Go: ` +
      `V2 segments, keyIndex + timeIndex, rollover ${ROLLOVER_BYTES} bytes, autoSync only where stated; plain synchronous calls`;
    return { host, setup };
  }

  build(sizes: Sizes): Promise<Measurement> {
    return this.measurement({ type: 'build', sizes });
  }

  run(op: string, round: number, sizes: Sizes): Promise<Measurement> {
    return this.measurement({ type: 'run', op, round, sizes });
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.stdin?.writable) {
      // A close after a failure is answered with an error: the process exits either way.
      await this.request({ type: 'close' }).catch(() => undefined);
      this.child.stdin.end();
    }
    await this.exited;
  }

  private fail(err: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }

  private async measurement(request: Request): Promise<Measurement> {
    const reply = await this.request(request);
    if (!reply.measurement) throw new Error(`${GO_PEER}: no measurement in the reply to ${request.type}`);
    return reply.measurement;
  }

  private request(request: Request): Promise<Reply & { ok: true }> {
    const reply = this.next();
    this.child.stdin!.write(JSON.stringify(request) + '\n');
    return reply;
  }

  private next(): Promise<Reply & { ok: true }> {
    return new Promise<Reply>((resolve, reject) => (this.pending = { resolve, reject })).then((reply) => {
      if (!reply.ok) throw new Error(`${GO_PEER}: ${reply.error}`);
      return reply;
    });
  }
}
