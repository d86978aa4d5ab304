// The behaviours of test/streams/*.spec.ts (fromLog, toLog, lifecycle) as one
// suite over any backend's BlockingLog.
import { expect } from 'chai';
import { firstValueFrom, from, lastValueFrom, type Observable, Subject, type Subscription, toArray } from 'rxjs';
import { LogError } from '../../src/storage/errors.js';
import { OffsetNewest, type BlockingLog, type Message, type PublishMessage } from '../../src/storage/types.js';
import { fromLog, fromLogBatches, fromLogWithStatus, toLog, type StreamEvent } from '../../src/streams/index.js';
import { errorOf, messages, override, range, sleep, takeN, until, valueOf } from '../streams/helpers.js';
import type { Backend } from './backends.js';

export function streamsSuite(backend: Backend): void {
  describe('streams', function () {
    let log: BlockingLog;
    const subs: Subscription[] = [];
    beforeEach(async () => {
      log = await backend.fresh();
    });
    afterEach(() => {
      subs.splice(0).forEach((s) => s.unsubscribe());
    });

    function collect<T>(source: Observable<T>): T[] {
      const got: T[] = [];
      subs.push(source.subscribe((v) => got.push(v)));
      return got;
    }

    it('fromLog catches up on what is stored, then follows new messages live', async () => {
      await log.publish(messages(0, 25));
      const got = collect(fromLog(log, { batchSize: 10 }));
      await until(() => got.length === 25);
      await log.publish(messages(25, 3));
      await log.publish(messages(28, 2));
      await until(() => got.length === 30);
      expect(got.map((m) => m.offset)).to.deep.equal(range(0, 30));
      expect(got.map(valueOf)).to.deep.equal(range(0, 30).map((i) => `v${i}`));
    });

    it('fromLogBatches reads at most batchSize at a time, each with the offset to resume from', async () => {
      await log.publish(messages(0, 25));
      const batches = await takeN(fromLogBatches(log, { batchSize: 10 }), 3);
      expect(batches.map((b) => b.messages.length)).to.deep.equal([10, 10, 5]);
      expect(batches.map((b) => b.nextOffset)).to.deep.equal([10, 20, 25]);
      expect(batches.map((b) => b.caughtUp)).to.deep.equal([false, false, true]);
    });

    it('starts at OffsetNewest or at a given offset; live: false completes once caught up', async () => {
      await log.publish(messages(0, 10));
      const newest = collect(fromLog(log, { offset: OffsetNewest }));
      const from7 = collect(fromLog(log, { offset: 7 }));
      await until(() => from7.length === 3);
      await log.publish(messages(10, 2));
      await until(() => newest.length === 2 && from7.length === 5);
      expect(newest.map((m) => m.offset)).to.deep.equal([10, 11]);
      expect(from7.map((m) => m.offset)).to.deep.equal(range(7, 12));
      const all = await firstValueFrom(fromLog(log, { batchSize: 5, live: false }).pipe(toArray()));
      expect(all.map((m) => m.offset)).to.deep.equal(range(0, 12));
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
    });

    it('signals caught-up once reached, and again after falling behind', async () => {
      await log.publish(messages(0, 25));
      const events = collect(fromLogWithStatus(log, { batchSize: 10 }));
      const ups = (): Array<StreamEvent<Message>> => events.filter((e) => e.kind === 'caught-up');
      await until(() => ups().length === 1);
      expect(events[25]).to.deep.equal({ kind: 'caught-up', nextOffset: 25 });
      await log.publish(messages(25, 35));
      await until(() => ups().length === 2);
      expect(events.filter((e) => e.kind === 'message').length).to.equal(60);
      expect(events.at(-1)).to.deep.equal({ kind: 'caught-up', nextOffset: 60 });
    });

    it('resumes from the last delivered offset + 1 with no duplicate and no gap', async () => {
      await log.publish(messages(0, 40));
      const seen: number[] = [];
      let resumeAt = 0;
      for (const [n, extra] of [[7, 0], [13, 5], [1, 0], [29, 5]] as const) {
        const taking = takeN(fromLog(log, { offset: resumeAt, batchSize: 4 }), n);
        if (extra > 0) await log.publish(messages(await log.nextOffset(), extra));
        const part = await taking;
        seen.push(...part.map((m) => m.offset));
        resumeAt = part.at(-1)!.offset + 1;
      }
      expect(seen).to.deep.equal(range(0, 50));
    });

    it('serves many subscribers, each from its own offset', async () => {
      await log.publish(messages(0, 50));
      const starts = [0, 10, 25, 49, OffsetNewest];
      const streams = starts.map((offset) => collect(fromLog(log, { offset, batchSize: 7 })));
      await until(() => streams[0]!.length === 50);
      await log.publish(messages(50, 5));
      await until(() => streams.every((s) => s.at(-1)?.offset === 54));
      expect(streams[1]!.map((m) => m.offset)).to.deep.equal(range(10, 55));
      expect(streams[4]!.map((m) => m.offset)).to.deep.equal(range(50, 55));
    });

    it('toLog publishes in batches of maxCount and emits every offset in order', async () => {
      const sizes: number[] = [];
      const spied = override(log, { publish: (batch: PublishMessage[]) => (sizes.push(batch.length), log.publish(batch)) });
      const offsets = await lastValueFrom(from(messages(0, 2500)).pipe(toLog(spied, { maxCount: 1000, maxWait: 60000 }), toArray()));
      expect(sizes).to.deep.equal([1000, 1000, 500]);
      expect(offsets).to.deep.equal(range(0, 2500));
      const stored = await firstValueFrom(fromLog(log, { live: false }).pipe(toArray()));
      expect(stored.map(valueOf)).to.deep.equal(range(0, 2500).map((i) => `v${i}`));
    });

    it('toLog publishes what is buffered once maxWait has passed', async () => {
      const source = new Subject<PublishMessage>();
      const offsets: number[] = [];
      source.pipe(toLog(log, { maxCount: 100, maxWait: 20 })).subscribe((o) => offsets.push(o));
      messages(0, 3).forEach((m) => source.next(m));
      await until(() => offsets.length === 3);
      expect(offsets).to.deep.equal([0, 1, 2]);
      source.complete();
    });

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
      sub.unsubscribe();
      expect(waits[0]!.signal.aborted).to.equal(true);
      const outcome = await Promise.race([waits[0]!.settled, sleep(1000).then(() => 'still waiting')]);
      expect((outcome as LogError).code).to.equal('ERR_ABORTED');
      await log.publish(messages(3, 2));
      await sleep(50);
      expect(got).to.deep.equal([0, 1, 2]);
    });

    it('closing the log gives every subscriber ERR_CLOSED; starting past the end is ERR_INVALID_OFFSET', async () => {
      await log.publish(messages(0, 5));
      const err = await errorOf(fromLog(log, { offset: 7 }));
      expect(err.code).to.equal('ERR_INVALID_OFFSET');
      const got: number[] = [];
      const waiting = errorOf(fromLogBatches(log));
      const following = errorOf(fromLog(log, { handle: (m) => void got.push(m.offset) }));
      await until(() => got.length === 5);
      await sleep(20);
      await log.close();
      for (const e of await Promise.all([waiting, following])) {
        expect(e).to.be.instanceOf(LogError);
        expect(e.code).to.equal('ERR_CLOSED');
      }
    });
  });
}
