import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromLog, fromLogBatches, toLog } from '../../src/streams/index.js';
import { LogError } from '../../src/storage/errors.js';
import type { BlockingLog } from '../../src/storage/types.js';
import { errorOf, messages, override, removeDir, sleep, tempDir, tempLog, until } from './helpers.js';

describe('streams: lifecycle and errors', () => {
  let log: BlockingLog;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ log, cleanup } = await tempLog()));
  afterEach(() => cleanup());

  it('unsubscribing aborts the pending blocking wait at once', async () => {
    const waits: Array<{ signal: AbortSignal; settled: Promise<unknown> }> = [];
    const spied = override(log, {
      consumeBlocking: (offset: number, max: number, signal: AbortSignal) => {
        const settled = log.consumeBlocking(offset, max, signal);
        waits.push({ signal, settled: settled.catch((e: unknown) => e) });
        return settled;
      },
    });
    await log.publish(messages(0, 3));
    const got: number[] = [];
    const sub = fromLog(spied).subscribe((m) => got.push(m.offset));
    await until(() => waits.length === 1);
    expect(got).to.deep.equal([0, 1, 2]);
    expect(waits[0]!.signal.aborted).to.equal(false);
    sub.unsubscribe();
    expect(waits[0]!.signal.aborted).to.equal(true);
    const outcome = await Promise.race([waits[0]!.settled, sleep(1000).then(() => 'still waiting')]);
    expect(outcome).to.be.instanceOf(LogError);
    expect((outcome as LogError).code).to.equal('ERR_ABORTED');
    // Nothing read after the unsubscribe reaches the old subscriber.
    await log.publish(messages(3, 2));
    await sleep(20);
    expect(got).to.deep.equal([0, 1, 2]);
  });

  it('a process that unsubscribes mid-wait and closes the log exits promptly', async function () {
    this.timeout(20000);
    const here = path.dirname(fileURLToPath(import.meta.url));
    const dir = tempDir();
    try {
      const started = Date.now();
      const child = spawn(process.execPath, [path.join(here, 'fixtures', 'unsubscribe-child.js'), dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null | 'hung'>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve('hung');
        }, 8000);
        child.on('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      expect(code, out).to.equal(0);
      expect(out).to.contain('received 3; wait aborted: true; closed');
      expect(Date.now() - started).to.be.below(8000);
    } finally {
      removeDir(dir);
    }
  });

  it('aborting options.signal ends the stream with ERR_ABORTED and cancels the wait', async () => {
    await log.publish(messages(0, 2));
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    const spied = override(log, {
      consumeBlocking: (o: number, n: number, s: AbortSignal) => ((signal = s), log.consumeBlocking(o, n, s)),
    });
    const failed = errorOf(fromLog(spied, { signal: controller.signal }));
    await until(() => signal !== undefined);
    controller.abort();
    const err = await failed;
    expect(err).to.be.instanceOf(LogError);
    expect(err.code).to.equal('ERR_ABORTED');
    expect(signal!.aborted).to.equal(true);
  });

  it('an already aborted signal fails the stream before any read', async () => {
    let reads = 0;
    const spied = override(log, { consume: () => (reads++, log.consume(0, 1)) });
    const err = await errorOf(fromLog(spied, { signal: AbortSignal.abort() }));
    expect(err.code).to.equal('ERR_ABORTED');
    expect(reads).to.equal(0);
  });

  it('closing the log while subscribed gives every subscriber ERR_CLOSED', async () => {
    await log.publish(messages(0, 5));
    const got: number[] = [];
    const waiting = errorOf(fromLogBatches(log));
    const live = fromLog(log, { handle: (m) => void got.push(m.offset) });
    const following = errorOf(live);
    await until(() => got.length === 5);
    await sleep(10);
    await log.close();
    for (const err of await Promise.all([waiting, following])) {
      expect(err).to.be.instanceOf(LogError);
      expect(err.code).to.equal('ERR_CLOSED');
    }
  });

  it('a log error reaches the subscriber unchanged', async () => {
    await log.publish(messages(0, 5));
    const corrupted = new LogError('ERR_CORRUPTED', 'bad crc at offset 3');
    const spied = override(log, { consume: () => Promise.reject(corrupted) });
    const err = await errorOf(fromLog(spied));
    expect(err).to.equal(corrupted);
  });

  it('starting after the end of the log fails with the log\'s ERR_INVALID_OFFSET', async () => {
    await log.publish(messages(0, 2));
    const err = await errorOf(fromLog(log, { offset: 5 }));
    expect(err).to.be.instanceOf(LogError);
    expect(err.code).to.equal('ERR_INVALID_OFFSET');
  });

  it('an error thrown by handle ends the stream with that error', async () => {
    await log.publish(messages(0, 5));
    const boom = new Error('handler failed');
    const seen: number[] = [];
    const source = fromLog(log, {
      handle: (m) => {
        if (m.offset === 2) throw boom;
        seen.push(m.offset);
      },
    });
    const err = await errorOf(source);
    expect(err).to.equal(boom);
    expect(seen).to.deep.equal([0, 1]);
  });

  it('rejects bad options with ERR_INVALID_ARGUMENT naming the option', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => fromLog(log, { offset: -3 }), 'offset'],
      [() => fromLog(log, { offset: 1.5 }), 'offset'],
      [() => fromLog(log, { offset: '0' as unknown as number }), 'offset'],
      [() => fromLog(log, { batchSize: 0 }), 'batchSize'],
      [() => fromLogBatches(log, { batchSize: 2.5 }), 'batchSize'],
      [() => fromLog(log, { key: 7 as unknown as string }), 'key'],
      [() => fromLog(log, { live: 'yes' as unknown as boolean }), 'live'],
      [() => fromLog(log, { handle: 1 as unknown as () => void }), 'handle'],
      [() => toLog(log, { maxCount: 0 }), 'maxCount'],
      [() => toLog(log, { maxWait: -1 }), 'maxWait'],
    ];
    for (const [call, option] of cases) {
      let caught: unknown;
      try {
        call();
      } catch (err) {
        caught = err;
      }
      expect(caught, option).to.be.instanceOf(LogError);
      expect((caught as LogError).code).to.equal('ERR_INVALID_ARGUMENT');
      expect((caught as LogError).message).to.contain(`"${option}"`);
    }
  });
});
