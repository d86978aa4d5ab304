// examples/subscribers: consumers at different speeds on one live log.
import { expect } from 'chai';
import path from 'node:path';
import { openBlocking } from '../../src/index.js';
import { openSubscription } from '../../src/streams/index.js';
import { run, type SubscribersResult } from '../../examples/subscribers/run.js';
import { capture, useTempDir } from './helpers.js';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function expectAllSeen(result: SubscribersResult): void {
  for (const consumer of result.consumers) {
    expect(consumer, consumer.name).to.include({ inOrder: true, missing: 0, duplicates: 0 });
    expect(consumer.offsets, consumer.name).to.deep.equal(consumer.expected);
  }
}

describe('examples/subscribers', () => {
  const dataDir = useTempDir('subscribers');

  it('each consumer sees every message in order; the resumed one without duplicate or gap', async () => {
    const out = capture();
    const result = await run({ dataDir: dataDir(), print: out.print });
    expect(result).to.include({ first: 0, last: 299 });
    expectAllSeen(result);
    const [fast, slow, byKey, resumed] = result.consumers;
    expect(fast.offsets).to.deep.equal(range(0, 299));
    expect(slow.offsets).to.deep.equal(range(0, 299));
    // sensor-b publishes readings 1, 4, 7, ...
    expect(byKey.key).to.equal('sensor-b');
    expect(byKey.offsets).to.deep.equal(range(0, 99).map((i) => 3 * i + 1));
    expect(resumed.offsets).to.deep.equal(range(0, 299));
    expect(result.resumable).to.deep.equal({ startedAt: 0, crashedAfter: 120, resumedAt: 120 });
    expect(out.text()).to.include('restarted from its stored offset 120');
    expect(out.lines.filter((l) => /^ {2}(fast|slow|by-key|resumable) .* yes +0 +0$/.test(l))).to.have.length(4);
  });

  it('a second run continues the log, and the resumable consumer continues from its stored offset', async () => {
    await run({ dataDir: dataDir(), print: () => undefined, count: 60 });
    const second = await run({ dataDir: dataDir(), print: () => undefined, count: 60 });
    expect(second).to.include({ first: 60, last: 119 });
    expectAllSeen(second);
    expect(second.resumable).to.deep.equal({ startedAt: 60, crashedAfter: 24, resumedAt: 84 });
    const reset = await run({ dataDir: dataDir(), reset: true, print: () => undefined, count: 30 });
    expect(reset).to.include({ first: 0, last: 29 });
    expect(reset.resumable.startedAt).to.equal(0);
  });

  it('after a process died part way, the next run resumes where it stopped, before the new messages', async () => {
    await run({ dataDir: dataDir(), print: () => undefined, count: 60 });
    // As if the consumer had died after handling offset 36 of the first run.
    const log = await openBlocking(path.join(dataDir(), 'readings'), { keyIndex: true });
    const offsets = await openSubscription(log, {
      name: 'resumable',
      offsets: path.join(dataDir(), 'offsets'),
      start: { offset: 37 },
      reset: true,
    });
    await offsets.close();
    await log.close();
    const second = await run({ dataDir: dataDir(), print: () => undefined, count: 60 });
    expectAllSeen(second);
    const resumed = second.consumers.find((c) => c.name === 'resumable')!;
    expect(resumed.offsets).to.deep.equal(range(37, 119));
    expect(second.resumable).to.include({ startedAt: 37, resumedAt: 37 + 24 });
  });
});
