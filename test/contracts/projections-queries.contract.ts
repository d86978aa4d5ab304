// Queries: never a silently stale answer (restoring waits or fails, stopped
// fails), getMany, tombstones, the cache, and the change streams.
import { expect } from 'chai';
import { ProjectionNotReadyError, type StateChange } from '../../src/projections/index.js';
import { caught } from '../helpers/errors.js';
import type { ProjectionBackend } from './projection-backends.js';
import {
  counterProjection,
  eventually,
  foldCounters,
  publishCounterEvents,
  type Counter,
} from '../projections/fixtures/counter.js';
import { gated } from '../projections/fixtures/gated.js';

export function projectionsQueriesContract(h: ProjectionBackend): void {
  describe('queries', function () {
    this.timeout(60_000);

    it("fails a query while restoring when the caller chose 'fail' (the default), naming the state", async () => {
      const source = await h.source(2000, { keys: 20 });
      const { log, open: release } = gated(source);
      const projection = h.runner().add(counterProjection(log));
      await projection.start();
      const err = await caught(() => projection.get('c1'));
      expect(err).to.be.instanceOf(ProjectionNotReadyError);
      expect(err).to.include({ projection: 'counters', state: 'restoring' });
      expect((err as Error).message).to.match(/restoring.*whileRestoring: 'wait'/);
      expect(await caught(() => projection.getMany(['c1'], { whileRestoring: 'fail' }))).to.be.instanceOf(
        ProjectionNotReadyError,
      );
      release();
      await projection.whenRunning();
      expect(await projection.get('c1')).to.deep.equal((await foldCounters(source)).get('c1'));
    });

    it("waits while restoring when the caller chose 'wait', and answers from the caught-up state", async () => {
      const source = await h.source(3000, { keys: 20 });
      const { log, open: release } = gated(source);
      const projection = h.runner().add(counterProjection(log), { whileRestoring: 'wait' });
      await projection.start();
      let answered = false;
      const query = projection.get('c7').then((state) => ((answered = true), state));
      const many = projection.getMany(['c7', 'nope'], { whileRestoring: 'wait' });
      await new Promise((r) => setTimeout(r, 100));
      expect(answered, 'no answer before the projection caught up').to.equal(false);
      const timedOut = await caught(() => projection.get('c7', { timeoutMs: 20 }));
      expect((timedOut as Error).message).to.match(/not caught up within 20 ms/);
      release();
      const expected = (await foldCounters(source)).get('c7');
      expect(await query).to.deep.equal(expected);
      expect(await many).to.deep.equal(
        new Map([
          ['c7', expected],
          ['nope', undefined],
        ]),
      );
    });

    it('fails queries on a stopped, a failed-over or a closed projection instead of answering from a stale state', async () => {
      const source = await h.source(100, { keys: 5 });
      const runner = h.runner();
      const projection = runner.add(counterProjection(source));
      expect(await caught(() => projection.get('c1'))).to.include({ state: 'stopped' });
      await projection.start();
      await projection.whenRunning();
      await projection.stop();
      const stopped = await caught(() => projection.get('c1', { whileRestoring: 'wait' }));
      expect(stopped).to.be.instanceOf(ProjectionNotReadyError).and.include({ state: 'stopped' });
      expect((stopped as Error).message).to.match(/start it/);
      await runner.close();
      expect(await caught(() => projection.get('c1'))).to.include({ state: 'closed' });
    });

    it('deletes a key whose apply returns null (a tombstone), and starts it afresh on its next event', async () => {
      const source = await h.source(0, { keys: 1 });
      const event = (type: string, n: number) => ({ key: 'k', value: JSON.stringify({ type, id: 'k', n }) });
      await source.publish([event('add', 1), event('add', 2), event('reset', 0)]);
      const runner = h.runner();
      const projection = runner.add(counterProjection(source));
      await runner.start();
      await runner.whenRunning();
      expect(await projection.get('k')).to.equal(undefined);
      expect((await projection.snapshot()).states.has('k')).to.equal(false);
      await source.publish([event('add', 5)]);
      await eventually(async () => (await projection.get('k')) !== undefined);
      expect(await projection.get('k')).to.deep.equal({ count: 1, sum: 5, chain: 4 });
      await source.publish([event('reset', 0)]);
      await eventually(async () => (await projection.get('k')) === undefined);
      await runner.close();
      const state = await h.stateLog('counters', 1);
      expect((await state.getByKey('k')).value, 'the newest record of the key is a tombstone').to.equal(null);
    });

    it('keeps the cache within its bounds in entries or in bytes, answering correctly through evictions', async () => {
      const source = await h.source(3000, { keys: 200, resetEvery: 11 });
      const runner = h.runner();
      const byEntries = runner.add(counterProjection(source, { name: 'entries' }), { cache: { maxEntries: 16 } });
      const byBytes = runner.add(counterProjection(source, { name: 'bytes' }), { cache: { maxBytes: 2000 } });
      // No state fits in 8 bytes, and there are no tombstones (which would): nothing is cached, every read goes to the state log.
      const plain = await h.source(3000, { keys: 200 });
      const tiny = runner.add(counterProjection(plain, { name: 'tiny' }), { cache: { maxBytes: 8 } });
      await runner.start();
      await runner.whenRunning();
      const keys = Array.from({ length: 200 }, (_, i) => `c${i}`);
      for (const [projection, log] of [
        [byEntries, source],
        [byBytes, source],
        [tiny, plain],
      ] as const) {
        const expected = await foldCounters(log);
        for (let round = 0; round < 2; round++) {
          expect([...(await projection.getMany(keys)).entries()], projection.name).to.deep.equal(
            keys.map((k) => [k, expected.get(k)]),
          );
        }
      }
      const [entries, bytes] = await Promise.all([byEntries.status(), byBytes.status()]);
      expect(entries.cache.entries).to.be.within(1, 16);
      expect(bytes.cache.bytes).to.be.within(1, 2000);
      expect(bytes.cache.entries).to.be.lessThan(200);
      expect((await tiny.status()).cache.entries).to.equal(0);
    });

    it('answers queries racing with commits, and leaves no stale state in the cache', async () => {
      const source = await h.source(0, { keys: 2 });
      const projection = h.runner().add(counterProjection(source), { cache: { maxEntries: 1 } });
      await projection.start();
      await projection.whenRunning();
      let writing = true;
      const writer = (async () => {
        for (let i = 0; i < 60; i++) await publishCounterEvents(source, i * 10, 10, { keys: 2 }, 5);
        writing = false;
      })();
      while (writing) {
        await projection.getMany(['c0', 'c1', 'c0']);
        // Answers from the cache take no I/O: without a turn of the event loop the writer would never run.
        await new Promise((r) => setImmediate(r));
      }
      await writer;
      await eventually(async () => (await projection.status()).checkpoint === 600);
      const expected = await foldCounters(source);
      expect(await projection.getMany(['c0', 'c1'])).to.deep.equal(
        new Map([
          ['c0', expected.get('c0')],
          ['c1', expected.get('c1')],
        ]),
      );
    });

    it('streams committed changes, for all keys and for one', async () => {
      const source = await h.source(0, { keys: 1 });
      const projection = h.runner().add(counterProjection(source));
      await projection.start();
      await projection.whenRunning();
      const all: StateChange<Counter>[] = [];
      const one: StateChange<Counter>[] = [];
      const subs = [
        projection.changes().subscribe((c) => all.push(c)),
        projection.changes('b').subscribe((c) => one.push(c)),
      ];
      h.defer(async () => subs.forEach((s) => s.unsubscribe()));
      const event = (id: string, type: string) => ({ key: id, value: JSON.stringify({ type, id, n: 1 }) });
      await source.publish([event('a', 'add'), event('b', 'add')]);
      await eventually(() => all.length === 2);
      await source.publish([event('b', 'reset')]);
      await eventually(() => all.length === 3);
      expect(all).to.deep.equal([
        { kind: 'set', key: 'a', state: { count: 1, sum: 1, chain: 1 }, offset: 0 },
        { kind: 'set', key: 'b', state: { count: 1, sum: 1, chain: 2 }, offset: 1 },
        { kind: 'delete', key: 'b', offset: 2 },
      ]);
      expect(one).to.deep.equal(all.slice(1));
    });
  });
}
