import { expect } from 'chai';
import { finalize, firstValueFrom, from, lastValueFrom, Subject, throwError, concat, toArray } from 'rxjs';
import { fromLog, toLog } from '../../src/streams/index.js';
import { LogError } from '../../src/storage/errors.js';
import type { BlockingLog, PublishMessage } from '../../src/storage/types.js';
import { errorOf, messages, override, range, sleep, tempLog, until, valueOf } from './helpers.js';

describe('streams: toLog', () => {
  let log: BlockingLog;
  let cleanup: () => Promise<void>;
  let sizes: number[];
  let spied: BlockingLog;
  beforeEach(async () => {
    ({ log, cleanup } = await tempLog());
    sizes = [];
    spied = override(log, {
      publish: (batch: PublishMessage[]) => (sizes.push(batch.length), log.publish(batch)),
    });
  });
  afterEach(() => cleanup());

  const stored = async (): Promise<string[]> =>
    (await firstValueFrom(fromLog(log, { live: false }).pipe(toArray()))).map(valueOf);

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
    const failed = errorOf(source.pipe(finalize(() => (stopped = true)), toLog(failing, { maxCount: 2 })));
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
    const err = await errorOf(concat(from(messages(0, 2)), throwError(() => boom)).pipe(toLog(spied)));
    expect(err).to.equal(boom);
  });
});
