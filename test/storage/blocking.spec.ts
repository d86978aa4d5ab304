// Blocking consume (klevdb log_blocking.go, typed_blocking.go, pkg/notify)
// as only the local log has it: wrapBlocking, typed logs and processes that
// exit while waiting. Waiting, waking, abort and close on any BlockingLog are
// in the shared suite, test/contracts/log.contract.ts ('blocking consume').
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { wrapBlocking } from '../../src/storage/blocking.js';
import { stringCodec, varintCodec } from '../../src/storage/codecs.js';
import { LogError } from '../../src/storage/errors.js';
import { open } from '../../src/storage/log.js';
import { openTypedBlocking, wrapTyped, wrapTypedBlocking } from '../../src/storage/typed.js';
import type { Log } from '../../src/storage/types.js';
import { expectLogError } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';

/** Lets every pending promise callback and I/O callback run once. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether a promise has settled yet (without changing how it settles). */
function watchState<T>(p: Promise<T>): { settled: boolean } {
  const state = { settled: false };
  p.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const distModule = (name: string): string => pathToFileURL(path.resolve(here, '../../src/storage', name)).href;

/** Runs a script in a child node; resolves with its stdout once it exits by itself. */
async function runChild(
  dir: string,
  body: string,
  limitMs: number,
): Promise<{ code: number | null; stdout: string; ms: number }> {
  const script = path.join(dir, 'child.mjs');
  await writeFile(script, body);
  const started = Date.now();
  const child = spawn(process.execPath, [script, path.join(dir, 'log')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(killer);
  return { code, stdout, ms: Date.now() - started };
}

describe('blocking consume', () => {
  const tempDir = useTempDirs('klevdb-blocking-');
  const logs: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.allSettled(logs.splice(0).map((l) => l.close()));
  });

  it('wrapBlocking takes only a Log, naming the argument', async () => {
    await expectLogError(() => wrapBlocking(null as unknown as Log), 'ERR_INVALID_ARGUMENT', 'log');
    await expectLogError(() => wrapBlocking({} as Log), 'ERR_INVALID_ARGUMENT', 'log');
  });

  it('is woken by publishes through the wrapper only, as in Go', async () => {
    const raw = await open(await tempDir(), {});
    const log = await wrapBlocking(raw);
    logs.push(log);
    const wait = log.consumeBlocking(0, 5);
    const state = watchState(wait);
    await raw.publish([{ value: 'direct' }]);
    await settle();
    expect(state.settled, 'a publish around the wrapper wakes nobody').to.equal(false);
    await log.publish([{ value: 'wrapped' }]);
    expect((await wait).messages.map((m) => m.value?.toString())).to.deep.equal(['direct', 'wrapped']);
  });

  describe('typed', () => {
    it('resolves typed messages on publish, and rejects a bad key before waiting', async () => {
      const log = await openTypedBlocking(await tempDir(), { keyIndex: true }, stringCodec, varintCodec);
      logs.push(log);
      const wait = log.consumeBlocking(0, 10);
      const byKey = log.consumeByKeyBlocking('k', false, 0, 10);
      await log.publish([{ key: 'k', value: -5 }]);
      expect((await wait).messages.map((m) => [m.key, m.value])).to.deep.equal([['k', -5]]);
      expect((await byKey).messages.map((m) => m.offset)).to.deep.equal([0]);
      await expectLogError(
        () => log.consumeByKeyBlocking(1 as unknown as string, false, 1, 10),
        'ERR_INVALID_ARGUMENT',
        'key',
      );
      await expectLogError(() => log.consumeBlocking(1, 0), 'ERR_INVALID_ARGUMENT', 'maxCount');
    });

    it('wraps any TLog; close rejects its waiters with ERR_CLOSED', async () => {
      const raw = await open(await tempDir(), {});
      const log = await wrapTypedBlocking(wrapTyped(raw, stringCodec, stringCodec));
      expect(log.raw()).to.equal(raw);
      const controller = new AbortController();
      const aborted = log.consumeBlocking(0, 1, controller.signal);
      controller.abort();
      await expectLogError(() => aborted, 'ERR_ABORTED');
      const wait = log.consumeByKeyBlocking('k', false, 0, 1);
      await log.close();
      const err = await expectLogError(() => wait, 'ERR_CLOSED');
      expect(err).to.be.instanceOf(LogError);
    });
  });

  describe('process exit', () => {
    for (const [name, setup] of [
      ['writer', `const log = await openBlocking(dir, { createDirs: true }); const others = [];`],
      [
        'readonly follower (directory watch)',
        `const writer = await open(dir, { createDirs: true });
         const log = await openBlocking(dir, { readonly: true, followWriter: true }); const others = [writer];`,
      ],
    ] as const) {
      it(`a process whose ${name} log is closed while waiting exits by itself`, async function () {
        this.timeout(20_000);
        const dir = await tempDir();
        const { code, stdout, ms } = await runChild(
          dir,
          `import { openBlocking } from '${distModule('blocking.js')}';
           import { open } from '${distModule('log.js')}';
           const dir = process.argv[2];
           ${setup}
           const controller = new AbortController();
           const waits = [log.consumeBlocking(0, 1), log.consumeByKeyBlocking('k', 0, 1, controller.signal)];
           await new Promise((resolve) => setTimeout(resolve, 50));
           await log.close();
           for (const other of others) await other.close();
           const results = await Promise.allSettled(waits);
           console.log(JSON.stringify(results.map((r) => (r.status === 'rejected' ? r.reason.code : 'resolved'))));`,
          10_000,
        );
        expect(code, 'exit code (null: killed after 10 s)').to.equal(0);
        expect(JSON.parse(stdout)).to.deep.equal(['ERR_CLOSED', 'ERR_CLOSED']);
        expect(ms).to.be.below(5_000);
      });
    }
  });
});
