import { expect } from 'chai';
import { firstValueFrom, toArray, type Subscription } from 'rxjs';
import { fromLog, fromLogBatches, fromLogWithStatus, type StreamEvent } from '../../src/streams/index.js';
import { OffsetNewest, type BlockingLog, type Message } from '../../src/storage/types.js';
import { messages, range, takeN, tempLog, until, valueOf } from './helpers.js';

describe('streams: fromLog', () => {
  let log: BlockingLog;
  let cleanup: () => Promise<void>;
  const subs: Subscription[] = [];
  beforeEach(async () => ({ log, cleanup } = await tempLog()));
  afterEach(async () => {
    subs.splice(0).forEach((s) => s.unsubscribe());
    await cleanup();
  });

  /** Subscribes and gathers what arrives; unsubscribed after each test. */
  function collect<T>(source: import('rxjs').Observable<T>): T[] {
    const got: T[] = [];
    subs.push(source.subscribe((v) => got.push(v)));
    return got;
  }

  it('catches up on what is stored, then follows new messages live', async () => {
    await log.publish(messages(0, 25));
    const got = collect(fromLog(log, { batchSize: 10 }));
    await until(() => got.length === 25);
    await log.publish(messages(25, 3));
    await log.publish(messages(28, 2));
    await until(() => got.length === 30);
    expect(got.map((m) => m.offset)).to.deep.equal(range(0, 30));
    expect(got.map(valueOf)).to.deep.equal(range(0, 30).map((i) => `v${i}`));
  });

  it('reads in batches of at most batchSize, each with the offset to resume from', async () => {
    await log.publish(messages(0, 25));
    const batches = await takeN(fromLogBatches(log, { batchSize: 10 }), 3);
    expect(batches.map((b) => b.messages.length)).to.deep.equal([10, 10, 5]);
    expect(batches.map((b) => b.nextOffset)).to.deep.equal([10, 20, 25]);
    expect(batches.map((b) => b.caughtUp)).to.deep.equal([false, false, true]);
  });

  it('starts at OffsetNewest or at a given offset', async () => {
    await log.publish(messages(0, 10));
    const newest = collect(fromLog(log, { offset: OffsetNewest }));
    const from7 = collect(fromLog(log, { offset: 7 }));
    await until(() => from7.length === 3);
    await log.publish(messages(10, 2));
    await until(() => newest.length === 2 && from7.length === 5);
    expect(newest.map((m) => m.offset)).to.deep.equal([10, 11]);
    expect(from7.map((m) => m.offset)).to.deep.equal(range(7, 12));
  });

  it('with live: false, completes once caught up', async () => {
    await log.publish(messages(0, 12));
    const all = await firstValueFrom(fromLog(log, { batchSize: 5, live: false }).pipe(toArray()));
    expect(all.map((m) => m.offset)).to.deep.equal(range(0, 12));
    const none = await firstValueFrom(fromLog(log, { offset: OffsetNewest, live: false }).pipe(toArray()));
    expect(none).to.deep.equal([]);
  });

  it('filters by key, in the catch-up and in the live tail', async () => {
    const keyOf = (i: number): string => (i % 3 === 0 ? 'a' : 'b');
    await log.publish(messages(0, 20, keyOf));
    const got = collect(fromLog(log, { key: 'a', batchSize: 2 }));
    const expected = range(0, 30).filter((i) => keyOf(i) === 'a');
    await until(() => got.length === expected.filter((i) => i < 20).length);
    await log.publish(messages(20, 10, keyOf));
    await until(() => got.length === expected.length);
    expect(got.map((m) => m.offset)).to.deep.equal(expected);
    expect(got.every((m) => m.key?.toString() === 'a')).to.equal(true);
    expect(got.map(valueOf)).to.deep.equal(expected.map((i) => `v${i}`));
  });

  it('signals caught-up once reached, and again after falling behind', async () => {
    await log.publish(messages(0, 25));
    const events = collect(fromLogWithStatus(log, { batchSize: 10 }));
    const ups = (): Array<StreamEvent<Message>> => events.filter((e) => e.kind === 'caught-up');
    await until(() => ups().length === 1);
    expect(events.length).to.equal(26);
    expect(events[25]).to.deep.equal({ kind: 'caught-up', nextOffset: 25 });
    // More than one batch at once puts the stream behind for a while.
    await log.publish(messages(25, 35));
    await until(() => ups().length === 2);
    expect(events.filter((e) => e.kind === 'message').length).to.equal(60);
    expect(events.at(-1)).to.deep.equal({ kind: 'caught-up', nextOffset: 60 });
    // A small publish is read in one batch: never behind, so no new signal.
    await log.publish(messages(60, 3));
    await until(() => events.length === 65);
    expect(ups().length).to.equal(2);
  });

  it('signals caught-up at once on an empty log', async () => {
    const [batch] = await takeN(fromLogBatches(log), 1);
    expect(batch).to.deep.equal({ messages: [], nextOffset: 0, caughtUp: true });
  });

  it('resumes from the last delivered offset + 1 with no duplicate and no gap', async () => {
    await log.publish(messages(0, 40));
    const seen: number[] = [];
    let resumeAt = 0;
    // Stop and restart at odd points; some parts wait for messages published meanwhile.
    for (const [n, extra] of [[7, 0], [13, 5], [1, 0], [29, 5]] as const) {
      const taking = takeN(fromLog(log, { offset: resumeAt, batchSize: 4 }), n);
      if (extra > 0) await log.publish(messages(await log.nextOffset(), extra));
      const part = await taking;
      seen.push(...part.map((m) => m.offset));
      resumeAt = part.at(-1)!.offset + 1;
    }
    expect(seen).to.deep.equal(range(0, 50));
  });

  it('resumes a key-filtered stream from the nextOffset of its events', async () => {
    const keyOf = (i: number): string => (i % 4 === 0 ? 'k' : 'x');
    await log.publish(messages(0, 40, keyOf));
    const first = await takeN(fromLogWithStatus(log, { key: 'k', batchSize: 3 }), 4);
    const last = first.at(-1)!;
    const rest = await takeN(fromLog(log, { key: 'k', offset: last.nextOffset }), 6);
    const offsets = [...first.map((e) => (e.kind === 'message' ? e.message.offset : -1)), ...rest.map((m) => m.offset)];
    expect(offsets).to.deep.equal(range(0, 40).filter((i) => i % 4 === 0));
  });

  it('serves many subscribers, each from its own offset', async () => {
    await log.publish(messages(0, 50));
    const starts = [0, 10, 25, 49, OffsetNewest];
    const streams = starts.map((offset) => collect(fromLog(log, { offset, batchSize: 7 })));
    await until(() => streams[0]!.length === 50);
    const dropped = subs[2]!;
    dropped.unsubscribe();
    await log.publish(messages(50, 5));
    await until(() => streams.every((s, i) => i === 2 || s.at(-1)?.offset === 54));
    expect(streams[0]!.map((m) => m.offset)).to.deep.equal(range(0, 55));
    expect(streams[1]!.map((m) => m.offset)).to.deep.equal(range(10, 55));
    expect(streams[2]!.map((m) => m.offset)).to.deep.equal(range(25, 50));
    expect(streams[3]!.map((m) => m.offset)).to.deep.equal(range(49, 55));
    expect(streams[4]!.map((m) => m.offset)).to.deep.equal(range(50, 55));
  });
});
