import { expect } from 'chai';
import { firstValueFrom, from, lastValueFrom, toArray, type Subscription } from 'rxjs';
import { fromTypedLog, fromTypedLogBatches, fromTypedLogWithStatus, toLog } from '../../src/streams/index.js';
import { jsonCodec, stringCodec } from '../../src/storage/codecs.js';
import { openTypedBlocking, type TBlockingLog, type TMessage } from '../../src/storage/typed.js';
import { range, removeDir, takeN, tempDir, until } from './helpers.js';

interface Event {
  user: string;
  n: number;
}
type Typed = TBlockingLog<string, Event>;
const event = (i: number): Partial<TMessage<string, Event>> => ({
  key: `u${i % 2}`,
  value: { user: `u${i % 2}`, n: i },
});

describe('streams: typed logs', () => {
  let dir: string;
  let log: Typed;
  const subs: Subscription[] = [];
  beforeEach(async () => {
    dir = tempDir();
    log = await openTypedBlocking(dir, { createDirs: true, keyIndex: true }, stringCodec, jsonCodec<Event>());
  });
  afterEach(async () => {
    subs.splice(0).forEach((s) => s.unsubscribe());
    await log.close().catch(() => undefined);
    removeDir(dir);
  });

  it('fromTypedLog emits decoded messages, catching up then live', async () => {
    await log.publish(range(0, 5).map(event));
    const got: Array<TMessage<string, Event>> = [];
    subs.push(fromTypedLog(log, { batchSize: 2 }).subscribe((m) => got.push(m)));
    await until(() => got.length === 5);
    await log.publish(range(5, 8).map(event));
    await until(() => got.length === 8);
    expect(got.map((m) => m.value.n)).to.deep.equal(range(0, 8));
    expect(got.map((m) => m.key)).to.deep.equal(range(0, 8).map((i) => `u${i % 2}`));
    expect(got.map((m) => m.offset)).to.deep.equal(range(0, 8));
  });

  it('filters a typed log by a typed key', async () => {
    await log.publish(range(0, 10).map(event));
    const odd = await takeN(fromTypedLog(log, { key: 'u1', batchSize: 3 }), 5);
    expect(odd.map((m) => m.value.n)).to.deep.equal([1, 3, 5, 7, 9]);
  });

  it('fromTypedLogBatches and fromTypedLogWithStatus report caught-up and resume points', async () => {
    await log.publish(range(0, 7).map(event));
    const batches = await takeN(fromTypedLogBatches(log, { batchSize: 4 }), 2);
    expect(batches.map((b) => [b.messages.length, b.nextOffset, b.caughtUp])).to.deep.equal([
      [4, 4, false],
      [3, 7, true],
    ]);
    const events = await takeN(fromTypedLogWithStatus(log, { offset: 5 }), 3);
    expect(events).to.have.length(3);
    expect(events[0]).to.include({ kind: 'message', nextOffset: 6 });
    expect(events[2]).to.deep.equal({ kind: 'caught-up', nextOffset: 7 });
  });

  it('toLog publishes typed messages and emits their offsets', async () => {
    const offsets = await lastValueFrom(from(range(0, 25).map(event)).pipe(toLog(log, { maxCount: 10 }), toArray()));
    expect(offsets).to.deep.equal(range(0, 25));
    const back = await firstValueFrom(fromTypedLog(log, { live: false }).pipe(toArray()));
    expect(back.map((m) => m.value)).to.deep.equal(range(0, 25).map((i) => event(i).value));
  });
});
