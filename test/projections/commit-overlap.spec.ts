// Behind the head the runner reads on while a commit is written and synced.
// Events read meanwhile fold on from the states of the commit in flight (not
// from the cache, which does not hold them yet), queries see only what has
// landed, and a commit that fails fails the projection, whose restart folds
// the source exactly from the last checkpoint that landed.
import { expect } from 'chai';
import { MemoryLog } from '../../src/eventstore/index.js';
import { ProjectionRunner } from '../../src/projections/index.js';
import type { Message } from '../../src/storage/types.js';
import { counterProjection, eventually, foldCounters, publishCounterEvents } from './fixtures/counter.js';
import { gatedStore } from './fixtures/gated-store.js';

const EVENTS = 60;
const options = { batchSize: 5, commit: { maxEvents: 10 } };

/** A source log counting how far it has been read. */
async function countedSource(): Promise<{ log: MemoryLog; readTo: () => number }> {
  const log = new MemoryLog();
  await publishCounterEvents(log, 0, EVENTS, { keys: 3, resetEvery: 17 });
  let readTo = 0;
  const consume = log.consume.bind(log);
  log.consume = async (offset: number, max: number) => {
    const got = await consume(offset, max);
    const last: Message | undefined = got.messages.at(-1);
    if (last) readTo = Math.max(readTo, last.offset + 1);
    return got;
  };
  return { log, readTo: () => readTo };
}

describe('projections: reading on while a commit is written', () => {
  it('folds events read during a commit on from its states, and queries see only what landed', async () => {
    const { log, readTo } = await countedSource();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The second commit (source offsets 10-19) is held until the test lets it go.
    const store = gatedStore((commit) => (commit === 2 ? held : Promise.resolve()));
    const runner = new ProjectionRunner({ store });
    try {
      const projection = runner.add(counterProjection(log), options);
      await projection.start();
      await eventually(() => store.commits === 2, 5000, 'the second commit');
      // Read on past the held commit: the next window (20-29) was read and applied meanwhile.
      await eventually(() => readTo() >= 25, 5000, 'reading past the held commit');
      expect((await projection.status()).checkpoint).to.equal(10);
      const committed = await foldCounters(log, 10);
      for (const key of ['c0', 'c1', 'c2'])
        expect(await projection.get(key, { upTo: 9 }), key).to.deep.equal(committed.get(key));
      release();
      await projection.whenRunning();
      expect((await projection.status()).checkpoint).to.equal(EVENTS);
      // Every key got events on both sides of the held commit: a fold from a stale state would differ.
      const { states } = await projection.snapshot();
      expect(states).to.deep.equal(await foldCounters(log));
      for (const [key, state] of await foldCounters(log)) expect(await projection.get(key), key).to.deep.equal(state);
    } finally {
      release();
      await runner.close();
    }
  });

  it('a commit that fails while the runner reads on fails the projection; a restart folds exactly from the last checkpoint', async () => {
    const { log } = await countedSource();
    let failing = true;
    const store = gatedStore((commit) =>
      failing && commit === 3 ? Promise.reject(new Error('disk full')) : Promise.resolve(),
    );
    const first = new ProjectionRunner({ store });
    try {
      const projection = first.add(counterProjection(log), options);
      await projection.start();
      const err = await projection.whenRunning().then(
        () => expect.fail('whenRunning resolved although a commit failed'),
        (e: unknown) => e as Error,
      );
      expect(err.message).to.match(/failed/);
      expect(projection.state).to.equal('failed');
      const { checkpoint, states } = await projection.snapshot();
      expect(checkpoint?.next).to.equal(20);
      expect(states).to.deep.equal(await foldCounters(log, 20));
    } finally {
      await first.close();
    }
    failing = false;
    const second = new ProjectionRunner({ store });
    try {
      const projection = second.add(counterProjection(log), options);
      await projection.start();
      await projection.whenRunning();
      const { checkpoint, states } = await projection.snapshot();
      expect(checkpoint?.next).to.equal(EVENTS);
      expect(states).to.deep.equal(await foldCounters(log));
    } finally {
      await second.close();
    }
  });
});
