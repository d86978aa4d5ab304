// Reactors on the projection runner: each handled event once per run with a
// stable idempotency key, a durable checkpoint a restart resumes after,
// retries with backoff, dead letters or a stop after the last try, pause and
// resume, and status with checkpoint and lag.
import { expect } from 'chai';
import path from 'node:path';
import { z } from 'zod';
import type { Message } from '../../src/index.js';
import { defineEvent, openEventStore } from '../../src/eventstore/index.js';
import {
  ProcessFailedError,
  isKlevdbError,
  reactor,
  type ReactorContext,
  type ReactorStatus,
} from '../../src/processes/index.js';
import { expectLogError } from '../helpers/errors.js';
import { pings, publishKeyed, until, useReactorHarness } from './fixtures/reactor-harness.js';

const valueOf = (m: Message): { type: string; n: number } =>
  JSON.parse(m.value!.toString('utf8')) as { type: string; n: number };

describe('processes: reactors', () => {
  const h = useReactorHarness();

  it('handles each event once with its idempotency key, and a restart resumes after the checkpoint', async () => {
    const log = await h.log();
    await publishKeyed(log, ['a', 'b', 'a']);
    const seen: Array<{ n: number; ctx: Omit<ReactorContext, 'signal'> }> = [];
    const define = () =>
      reactor({
        name: 'mailer',
        source: log,
        handle: async (m, { idempotencyKey, offset, key, attempt }) =>
          void seen.push({ n: valueOf(m).n, ctx: { idempotencyKey, offset, key, attempt } }),
      });
    const runner = h.runner();
    const mailer = runner.addProcess(define());
    await runner.start();
    await mailer.waitFor(2, { timeoutMs: 10_000 });
    expect(seen.map((s) => s.ctx)).to.deep.equal([
      { idempotencyKey: 'mailer:0', offset: 0, key: 'a', attempt: 1 },
      { idempotencyKey: 'mailer:1', offset: 1, key: 'b', attempt: 1 },
      { idempotencyKey: 'mailer:2', offset: 2, key: 'a', attempt: 1 },
    ]);
    const status: ReactorStatus = await mailer.status();
    expect(status).to.deep.include({ name: 'mailer', kind: 'reactor', state: 'running', checkpoint: 3 });
    expect(status).to.deep.include({ sourceHead: 3, lagEvents: 0, lagSeconds: 0, deadLetters: 0, handled: 3 });
    expect((await runner.processStatus())[0]).to.deep.include({ name: 'mailer', checkpoint: 3 });
    await runner.close();

    await publishKeyed(log, ['c'], 3);
    const again = h.runner();
    const restarted = again.addProcess(define());
    await again.start();
    await restarted.waitFor(3, { timeoutMs: 10_000 });
    expect(seen.map((s) => s.n)).to.deep.equal([0, 1, 2, 3]);
  });

  it("passes an event store's event id as the idempotency key and keys events by stream", async () => {
    const Pinged = defineEvent('Pinged', z.object({ n: z.number() }));
    const store = await openEventStore(path.join(h.dir, 'events'), { events: [Pinged] });
    h.defer(() => store.close());
    await store.appendToStream('s-1', Pinged({ n: 1 }));
    await store.appendToStream('s-2', [Pinged({ n: 2 }), Pinged({ n: 3 })]);
    const seen: Array<[string, string, number]> = [];
    const r = await h.started(
      reactor({
        name: 'pings',
        source: store,
        handles: [Pinged],
        handle: async (event, ctx) => void seen.push([ctx.idempotencyKey, ctx.key, event.data.n]),
      }),
    );
    await r.waitFor(2, { timeoutMs: 10_000 });
    const { events } = await store.readAll();
    expect(seen).to.deep.equal(events.map((e) => [e.meta.eventId, e.meta.streamId, e.data.n]));
  });

  it('passes over event types it does not handle, and starts at the end with startAt: end', async () => {
    const log = await h.log();
    await log.publish([{ value: JSON.stringify({ type: 'old', n: 0 }) }]);
    const seen: number[] = [];
    const r = await h.started(
      reactor({
        name: 'late',
        source: pings(log),
        handles: ['ping'],
        startAt: 'end',
        handle: async (e) => void seen.push(e.n),
      }),
    );
    await log.publish([
      { value: JSON.stringify({ type: 'ping', n: 1 }) },
      { value: JSON.stringify({ type: 'pong', n: 2 }) },
      { value: JSON.stringify({ type: 'ping', n: 3 }) },
    ]);
    await r.waitFor(3, { timeoutMs: 10_000 });
    expect(seen).to.deep.equal([1, 3]);
    expect((await r.status()).checkpoint).to.equal(4);
  });

  it('retries a failing handler with growing waits, then goes on', async () => {
    const log = await h.log();
    await publishKeyed(log, ['a']);
    const tries: Array<{ attempt: number; at: number }> = [];
    const r = await h.started(
      reactor({
        name: 'flaky',
        source: log,
        retry: { maxAttempts: 4, initialDelayMs: 20, factor: 3 },
        handle: async (_m, ctx) => {
          tries.push({ attempt: ctx.attempt, at: Date.now() });
          if (ctx.attempt < 3) throw new Error('try again');
        },
      }),
    );
    await r.waitFor(0, { timeoutMs: 10_000 });
    expect(tries.map((t) => t.attempt)).to.deep.equal([1, 2, 3]);
    // Lower bounds only: 20 ms, then 60 ms.
    expect(tries[1]!.at - tries[0]!.at).to.be.at.least(19);
    expect(tries[2]!.at - tries[1]!.at).to.be.at.least(59);
  });

  for (const concurrency of [1, 8]) {
    it(`gives every try the same key and idempotency key, also read after the try or as JSON (concurrency ${concurrency})`, async () => {
      const log = await h.log();
      await publishKeyed(log, ['a', 'b']);
      const seen: Array<{ attempt: number; later: () => unknown; json: unknown }> = [];
      const r = await h.started(
        reactor({
          name: 'ctx',
          source: log,
          concurrency,
          retry: { maxAttempts: 2, initialDelayMs: 1 },
          handle: async (_m, ctx) => {
            seen.push({
              attempt: ctx.attempt,
              later: () => ({ key: ctx.key, idempotencyKey: ctx.idempotencyKey, offset: ctx.offset }),
              json: JSON.parse(JSON.stringify(ctx)) as unknown,
            });
            if (ctx.attempt === 1 && ctx.offset === 1) throw new Error('try again');
          },
        }),
      );
      await r.waitFor(1, { timeoutMs: 10_000 });
      const byTry = seen.map((s) => ({ attempt: s.attempt, ...(s.later() as object) }));
      expect(byTry).to.have.deep.members([
        { attempt: 1, key: 'a', idempotencyKey: 'ctx:0', offset: 0 },
        { attempt: 1, key: 'b', idempotencyKey: 'ctx:1', offset: 1 },
        { attempt: 2, key: 'b', idempotencyKey: 'ctx:1', offset: 1 },
      ]);
      expect(seen.find((s) => s.attempt === 2)!.json).to.deep.equal({
        idempotencyKey: 'ctx:1',
        offset: 1,
        key: 'b',
        attempt: 2,
        signal: { aborted: false },
      });
    });
  }

  it("with onFailure 'dead-letter' records the event after the last try and goes on, once across restarts", async () => {
    const log = await h.log();
    await publishKeyed(log, ['a', 'b', 'c']);
    let calls = 0;
    const define = () =>
      reactor({
        name: 'letters',
        source: pings(log),
        onFailure: 'dead-letter',
        retry: { maxAttempts: 2, initialDelayMs: 1 },
        handle: async (e) => {
          calls++;
          if (e.n === 1) throw new Error('smtp refused');
        },
      });
    const runner = h.runner();
    const r = runner.addProcess(define());
    await runner.start();
    await r.waitFor(2, { timeoutMs: 10_000 });
    expect(calls).to.equal(4);
    const letters = await r.deadLetters();
    expect(letters).to.have.length(1);
    expect(letters[0]).to.deep.include({ projection: 'letters', offset: 1, eventType: 'ping', error: 'smtp refused' });
    expect(await r.status()).to.deep.include({ checkpoint: 3, deadLetters: 1 });
    await runner.close();

    const again = h.runner();
    const restarted = again.addProcess(define());
    await again.start();
    expect(await restarted.deadLetters()).to.have.length(1);
    expect(calls).to.equal(4);
  });

  it("with onFailure 'stop' fails before the event, keeps the checkpoint there, and tries it again on start", async () => {
    const log = await h.log();
    await publishKeyed(log, ['a', 'b', 'c']);
    let broken = true;
    const handled: number[] = [];
    const r = await h.started(
      reactor({
        name: 'strict',
        source: pings(log),
        retry: { maxAttempts: 2, initialDelayMs: 1 },
        handle: async (e) => {
          if (broken && e.n === 1) throw new Error('downstream is down');
          handled.push(e.n);
        },
      }),
    );
    const err = await r.waitFor(2, { timeoutMs: 10_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isKlevdbError(err, 'ERR_PROCESS_NOT_READY'), String(err)).to.equal(true);
    await until(async () => (await r.status()).state === 'failed', 'the reactor failed');
    const status = await r.status();
    expect(status.checkpoint).to.equal(1);
    expect(status.error).to.be.instanceOf(ProcessFailedError);
    expect(status.error).to.deep.include({ code: 'ERR_PROCESS_FAILED', offset: 1, eventType: 'ping', attempts: 2 });
    expect(status.error!.message).to.include('downstream is down');
    broken = false;
    await r.start();
    await r.waitFor(2, { timeoutMs: 10_000 });
    expect(handled).to.deep.equal([0, 1, 2]);
  });

  it('pause() lets the handlers under way finish and starts no new one until resume()', async () => {
    const log = await h.log();
    await publishKeyed(log, ['a', 'b']);
    const handled: number[] = [];
    const runner = h.runner();
    const r = runner.addProcess(
      reactor({ name: 'pausable', source: log, handle: async (m) => void handled.push(valueOf(m).n) }),
    );
    await runner.start();
    await r.waitFor(1, { timeoutMs: 10_000 });
    await r.pause();
    expect(r.state).to.equal('paused');
    await publishKeyed(log, ['c'], 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(handled).to.deep.equal([0, 1]);
    expect(await r.status()).to.deep.include({ state: 'paused', checkpoint: 2, lagEvents: 1 });
    r.resume();
    await r.waitFor(2, { timeoutMs: 10_000 });
    expect(handled).to.deep.equal([0, 1, 2]);
  });

  it('lets one runner at a time run a reactor: another gets ERR_LOCKED', async () => {
    const log = await h.log();
    const define = () => reactor({ name: 'solo', source: log, handle: async () => undefined });
    const runner = h.runner();
    runner.addProcess(define());
    await runner.start();
    const other = h.runner().addProcess(define());
    await expectLogError(
      () => other.start(),
      'ERR_LOCKED',
      /^reactor solo: another runner holds its checkpoint \(.*\); stop that runner, or run this one on another directory$/,
    );
  });
});
