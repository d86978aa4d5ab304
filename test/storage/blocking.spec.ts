// Blocking consume (klevdb log_blocking.go, typed_blocking.go, pkg/notify).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openBlocking, wrapBlocking } from '../../src/storage/blocking.js';
import { stringCodec, varintCodec } from '../../src/storage/codecs.js';
import { LogError } from '../../src/storage/errors.js';
import { open } from '../../src/storage/log.js';
import { openTypedBlocking, wrapTyped, wrapTypedBlocking } from '../../src/storage/typed.js';
import { OffsetNewest, OffsetOldest } from '../../src/storage/types.js';
import type { BlockingLog, Log, Options } from '../../src/storage/types.js';
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

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

const here = path.dirname(fileURLToPath(import.meta.url));
const distModule = (name: string): string => pathToFileURL(path.resolve(here, '../../src/storage', name)).href;

/** Runs a script in a child node; resolves with its stdout once it exits by itself. */
async function runChild(dir: string, body: string, limitMs: number): Promise<{ code: number | null; stdout: string; ms: number }> {
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
  async function fresh(opts: Options = {}): Promise<BlockingLog> {
    const log = await openBlocking(await tempDir(), opts);
    logs.push(log);
    return log;
  }

  it('returns at once when messages are already past the offset', async () => {
    const log = await fresh();
    await log.publish([{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    const { nextOffset, messages } = await log.consumeBlocking(1, 10);
    expect(messages.map((m) => m.value?.toString())).to.deep.equal(['b', 'c']);
    expect(nextOffset).to.equal(3);
  });

  it('waits at the next offset and resolves on the next publish through it', async () => {
    const log = await fresh();
    await log.publish([{ value: 'a' }]);
    const wait = log.consumeBlocking(1, 10);
    const state = watchState(wait);
    await settle();
    expect(state.settled, 'resolved before any publish').to.equal(false);
    await log.publish([{ value: 'b' }, { value: 'c' }]);
    const { nextOffset, messages } = await wait;
    expect(messages.map((m) => [m.offset, m.value?.toString()])).to.deep.equal([
      [1, 'b'],
      [2, 'c'],
    ]);
    expect(nextOffset).to.equal(3);
  });

  it('wakes exactly the waiters a publish makes data available for', async () => {
    const log = await fresh();
    const first = watchState(log.consumeBlocking(0, 1));
    const second = log.consumeBlocking(1, 1);
    const secondState = watchState(second);
    await log.publish([{ value: 'a' }]);
    await settle();
    expect(first.settled).to.equal(true);
    expect(secondState.settled).to.equal(false);
    await log.publish([{ value: 'b' }]);
    expect((await second).messages.map((m) => m.offset)).to.deep.equal([1]);
  });

  it('never waits from OffsetOldest or OffsetNewest, as Go (nextOffset > offset)', async () => {
    const log = await fresh();
    expect(await log.consumeBlocking(OffsetNewest, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
    expect(await log.consumeBlocking(OffsetOldest, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
    await log.publish([{ value: 'a' }]);
    expect((await log.consumeBlocking(OffsetNewest, 10)).nextOffset).to.equal(1);
    expect((await log.consumeBlocking(OffsetOldest, 10)).messages).to.have.length(1);
  });

  it('consumeByKeyBlocking wakes on any publish, then returns only that key', async () => {
    const log = await fresh({ keyIndex: true });
    const wait = log.consumeByKeyBlocking('a', 0, 10);
    await log.publish([{ key: 'b', value: '1' }]);
    expect((await wait).messages).to.deep.equal([]);
    const next = log.consumeByKeyBlocking(Buffer.from('a'), 1, 10);
    await log.publish([{ key: 'a', value: '2' }]);
    expect((await next).messages.map((m) => [m.offset, m.value?.toString()])).to.deep.equal([[1, '2']]);
  });

  it('rejects with ERR_ABORTED when the signal fires, and removes its listener', async () => {
    const log = await fresh();
    const controller = new AbortController();
    const wait = log.consumeBlocking(0, 1, controller.signal);
    expect(abortListeners(controller.signal)).to.equal(1);
    const reason = new Error('stop');
    controller.abort(reason);
    const err = await expectLogError(() => wait, 'ERR_ABORTED', 'aborted');
    expect(err.cause).to.equal(reason);
    expect(abortListeners(controller.signal)).to.equal(0);
    await log.publish([{ value: 'a' }]);
    expect((await log.consumeBlocking(0, 1)).messages).to.have.length(1);
  });

  it('rejects an already aborted signal at once, even with data available', async () => {
    const log = await fresh();
    await log.publish([{ value: 'a' }]);
    const signal = AbortSignal.abort();
    await expectLogError(() => log.consumeBlocking(0, 1, signal), 'ERR_ABORTED');
    await expectLogError(() => log.consumeByKeyBlocking('k', 5, 1, signal), 'ERR_ABORTED');
    expect(abortListeners(signal)).to.equal(0);
  });

  it('removes the abort listener when a publish resolves the wait', async () => {
    const log = await fresh();
    const controller = new AbortController();
    const waits = [log.consumeBlocking(0, 1, controller.signal), log.consumeBlocking(0, 1, controller.signal)];
    expect(abortListeners(controller.signal)).to.equal(2);
    await log.publish([{ value: 'a' }]);
    await Promise.all(waits);
    expect(abortListeners(controller.signal)).to.equal(0);
    controller.abort();
  });

  it('rejects waiters with ERR_CLOSED when the log closes, and any later wait', async () => {
    const log = await openBlocking(await tempDir(), {});
    const controller = new AbortController();
    const waits = [log.consumeBlocking(0, 1), log.consumeByKeyBlocking('k', 0, 1, controller.signal)];
    await log.close();
    for (const wait of waits) await expectLogError(() => wait, 'ERR_CLOSED');
    expect(abortListeners(controller.signal)).to.equal(0);
    await expectLogError(() => log.consumeBlocking(0, 1), 'ERR_CLOSED');
  });

  it('validates arguments before waiting, naming them', async () => {
    const log = await fresh();
    for (const offset of [1.5, -3, NaN, '0', 2 ** 53]) {
      await expectLogError(() => log.consumeBlocking(offset as number, 1), 'ERR_INVALID_ARGUMENT', 'offset');
    }
    for (const maxCount of [0, -1, 1.5, '1']) {
      await expectLogError(() => log.consumeBlocking(0, maxCount as number), 'ERR_INVALID_ARGUMENT', 'maxCount');
    }
    await expectLogError(() => log.consumeBlocking(0, 1, {} as AbortSignal), 'ERR_INVALID_ARGUMENT', 'signal');
    await expectLogError(() => log.consumeByKeyBlocking(5 as unknown as string, 0, 1), 'ERR_INVALID_ARGUMENT', 'key');
    await expectLogError(() => wrapBlocking(null as unknown as Log), 'ERR_INVALID_ARGUMENT', 'log');
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

  it('follows a writer in another log through the directory (readonly + followWriter)', async () => {
    const dir = await tempDir();
    const writer = await open(dir, {});
    logs.push(writer);
    await writer.publish([{ value: 'a' }]);
    const reader = await openBlocking(dir, { readonly: true, followWriter: true });
    logs.push(reader);
    expect((await reader.consumeBlocking(0, 5)).messages).to.have.length(1);
    const wait = reader.consumeBlocking(1, 5);
    await settle();
    await writer.publish([{ value: 'b' }]);
    expect((await wait).messages.map((m) => m.value?.toString())).to.deep.equal(['b']);
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
      await expectLogError(() => log.consumeByKeyBlocking(1 as unknown as string, false, 1, 10), 'ERR_INVALID_ARGUMENT', 'key');
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
