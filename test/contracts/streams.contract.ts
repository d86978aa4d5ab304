// The streams (fromLog, toLog and their lifecycle) over any backend's
// BlockingLog. What stays in test/streams: typed logs (opened on a
// directory) and bounded memory under a slow subscriber.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  concat,
  finalize,
  firstValueFrom,
  from,
  lastValueFrom,
  type Observable,
  Subject,
  type Subscription,
  throwError,
  toArray,
} from 'rxjs';
import { LogError } from '../../src/storage/errors.js';
import { OffsetNewest, type BlockingLog, type Message, type PublishMessage } from '../../src/storage/types.js';
import { fromLog, fromLogBatches, fromLogWithStatus, toLog, type StreamEvent } from '../../src/streams/index.js';
import { errorOf, messages, override, range, sleep, takeN, until, valueOf } from '../streams/helpers.js';
import type { Backend } from './backends.js';

const unsubscribeChild = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../streams/fixtures/unsubscribe-child.js',
);

export function streamsContract(backend: Backend): void {
  describe('streams', function () {
    let log: BlockingLog;
    const subs: Subscription[] = [];
    beforeEach(async () => {
      log = await backend.fresh();
    });
    afterEach(() => {
      subs.splice(0).forEach((s) => s.unsubscribe());
    });

    /** Subscribes and gathers what arrives; unsubscribed after each test. */
    function collect<T>(source: Observable<T>): T[] {
      const got: T[] = [];
      subs.push(source.subscribe((v) => got.push(v)));
      return got;
    }

    const stored = async (): Promise<string[]> =>
      (await firstValueFrom(fromLog(log, { live: false }).pipe(toArray()))).map(valueOf);

    describe('fromLog', function () {
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

      it('fromLogBatches reads at most batchSize at a time, each with the offset to resume from', async () => {
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
        // A small publish is read in less than a batch: never behind, so no new signal.
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
        for (const [n, extra] of [
          [7, 0],
          [13, 5],
          [1, 0],
          [29, 5],
        ] as const) {
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
        const offsets = [
          ...first.map((e) => (e.kind === 'message' ? e.message.offset : -1)),
          ...rest.map((m) => m.offset),
        ];
        expect(offsets).to.deep.equal(range(0, 40).filter((i) => i % 4 === 0));
      });

      it('serves many subscribers, each from its own offset; one leaving stops only its own', async () => {
        await log.publish(messages(0, 50));
        const starts = [0, 10, 25, 49, OffsetNewest];
        const streams = starts.map((offset) => collect(fromLog(log, { offset, batchSize: 7 })));
        await until(() => streams[0]!.length === 50);
        subs[2]!.unsubscribe();
        await log.publish(messages(50, 5));
        await until(() => streams.every((s, i) => i === 2 || s.at(-1)?.offset === 54));
        expect(streams[0]!.map((m) => m.offset)).to.deep.equal(range(0, 55));
        expect(streams[1]!.map((m) => m.offset)).to.deep.equal(range(10, 55));
        expect(streams[2]!.map((m) => m.offset)).to.deep.equal(range(25, 50));
        expect(streams[3]!.map((m) => m.offset)).to.deep.equal(range(49, 55));
        expect(streams[4]!.map((m) => m.offset)).to.deep.equal(range(50, 55));
      });
    });

    describe('toLog', function () {
      let sizes: number[];
      let spied: BlockingLog;
      beforeEach(() => {
        sizes = [];
        spied = override(log, { publish: (batch: PublishMessage[]) => (sizes.push(batch.length), log.publish(batch)) });
      });

      it('publishes in batches of maxCount, emits every offset in order, flushes on complete', async () => {
        const offsets = await lastValueFrom(
          from(messages(0, 2500)).pipe(toLog(spied, { maxCount: 1000, maxWait: 60000 }), toArray()),
        );
        expect(sizes).to.deep.equal([1000, 1000, 500]);
        expect(offsets).to.deep.equal(range(0, 2500));
        expect(await stored()).to.deep.equal(range(0, 2500).map((i) => `v${i}`));
      });

      it('publishes what is buffered once maxWait has passed', async () => {
        const source = new Subject<PublishMessage>();
        const offsets: number[] = [];
        let completed = false;
        source.pipe(toLog(spied, { maxCount: 100, maxWait: 20 })).subscribe({
          next: (o) => offsets.push(o),
          complete: () => (completed = true),
        });
        messages(0, 3).forEach((m) => source.next(m));
        expect(sizes).to.deep.equal([]);
        await until(() => offsets.length === 3);
        expect(sizes).to.deep.equal([3]);
        messages(3, 2).forEach((m) => source.next(m));
        source.complete();
        await until(() => completed);
        expect(sizes).to.deep.equal([3, 2]);
        expect(offsets).to.deep.equal([0, 1, 2, 3, 4]);
      });

      it('publishes one batch at a time, in the source order, when publishes are slow', async () => {
        let running = 0;
        let maxRunning = 0;
        const slow = override(log, {
          publish: async (batch: PublishMessage[]) => {
            maxRunning = Math.max(maxRunning, ++running);
            await sleep(Math.random() * 10);
            running--;
            return log.publish(batch);
          },
        });
        const source = new Subject<PublishMessage>();
        const done = lastValueFrom(source.pipe(toLog(slow, { maxCount: 7, maxWait: 1 }), toArray()));
        for (let i = 0; i < 100; i += 10) {
          messages(i, 10).forEach((m) => source.next(m));
          await sleep(2);
        }
        source.complete();
        expect(await done).to.deep.equal(range(0, 100));
        expect(maxRunning).to.equal(1);
        expect(await stored()).to.deep.equal(range(0, 100).map((i) => `v${i}`));
      });

      it('fails with the log error, unchanged, and stops the source', async () => {
        const readonly = new LogError('ERR_READONLY', 'the log is readonly');
        let stopped = false;
        const failing = override(log, { publish: () => Promise.reject(readonly) });
        const source = new Subject<PublishMessage>();
        const failed = errorOf(
          source.pipe(
            finalize(() => (stopped = true)),
            toLog(failing, { maxCount: 2 }),
          ),
        );
        source.next({ value: 'a' });
        source.next({ value: 'b' });
        expect(await failed).to.equal(readonly);
        expect(stopped).to.equal(true);
      });

      it('fails with ERR_CLOSED when the log is closed', async () => {
        await log.close();
        const err = await errorOf(from(messages(0, 3)).pipe(toLog(log)));
        expect(err).to.be.instanceOf(LogError);
        expect(err.code).to.equal('ERR_CLOSED');
      });

      it('passes a source error on', async () => {
        const boom = new Error('source failed');
        const err = await errorOf(
          concat(
            from(messages(0, 2)),
            throwError(() => boom),
          ).pipe(toLog(spied)),
        );
        expect(err).to.equal(boom);
      });
    });

    describe('lifecycle and errors', function () {
      it('a process that unsubscribes mid-wait and closes the log exits by itself, promptly', async function () {
        this.timeout(20_000);
        const place = await backend.place();
        const started = Date.now();
        const child = spawn(process.execPath, [unsubscribeChild, JSON.stringify(place.address)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const code = await new Promise<number | null | 'hung'>((resolve) => {
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            resolve('hung');
          }, 8000);
          child.on('exit', (c) => {
            clearTimeout(timer);
            resolve(c);
          });
        });
        expect(code, out).to.equal(0);
        expect(out).to.contain('received 3; wait aborted: true; closed');
        expect(Date.now() - started).to.be.below(8000);
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
        expect(waits[0]!.signal.aborted).to.equal(false);
        sub.unsubscribe();
        expect(waits[0]!.signal.aborted).to.equal(true);
        const outcome = await Promise.race([waits[0]!.settled, sleep(1000).then(() => 'still waiting')]);
        expect(outcome).to.be.instanceOf(LogError);
        expect((outcome as LogError).code).to.equal('ERR_ABORTED');
        // Nothing read after the unsubscribe reaches the old subscriber.
        await log.publish(messages(3, 2));
        await sleep(50);
        expect(got).to.deep.equal([0, 1, 2]);
      });

      it('aborting options.signal ends the stream with ERR_ABORTED and cancels the wait', async () => {
        await log.publish(messages(0, 2));
        const controller = new AbortController();
        let signal: AbortSignal | undefined;
        const spied = override(log, {
          consumeBlocking: (o: number, n: number, s: AbortSignal) => ((signal = s), log.consumeBlocking(o, n, s)),
        });
        const failed = errorOf(fromLog(spied, { signal: controller.signal }));
        await until(() => signal !== undefined);
        controller.abort();
        const err = await failed;
        expect(err).to.be.instanceOf(LogError);
        expect(err.code).to.equal('ERR_ABORTED');
        expect(signal!.aborted).to.equal(true);
      });

      it('an already aborted signal fails the stream before any read', async () => {
        let reads = 0;
        const spied = override(log, { consume: () => (reads++, log.consume(0, 1)) });
        const err = await errorOf(fromLog(spied, { signal: AbortSignal.abort() }));
        expect(err.code).to.equal('ERR_ABORTED');
        expect(reads).to.equal(0);
      });

      it('closing the log while subscribed gives every subscriber ERR_CLOSED', async () => {
        await log.publish(messages(0, 5));
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

      it("starting after the end of the log fails with the log's ERR_INVALID_OFFSET", async () => {
        await log.publish(messages(0, 2));
        const err = await errorOf(fromLog(log, { offset: 5 }));
        expect(err).to.be.instanceOf(LogError);
        expect(err.code).to.equal('ERR_INVALID_OFFSET');
      });

      it('a log error reaches the subscriber unchanged', async () => {
        await log.publish(messages(0, 5));
        const corrupted = new LogError('ERR_CORRUPTED', 'bad crc at offset 3');
        const spied = override(log, { consume: () => Promise.reject(corrupted) });
        const err = await errorOf(fromLog(spied));
        expect(err).to.equal(corrupted);
      });

      it('an error thrown by handle ends the stream with that error', async () => {
        await log.publish(messages(0, 5));
        const boom = new Error('handler failed');
        const seen: number[] = [];
        const source = fromLog(log, {
          handle: (m) => {
            if (m.offset === 2) throw boom;
            seen.push(m.offset);
          },
        });
        const err = await errorOf(source);
        expect(err).to.equal(boom);
        expect(seen).to.deep.equal([0, 1]);
      });

      it('rejects bad options with ERR_INVALID_ARGUMENT naming the option', () => {
        const cases: Array<[() => unknown, string]> = [
          [() => fromLog(log, { offset: -3 }), 'offset'],
          [() => fromLog(log, { offset: 1.5 }), 'offset'],
          [() => fromLog(log, { offset: '0' as unknown as number }), 'offset'],
          [() => fromLog(log, { batchSize: 0 }), 'batchSize'],
          [() => fromLogBatches(log, { batchSize: 2.5 }), 'batchSize'],
          [() => fromLog(log, { key: 7 as unknown as string }), 'key'],
          [() => fromLog(log, { live: 'yes' as unknown as boolean }), 'live'],
          [() => fromLog(log, { handle: 1 as unknown as () => void }), 'handle'],
          [() => toLog(log, { maxCount: 0 }), 'maxCount'],
          [() => toLog(log, { maxWait: -1 }), 'maxWait'],
        ];
        for (const [call, option] of cases) {
          let caught: unknown;
          try {
            call();
          } catch (err) {
            caught = err;
          }
          expect(caught, option).to.be.instanceOf(LogError);
          expect((caught as LogError).code).to.equal('ERR_INVALID_ARGUMENT');
          expect((caught as LogError).message).to.contain(`"${option}"`);
        }
      });
    });
  });
}
