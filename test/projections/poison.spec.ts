// The dead-letter log on its own: a failure replayed after a crash is
// recorded once. (The poison-event behaviours of a running projection are
// in test/contracts/projections-poison.contract.ts, run on every backend.)
import { expect } from 'chai';
import { DeadLetters } from '../../src/projections/dead-letters.js';
import { MemoryLog } from '../../src/eventstore/index.js';

describe('projections: dead letters', function () {
  it('records a failure once even when the event is replayed after a crash before its commit', async () => {
    const log = new MemoryLog();
    const first = await DeadLetters.open(log, 'p');
    await first.record(5, 'add', new Error('bad'));
    await first.record(5, 'add', new Error('bad'));
    // What a restart sees: the commit after offset 5 never landed, so 5 fails again.
    const again = await DeadLetters.open(log, 'p');
    await again.record(5, 'add', new Error('bad'));
    await again.record(7, undefined, 'worse');
    expect((await again.list()).map((l) => [l.offset, l.eventType, l.error])).to.deep.equal([
      [5, 'add', 'bad'],
      [7, undefined, 'worse'],
    ]);
    expect(again.count).to.equal(2);
  });
});
