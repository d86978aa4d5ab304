// The pump decodes a run of a batch's records before folding them (for the
// CPU caches): records that cannot be decoded or applied anywhere in a batch
// (first, last, side by side, on a batch boundary) still fail at their own
// offset, in source order, and every record is decoded exactly once.
import path from 'node:path';
import { expect } from 'chai';
import { openBlocking } from '../../src/storage/blocking.js';
import type { BlockingLog, Message } from '../../src/storage/types.js';
import { ProjectionFailedError, ProjectionRunner, logSource } from '../../src/projections/index.js';
import { caught } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';
import { applyCounter, counterProjection, decodeCounterEvent, type Counter } from './fixtures/counter.js';

const EVENTS = 2_500;
const KEYS = 37;
/** Records that are not JSON: the first two, both sides of the first batch boundary, one mid-batch, the last. */
const NOT_JSON = new Set([0, 1, 998, 999, 1000, 1700, 2499]);
/** An event the projection's apply throws on, inside a decoded run. */
const UNLUCKY = 1234;

async function sourceWithPoison(dir: string): Promise<BlockingLog> {
  const log = await openBlocking(path.join(dir, 'source'), { createDirs: true });
  const messages = [];
  for (let i = 0; i < EVENTS; i++) {
    const id = `c${(i * 7919) % KEYS}`;
    const type = i % 11 === 3 ? 'note' : 'add';
    messages.push({ key: id, value: NOT_JSON.has(i) ? '{not json' : JSON.stringify({ type, id, n: i % 97 }) });
  }
  await log.publish(messages);
  return log;
}

/** The states of the events before `end`, without the poison ones. */
function reference(end: number): Map<string, Counter> {
  const states = new Map<string, Counter>();
  for (let i = 0; i < end; i++) {
    if (NOT_JSON.has(i) || i === UNLUCKY || i % 11 === 3) continue;
    const id = `c${(i * 7919) % KEYS}`;
    const event = { type: 'add' as const, id, n: i % 97, offset: i };
    states.set(id, applyCounter(states.get(id) ?? { count: 0, sum: 0, chain: 0 }, event)!);
  }
  return states;
}

describe('projections: decoding a batch ahead of folding it', function () {
  this.timeout(60_000);
  const tempDir = useTempDirs();

  function counting(log: BlockingLog, decoded: Map<number, number>) {
    return counterProjection(log, {
      source: logSource(log, {
        decode: (m: Message) => {
          decoded.set(m.offset, (decoded.get(m.offset) ?? 0) + 1);
          return decodeCounterEvent(m);
        },
      }),
      apply: (state, event) => {
        if (event.offset === UNLUCKY) throw new Error('unlucky');
        return applyCounter(state, event);
      },
    });
  }

  it("skips every poison record at its own offset, applies the rest in order, and decodes each record once (onError: 'skip')", async () => {
    const dir = await tempDir();
    const log = await sourceWithPoison(dir);
    const runner = new ProjectionRunner({ dir: path.join(dir, 'projections') });
    try {
      const decoded = new Map<number, number>();
      const counters = runner.add(counting(log, decoded), { onError: 'skip' });
      await counters.start();
      await counters.whenRunning({ timeoutMs: 30_000 });
      const letters = await counters.deadLetters();
      expect(letters.map((l) => l.offset)).to.deep.equal([...NOT_JSON, UNLUCKY].sort((a, b) => a - b));
      expect(letters.find((l) => l.offset === UNLUCKY)).to.include({ eventType: 'add', error: 'unlucky' });
      // `chain` folds the offsets in order: any event applied twice, skipped or out of order shows.
      const { checkpoint, states } = await counters.snapshot();
      expect(checkpoint?.next).to.equal(EVENTS);
      expect(states).to.deep.equal(reference(EVENTS));
      expect(decoded.size).to.equal(EVENTS);
      expect([...decoded.values()].every((n) => n === 1)).to.equal(true);
    } finally {
      await runner.close();
      await log.close();
    }
  });

  it('stops at the first poison record of a batch whose earlier records were decoded and applied, with the checkpoint right before it', async () => {
    const dir = await tempDir();
    const log = await sourceWithPoison(dir);
    const runner = new ProjectionRunner({ dir: path.join(dir, 'projections') });
    const skipping = new ProjectionRunner({ dir: path.join(dir, 'skipping') });
    try {
      // Stops at once: the first record of the first batch is poison.
      const counters = runner.add({ ...counting(log, new Map()), name: 'stopping' });
      await counters.start();
      await caught(() => counters.whenRunning({ timeoutMs: 30_000 }));
      const first = (await counters.status()).error as ProjectionFailedError;
      expect(first).to.be.instanceOf(ProjectionFailedError).and.include({ offset: 0 });
      expect((await counters.snapshot()).checkpoint?.next ?? 0).to.equal(0);

      const decoded = new Map<number, number>();
      // Skip the JSON errors only: the apply that throws then stops the projection mid-run.
      const def = counting(log, decoded);
      const onlyJson = skipping.add(
        {
          ...def,
          name: 'only-json',
          source: logSource(log, {
            decode: (m: Message) => {
              decoded.set(m.offset, (decoded.get(m.offset) ?? 0) + 1);
              if (NOT_JSON.has(m.offset)) return { type: 'note', id: 'x', n: 0, offset: m.offset };
              return decodeCounterEvent(m);
            },
          }),
        },
        { onError: 'stop' },
      );
      await onlyJson.start();
      await caught(() => onlyJson.whenRunning({ timeoutMs: 30_000 }));
      const error = (await onlyJson.status()).error as ProjectionFailedError;
      expect(error).to.include({ offset: UNLUCKY, eventType: 'add' });
      const { checkpoint, states } = await onlyJson.snapshot();
      expect(checkpoint?.next).to.equal(UNLUCKY);
      expect(states).to.deep.equal(reference(UNLUCKY));
      // Nothing past the batch of the failure was read; nothing was decoded twice.
      expect(Math.max(...decoded.keys())).to.be.below(2000);
      expect([...decoded.values()].every((n) => n === 1)).to.equal(true);
    } finally {
      await skipping.close();
      await runner.close();
      await log.close();
    }
  });
});
