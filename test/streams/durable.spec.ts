// Durable subscriptions (klevdb/streams openSubscription) in one process:
// resume, the commit guarantee, start positions, the lock, bad input.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { lastValueFrom, take, toArray } from 'rxjs';
import { open, openBlocking, type BlockingLog, type Message } from '../../src/index.js';
import { openSubscription, type SubscriptionOptions, type SkippedInfo } from '../../src/streams/index.js';
import { expectLogError } from '../helpers/errors.js';
import { messages, range, removeDir, tempDir } from './helpers.js';

const offsetsOf = (ms: Message[]): number[] => ms.map((m) => m.offset);

describe('streams: durable subscriptions', () => {
  let dir: string;
  let log: BlockingLog;
  let offsets: string;
  const sub = (options: Partial<SubscriptionOptions> = {}) =>
    openSubscription(log, { name: 'mailer', offsets, ...options });
  /** Runs once over what the log holds (live: false), collecting offsets. */
  const drain = async (options: Partial<SubscriptionOptions> = {}): Promise<number[]> => {
    const s = await sub(options);
    const seen: number[] = [];
    try {
      await s.run(async (batch) => void seen.push(...offsetsOf(batch.messages)), { live: false });
    } finally {
      await s.close();
    }
    return seen;
  };

  beforeEach(async () => {
    dir = tempDir();
    offsets = path.join(dir, 'offsets');
    log = await openBlocking(path.join(dir, 'source'), { createDirs: true, timeIndex: true });
  });
  afterEach(async () => {
    await log.close().catch(() => undefined);
    removeDir(dir);
  });

  it('resumes after a restart at its committed position, with auto commit per batch', async () => {
    await log.publish(messages(0, 250));
    expect(await drain({ batchSize: 100 })).to.deep.equal(range(0, 250));
    await log.publish(messages(250, 30));
    const again = await sub();
    expect(again.committed).to.equal(250);
    expect(await again.lag()).to.equal(30);
    await again.close();
    expect(await drain()).to.deep.equal(range(250, 280));
    expect(await drain()).to.deep.equal([]);
  });

  it('a commit torn by a crash (record bytes without their index item) is cut on reopen, not ERR_CORRUPTED', async () => {
    await log.publish(messages(0, 20));
    expect(await drain({ batchSize: 10 })).to.deep.equal(range(0, 20));
    // What a process killed between the record's write and its index item's leaves behind.
    const mailer = path.join(offsets, 'mailer');
    const headLog = path.join(
      mailer,
      fs
        .readdirSync(mailer)
        .filter((f) => f.endsWith('.log'))
        .sort()
        .at(-1)!,
    );
    fs.appendFileSync(headLog, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 7]));
    const again = await sub();
    expect(again.committed).to.equal(20);
    await again.close();
  });

  it('a handler that fails mid-batch leaves the position before that batch; the next run sees it again', async () => {
    await log.publish(messages(0, 30));
    const s = await sub({ batchSize: 10 });
    const handled: number[] = [];
    const failure = await s
      .run(async (batch) => {
        for (const m of batch.messages) {
          if (m.offset === 15) throw new Error('mail server down');
          handled.push(m.offset);
        }
      })
      .catch((err: Error) => err);
    expect((failure as Error).message).to.equal('mail server down');
    expect(handled).to.deep.equal(range(0, 15));
    expect(s.committed).to.equal(10); // the first batch, not past the failed one
    await s.close();
    const resumed = await drain();
    expect(resumed[0]).to.equal(10);
    expect(resumed).to.deep.equal(range(10, 30));
  });

  it('commits only after the handler finished everything before: a slow handler is never overtaken', async () => {
    await log.publish(messages(0, 20));
    const s = await sub({ batchSize: 5 });
    const committedDuring: number[] = [];
    await s.run(
      async (batch) => {
        committedDuring.push(s.committed);
        await new Promise((r) => setTimeout(r, 5));
        expect(s.committed).to.equal(batch.messages[0]!.offset);
      },
      { live: false },
    );
    expect(committedDuring).to.deep.equal([0, 5, 10, 15]);
    expect(s.committed).to.equal(20);
    await s.close();
  });

  it('manual commit: only commit() moves the position, also part way through a batch', async () => {
    await log.publish(messages(0, 10));
    const s = await sub({ commit: 'manual' });
    await s.run(async (batch) => {
      await s.commit(batch.messages[3]!.offset + 1);
      s.stop();
    });
    expect(s.committed).to.equal(4);
    await expectLogError(() => s.commit(11), 'ERR_INVALID_ARGUMENT', 'nextOffset');
    await s.close();
    expect(await drain({ commit: 'manual' })).to.deep.equal(range(4, 10));
  });

  it('as an observable: a batch is committed once next returned for it; take(n) stops and commits', async () => {
    await log.publish(messages(0, 50));
    const s = await sub({ batchSize: 10 });
    const batches = await lastValueFrom(s.stream().pipe(take(2), toArray()));
    expect(batches.map((b) => b.nextOffset)).to.deep.equal([10, 20]);
    await s.close();
    expect(s.committed).to.equal(20);
    expect(await drain()).to.deep.equal(range(20, 50));
  });

  it('follows the source live and commits what arrives', async () => {
    const s = await sub();
    const seen: number[] = [];
    const running = s.run(async (batch) => {
      seen.push(...offsetsOf(batch.messages));
      if (seen.length >= 5) s.stop();
    });
    await log.publish(messages(0, 2));
    await new Promise((r) => setTimeout(r, 20));
    await log.publish(messages(2, 3));
    await running;
    expect(seen).to.deep.equal(range(0, 5));
    await s.close();
    expect(s.committed).to.equal(5);
  });

  describe('start positions (without a committed position)', () => {
    beforeEach(async () => {
      await log.publish(messages(0, 10).map((m, i) => ({ ...m, time: new Date(Date.UTC(2026, 0, 1, 0, i)) })));
    });

    it('oldest (default), newest, an offset, a time', async () => {
      expect(await drain({ name: 'a' })).to.deep.equal(range(0, 10));
      expect(await drain({ name: 'b', start: 'newest' })).to.deep.equal([]);
      await log.publish(messages(10, 2));
      expect(await drain({ name: 'b' })).to.deep.equal([10, 11]); // newest was committed at open
      expect(await drain({ name: 'c', start: { offset: 7 } })).to.deep.equal(range(7, 12));
      expect(await drain({ name: 'd', start: { time: new Date(Date.UTC(2026, 0, 1, 0, 4, 30)) } })).to.deep.equal(
        range(5, 12),
      );
      expect(await drain({ name: 'e', start: { time: new Date(Date.UTC(2030, 0, 1)) } })).to.deep.equal([]);
    });

    it('start applies only the first time; reset: true applies it again', async () => {
      expect(await drain({ start: { offset: 8 } })).to.deep.equal([8, 9]);
      expect(await drain({ start: { offset: 2 } })).to.deep.equal([]);
      expect(await drain({ start: { offset: 2 }, reset: true })).to.deep.equal(range(2, 10));
    });

    it('a time without the time index: ERR_NO_INDEX naming start.time; an offset past the end: ERR_INVALID_OFFSET', async () => {
      const plain = await openBlocking(path.join(dir, 'plain'), { createDirs: true });
      try {
        await expectLogError(
          () => openSubscription(plain, { name: 'x', offsets, start: { time: new Date() } }),
          'ERR_NO_INDEX',
          'start.time',
        );
      } finally {
        await plain.close();
      }
      await expectLogError(() => sub({ start: { offset: 11 } }), 'ERR_INVALID_OFFSET', 'start.offset');
      // A failed open released the lock.
      await (await sub()).close();
    });
  });

  it('a committed position the source trimmed away: starts at the oldest and says so', async () => {
    await log.publish(messages(0, 10));
    const s = await sub({ commit: 'manual' });
    await s.run(async (batch) => {
      await s.commit(batch.messages[2]!.offset + 1);
      s.stop();
    });
    await s.close();
    await log.delete(range(0, 6));
    const skipped: SkippedInfo[] = [];
    expect(await drain({ onSkipped: (info) => skipped.push(info) })).to.deep.equal(range(6, 10));
    expect(skipped).to.deep.equal([{ subscription: 'mailer', committed: 3, resumedAt: 6 }]);
  });

  it('a committed position past the end of the source: ERR_INVALID_OFFSET that says to reset', async () => {
    await log.publish(messages(0, 10));
    await drain();
    await log.close();
    removeDir(path.join(dir, 'source'));
    log = await openBlocking(path.join(dir, 'source'), { createDirs: true });
    await log.publish(messages(0, 3));
    await expectLogError(() => sub(), 'ERR_INVALID_OFFSET', 'reset: true');
    expect(await drain({ reset: true })).to.deep.equal([0, 1, 2]);
  });

  it('one consumer per name: ERR_LOCKED, or wait until the holder closes (or time out, or abort)', async () => {
    const first = await sub();
    await expectLogError(() => sub(), 'ERR_LOCKED', 'wait: true');
    await expectLogError(() => sub({ wait: { timeoutMs: 50, pollMs: 10 } }), 'ERR_LOCKED', 'after waiting 50 ms');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    await expectLogError(() => sub({ wait: { signal: controller.signal, pollMs: 10 } }), 'ERR_ABORTED', 'mailer');
    const other = await sub({ name: 'other' }); // another name is free
    const waiting = sub({ wait: { pollMs: 10 } });
    setTimeout(() => void first.close(), 50);
    const second = await waiting;
    expect(second.name).to.equal('mailer');
    await Promise.all([second.close(), other.close()]);
  });

  it('any Log as the offsets log, with the lock in lockDir (or none)', async () => {
    const store = await open(path.join(dir, 'store'), { createDirs: true, keyIndex: true });
    try {
      await log.publish(messages(0, 5));
      const s = await openSubscription(log, { name: 'm', offsets: store, lockDir: path.join(dir, 'locks') });
      await expectLogError(
        () => openSubscription(log, { name: 'm', offsets: store, lockDir: path.join(dir, 'locks') }),
        'ERR_LOCKED',
      );
      await s.run(async () => undefined, { live: false });
      await s.close();
      expect(JSON.parse((await store.getByKey('m')).value!.toString())).to.include({ nextOffset: 5 });
    } finally {
      await store.close();
    }
  });

  it('bad input: ERR_INVALID_ARGUMENT naming the argument', async () => {
    const bad = (options: Record<string, unknown>, mentions: string) =>
      expectLogError(
        () => openSubscription(log, { name: 'n', offsets, ...options } as SubscriptionOptions),
        'ERR_INVALID_ARGUMENT',
        mentions,
      );
    await bad({ autoCommit: true }, '"autoCommit"');
    await bad({ name: 'a/b' }, 'name');
    await bad({ name: '..\\x' }, 'name');
    await bad({ name: '' }, 'name');
    await bad({ offsets: 42 }, 'offsets');
    await bad({ batchSize: 0 }, 'batchSize');
    await bad({ commit: 'sometimes' }, 'commit');
    await bad({ start: 'latest' }, 'start');
    await bad({ start: { offset: -1 } }, 'start.offset');
    await bad({ wait: { timeout: 5 } }, '"timeout"');
    await bad({ lockDir: dir }, 'lockDir');
    await expectLogError(
      () => openSubscription({} as BlockingLog, { name: 'n', offsets }),
      'ERR_INVALID_ARGUMENT',
      'source',
    );

    await log.publish(messages(0, 3));
    const s = await sub();
    try {
      expect(() => s.run('nope' as never)).to.throw(/handler/);
      expect(() => s.run(async () => undefined, { follow: true } as never)).to.throw(/"follow"/);
      // A handler that returns no promise could have work in flight: committing after it would lose it.
      await expectLogError(() => s.run((() => undefined) as never), 'ERR_INVALID_ARGUMENT', 'handler');
      await expectLogError(
        () => lastValueFrom(s.stream({ handle: (() => 1) as never })),
        'ERR_INVALID_ARGUMENT',
        'handle',
      );
      expect(s.committed).to.equal(0);
      // One consumption at a time.
      const running = s.run(async () => undefined);
      await expectLogError(() => s.run(async () => undefined), 'ERR_LOCKED', 'already being consumed');
      s.stop();
      await running;
    } finally {
      await s.close();
    }
    await expectLogError(() => s.commit(), 'ERR_CLOSED');
  });
});
