// Parallel by key: events of one key in order, different keys concurrently up
// to `concurrency`, and the checkpoint never past an event still running.
import { expect } from 'chai';
import { reactor } from '../../src/processes/index.js';
import { gate, pings, publishKeyed, until, useReactorHarness } from './fixtures/reactor-harness.js';

describe('processes: reactors run keys in parallel', () => {
  const h = useReactorHarness();

  it('a slow event of one key holds up neither other keys nor the rest of the run, only its own key and the checkpoint', async () => {
    const log = await h.log();
    // Offsets: 0 slow, 1 b, 2 slow (after 0), 3 c, 4 b, 5 c
    await publishKeyed(log, ['slow', 'b', 'slow', 'c', 'b', 'c']);
    const held = gate();
    const handled: number[] = [];
    const r = await h.started(
      reactor({
        name: 'parallel',
        source: pings(log),
        key: (e) => e.key,
        concurrency: 4,
        handle: async (e) => {
          if (e.n === 0) await held.promise;
          handled.push(e.n);
        },
      }),
    );
    await until(() => handled.length === 4, 'the other keys are handled');
    expect(handled).to.have.members([1, 3, 4, 5]);
    // Offset 2 waits behind 0 (same key), and the checkpoint stays before 0 (-1: nothing committed).
    await new Promise((resolve) => setTimeout(resolve, 100));
    const status = await r.status();
    held.open();
    expect(status.checkpoint).to.be.at.most(0);
    expect(status).to.deep.include({ handling: 1, lagEvents: 6 });
    await r.waitFor(5, { timeoutMs: 10_000 });
    expect(handled.indexOf(0)).to.be.below(handled.indexOf(2));
    expect((await r.status()).checkpoint).to.equal(6);
  });

  it('never runs more than `concurrency` handlers at once, nor two of one key', async () => {
    const log = await h.log();
    const keys = Array.from({ length: 400 }, (_, i) => `k${i % 13}`);
    await publishKeyed(log, keys);
    let running = 0;
    let most = 0;
    const busy = new Set<string>();
    const order = new Map<string, number[]>();
    const r = await h.started(
      reactor({
        name: 'bounded',
        source: pings(log),
        key: (e) => e.key,
        concurrency: 5,
        batchSize: 50,
        handle: async (e) => {
          expect(busy.has(e.key), `two handlers of key ${e.key} at once`).to.equal(false);
          busy.add(e.key);
          most = Math.max(most, ++running);
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
          running--;
          busy.delete(e.key);
          order.set(e.key, [...(order.get(e.key) ?? []), e.n]);
        },
      }),
    );
    await r.waitFor(399, { timeoutMs: 30_000 });
    expect(most).to.equal(5);
    for (const [key, ns] of order) expect(ns, key).to.deep.equal([...ns].sort((a, b) => a - b));
    expect([...order.values()].flat()).to.have.length(400);
  });

  it('a stop with events of several keys in flight commits only what every earlier event finished', async () => {
    const log = await h.log();
    await publishKeyed(log, ['a', 'b', 'c', 'd']);
    const held = gate();
    const handled = new Set<number>();
    const define = (hold: boolean) =>
      reactor({
        name: 'stopping',
        source: pings(log),
        key: (e) => e.key,
        concurrency: 4,
        handle: async (e, ctx) => {
          // Offset 1 ignores the abort; it is waited for and counts.
          if (hold && e.n === 1) await held.promise;
          if (hold && e.n === 2) await new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', reject));
          handled.add(e.n);
        },
      });
    const runner = h.runner();
    const r = runner.addProcess(define(true));
    await runner.start();
    await until(() => handled.has(0) && handled.has(3), 'offsets 0 and 3 are handled');
    const stopped = r.stop();
    held.open();
    await stopped;
    expect([...handled].sort()).to.deep.equal([0, 1, 3]);
    expect(await r.status()).to.deep.include({ state: 'stopped', checkpoint: 2 });
    await runner.close();

    const again = h.runner();
    const restarted = again.addProcess(define(false));
    handled.clear();
    await again.start();
    await restarted.waitFor(3, { timeoutMs: 10_000 });
    // Offset 3 is handled again: at least once, never a gap.
    expect([...handled].sort()).to.deep.equal([2, 3]);
  });
});

describe('processes: a reactor stopping with events queued', () => {
  const h = useReactorHarness();

  for (const concurrency of [1, 4]) {
    it(`starts no queued event after close, and the next start handles each from the checkpoint (concurrency ${concurrency})`, async () => {
      const log = await h.log();
      await publishKeyed(log, ['a', 'a', 'a', 'b', 'b']);
      const started: number[] = [];
      const handled: number[] = [];
      const define = (hold: boolean) =>
        reactor({
          name: 'queued',
          source: pings(log),
          key: (e) => e.key,
          concurrency,
          handle: async (e, { signal }) => {
            started.push(e.n);
            if (hold && e.n === 0)
              await new Promise<void>((_resolve, reject) =>
                signal.addEventListener('abort', () => reject(new Error('stopped'))),
              );
            handled.push(e.n);
          },
        });
      const runner = h.runner();
      runner.addProcess(define(true));
      await runner.start();
      await until(() => started.includes(0), 'offset 0 started');
      await new Promise((resolve) => setTimeout(resolve, 50));
      await runner.close();
      // Key a's later events wait behind offset 0; with one slot every later event does.
      expect(started).to.not.include.members([1, 2]);
      if (concurrency === 1) expect(started).to.deep.equal([0]);
      else expect(handled).to.have.members([3, 4]);
      const startedBefore = started.length;

      const again = h.runner();
      const r = again.addProcess(define(false));
      await again.start();
      await r.waitFor(4, { timeoutMs: 10_000 });
      // The checkpoint stayed before offset 0: every event runs again, key a's in order.
      const rerun = started.slice(startedBefore);
      expect(rerun).to.have.members([0, 1, 2, 3, 4]);
      expect(rerun.filter((n) => n <= 2)).to.deep.equal([0, 1, 2]);
    });
  }
});
