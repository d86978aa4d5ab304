// The storage behaviours both backends share, run against any backend: the
// cases of klevdb's log_test.go (TestBasic, TestGet, TestDelete, TestByKey,
// TestByTime, TestReopen, TestReadonly, TestBackup) and blocking consume.
// Local logs here roll over small (LogOptions.rollover), so the same cases
// cross segment ends there. What only the local log has (segment files,
// rollover rules, on-disk bytes, index options on disk, wrapBlocking) stays
// in test/storage. Where the backends differ on purpose, a test asserts what
// each does (Differences in backends.ts).
import { expect } from 'chai';
import { getEventListeners } from 'node:events';
import { readdir } from 'node:fs/promises';
import { openBlocking } from '../../src/storage/blocking.js';
import { compactUpdatesMulti } from '../../src/storage/compact.js';
import { trimByCountMulti, trimByOffsetMulti } from '../../src/storage/trim.js';
import { OffsetInvalid, OffsetNewest, OffsetOldest } from '../../src/storage/types.js';
import type { BlockingLog, Log, PublishMessage } from '../../src/storage/types.js';
import { expectLogError } from '../helpers/errors.js';
import {
  consumeAll,
  expectedView,
  expectedViews,
  gen,
  GEN_V2_SIZE,
  publishBatched,
  view,
  views,
} from '../helpers/messages.js';
import type { Backend } from './backends.js';

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

function watch<T>(p: Promise<T>): { settled: boolean } {
  const s = { settled: false };
  p.then(
    () => (s.settled = true),
    () => (s.settled = true),
  );
  return s;
}

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

const timeOf = (pm: PublishMessage, deltaMs = 0): Date => new Date((pm.timeMicros as number) / 1000 + deltaMs);

export function logContract(backend: Backend): void {
  const { segments } = backend.differences;
  const fresh = (opts?: Parameters<Backend['fresh']>[0]): Promise<BlockingLog> => backend.fresh(opts);
  /** What stat().segments says: the segments a local log rolled into, always 1 on JetStream. */
  const segmentCount = (local: number): number => (segments ? local : 1);

  /** stat() agrees with what is stored: the message count, the sum of size(m), the segments. */
  async function expectStat(log: Log, messages: number, localSegments: number): Promise<void> {
    let sum = 0;
    for (const m of await consumeAll(log)) sum += log.size(m);
    const stat = await log.stat();
    expect(stat.messages, 'stat().messages').to.equal(messages);
    expect(stat.segments, 'stat().segments').to.equal(segmentCount(localSegments));
    expect(stat.size, 'stat().size').to.equal(sum + backend.statOverhead(stat));
  }

  /** A backup holds the source's messages and offsets; a local one copies the segments, so its stat is the source's too. */
  async function expectSameLog(copy: Log, source: Log): Promise<void> {
    expect(views(await consumeAll(copy))).to.deep.equal(views(await consumeAll(source)));
    expect(await copy.nextOffset()).to.equal(await source.nextOffset());
    if (segments) expect(await copy.stat()).to.deep.equal(await source.stat());
    else expect((await copy.stat()).messages).to.equal((await source.stat()).messages);
  }

  describe('publish and consume (TestBasic)', function () {
    it('walks an empty log, publishes and consumes by absolute and relative offsets; local consume stops at a segment end', async function () {
      const msgs = gen(6);
      const log = await fresh({ rollover: 3 * GEN_V2_SIZE });
      expect(await log.nextOffset()).to.equal(0);
      await expectStat(log, 0, 1);
      expect(await log.consume(OffsetOldest, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
      expect(await log.consume(OffsetNewest, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
      expect(await log.consume(0, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
      await expectLogError(() => log.consume(1, 10), 'ERR_INVALID_OFFSET');
      expect(await log.publish([])).to.equal(0);
      expect(await log.nextOffset()).to.equal(0);

      for (let i = 0; i < 3; i++) {
        expect(await log.publish([msgs[i]!])).to.equal(i + 1);
        expect(await log.nextOffset()).to.equal(i + 1);
      }
      await expectStat(log, 3, 1);
      let r = await log.consume(OffsetOldest, 10);
      expect(r.nextOffset).to.equal(3);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(0, 3)));
      expect(await log.consume(OffsetNewest, 10)).to.deep.equal({ nextOffset: 3, messages: [] });
      r = await log.consume(2, 10);
      expect(r.nextOffset).to.equal(3);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(2, 3), 2));
      expect(await log.consume(3, 10)).to.deep.equal({ nextOffset: 3, messages: [] });
      await expectLogError(() => log.consume(4, 10), 'ERR_INVALID_OFFSET');

      // locally the head now holds more than the rollover: this batch starts a second segment
      expect(await log.publish(msgs.slice(3))).to.equal(6);
      expect(await log.nextOffset()).to.equal(6);
      await expectStat(log, 6, 2);
      r = await log.consume(OffsetOldest, 10);
      const firstRead = segments ? 3 : 6;
      expect(r.nextOffset, 'local: the end of the first segment; JetStream fills maxCount').to.equal(firstRead);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(0, firstRead)));
      expect(await log.consume(OffsetNewest, 10)).to.deep.equal({ nextOffset: 6, messages: [] });
      r = await log.consume(0, 3);
      expect(r.nextOffset).to.equal(3);
      r = await log.consume(r.nextOffset, 3);
      expect(r.nextOffset).to.equal(6);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(3), 3));
      expect(await log.consume(6, 10)).to.deep.equal({ nextOffset: 6, messages: [] });
      await expectLogError(() => log.consume(7, 10), 'ERR_INVALID_OFFSET');

      await log.gc(0);
      expect(views((await log.consume(0, 3)).messages), 'readable after gc').to.deep.equal(
        expectedViews(msgs.slice(0, 3)),
      );
      expect(views(await consumeAll(log))).to.deep.equal(expectedViews(msgs));
    });

    it('maxCount limits one consume', async function () {
      const msgs = gen(10);
      const log = await fresh();
      await log.publish(msgs);
      for (const max of [1, 2, 3, 9, 10, 11]) {
        const r = await log.consume(0, max);
        expect(r.messages.length, `maxCount ${max}`).to.equal(Math.min(max, 10));
        expect(r.nextOffset).to.equal(Math.min(max, 10));
      }
      const r = await log.consume(4, 3);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(4, 7), 4));
      expect(r.nextOffset).to.equal(7);
    });

    it('publishes a batch of 10,000 messages with consecutive offsets; locally a batch is never split across segments', async function () {
      const log = await fresh({ rollover: 4096 });
      await log.publish([{ value: 'before' }]);
      const msgs = Array.from({ length: 10_000 }, (_, i) => ({ key: `k${i % 100}`, value: `v${i}`, timeMicros: i }));
      expect(await log.publish(msgs)).to.equal(10_001);
      expect((await log.stat()).segments, 'a batch is never split').to.equal(1);
      const r = await log.consume(1, 20_000);
      expect(r.messages.length).to.equal(10_000);
      expect(r.messages.every((m, i) => m.offset === i + 1 && m.value?.toString() === `v${i}`)).to.equal(true);
      expect(await log.offsetByKey('k42')).to.equal(9_943);
      expect(await log.publish([{ value: 'after' }])).to.equal(10_002);
      expect((await log.stat()).segments, 'locally the next batch rolls over').to.equal(segmentCount(2));
    });
  });

  describe('get (TestGet)', function () {
    it('gets by absolute and relative offsets, ERR_INVALID_OFFSET outside the log', async function () {
      const msgs = gen(4);
      const log = await fresh({ rollover: 2 * GEN_V2_SIZE });
      for (const offset of [OffsetOldest, OffsetNewest, 0, 3])
        await expectLogError(() => log.get(offset), 'ERR_INVALID_OFFSET');
      await publishBatched(log, msgs, 1);
      for (let i = 0; i < msgs.length; i++)
        expect(view(await log.get(i)), `get(${i})`).to.deep.equal(expectedView(msgs[i]!, i));
      // klevdb: ErrInvalidOffset; the contract also lets bad offsets be ERR_INVALID_ARGUMENT
      await expectLogError(() => log.get(OffsetInvalid), ['ERR_INVALID_OFFSET', 'ERR_INVALID_ARGUMENT']);
      expect(view(await log.get(OffsetOldest))).to.deep.equal(expectedView(msgs[0]!, 0));
      expect(view(await log.get(OffsetNewest))).to.deep.equal(expectedView(msgs[3]!, 3));
      await expectLogError(() => log.get(4), 'ERR_INVALID_OFFSET');
      await expectLogError(() => log.get(1000), 'ERR_INVALID_OFFSET');
      expect((await log.stat()).segments).to.equal(segmentCount(2));
    });
  });

  describe('delete (TestDelete)', function () {
    it('deleted offsets are ERR_NOT_FOUND, a consume from or before them starts at the oldest message, offsets are never reused', async function () {
      const msgs = gen(6);
      const log = await fresh({ rollover: 2 * GEN_V2_SIZE });
      await publishBatched(log, msgs, 1);
      expect((await log.stat()).segments).to.equal(segmentCount(3));
      const r = await log.delete([0, 1]);
      expect(r.deleted.map((m) => m.offset).sort()).to.deep.equal([0, 1]);
      expect(r.deletedSize).to.equal(log.size(r.deleted[0]!) + log.size(r.deleted[1]!));
      // locally the first segment went with its two messages
      expect(await log.stat()).to.deep.include({ segments: segmentCount(2), messages: 4 });
      await expectLogError(() => log.get(0), 'ERR_NOT_FOUND');
      await expectLogError(() => log.get(1), 'ERR_NOT_FOUND');
      await expectLogError(() => log.getByKey(msgs[0]!.key as string), 'ERR_NOT_FOUND');
      expect(view(await log.get(OffsetOldest))).to.deep.equal(expectedView(msgs[2]!, 2));
      const readTo = segments ? 4 : 6; // local: the end of the segment holding 2 and 3
      for (const from of [OffsetOldest, 0, 1, 2]) {
        const c = await log.consume(from, 10);
        expect(c.nextOffset, `consume(${from})`).to.equal(readTo);
        expect(views(c.messages)).to.deep.equal(expectedViews(msgs.slice(2, readTo), 2));
      }
      await expectLogError(() => log.consume(7, 10), 'ERR_INVALID_OFFSET');
      expect(await log.nextOffset()).to.equal(6);
      expect(await log.publish([{ value: 'next' }])).to.equal(7);
    });

    it('deletes in the middle and at the end; offsets past the end name nothing; relative offsets are ERR_INVALID_OFFSET', async function () {
      const msgs = gen(6);
      const log = await fresh();
      await log.publish(msgs);
      expect((await log.delete([3, 100])).deleted.map((m) => m.offset)).to.deep.equal([3]);
      await expectLogError(() => log.get(3), 'ERR_NOT_FOUND');
      expect((await consumeAll(log)).map((m) => m.offset)).to.deep.equal([0, 1, 2, 4, 5]);
      expect((await log.delete([5])).deleted.map((m) => m.offset)).to.deep.equal([5]);
      expect(await log.nextOffset(), 'the newest offset is not handed out again').to.equal(6);
      expect((await log.consume(4, 10)).messages.map((m) => m.offset)).to.deep.equal([4]);
      expect(await log.delete([])).to.deep.equal({ deleted: [], deletedSize: 0 });
      await expectLogError(() => log.delete([OffsetOldest]), 'ERR_INVALID_OFFSET');
      expect(await log.publish([{ value: 'x' }])).to.equal(7);
    });

    it('getByKey finds the previous message of a key once its newest one is deleted', async function () {
      const log = await fresh();
      await log.publish([
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
        { key: 'a', value: '3' },
      ]);
      await log.delete([2]);
      expect((await log.getByKey('a')).value?.toString()).to.equal('1');
      expect(await log.offsetByKey('a')).to.equal(0);
      expect((await log.consumeByKey('a', OffsetOldest, 10)).messages.map((m) => m.offset)).to.deep.equal([0]);
      await log.delete([0]);
      await expectLogError(() => log.getByKey('a'), 'ERR_NOT_FOUND');
    });
  });

  describe('by key (TestByKey)', function () {
    it('without a key index: ERR_NO_INDEX', async function () {
      const log = await fresh({ keyIndex: false });
      await expectLogError(() => log.getByKey('key'), 'ERR_NO_INDEX');
      await expectLogError(() => log.offsetByKey('key'), 'ERR_NO_INDEX');
      await expectLogError(() => log.consumeByKey('key', OffsetOldest, 32), 'ERR_NO_INDEX');
    });

    it('finds, consumes and updates keys; local consumeByKey stops at a segment end', async function () {
      const msgs = gen(4);
      const log = await fresh({ rollover: 2 * GEN_V2_SIZE });
      const key = (i: number): string => msgs[i]!.key as string;
      await expectLogError(() => log.getByKey(key(0)), 'ERR_NOT_FOUND');
      await expectLogError(() => log.offsetByKey(key(0)), 'ERR_NOT_FOUND');
      expect(await log.consumeByKey(key(0), OffsetOldest, 32)).to.deep.equal({ nextOffset: 0, messages: [] });
      await publishBatched(log, msgs, 1);
      for (let i = 0; i < msgs.length; i++) {
        expect(view(await log.getByKey(key(i)))).to.deep.equal(expectedView(msgs[i]!, i));
        expect(await log.offsetByKey(Buffer.from(key(i)))).to.equal(i);
        const r = await log.consumeByKey(key(i), OffsetOldest, 32);
        expect(r.nextOffset).to.equal(i + 1);
        expect(views(r.messages)).to.deep.equal([expectedView(msgs[i]!, i)]);
        expect(await log.consumeByKey(key(i), r.nextOffset, 32)).to.deep.equal({ nextOffset: 4, messages: [] });
      }
      expect(await log.consumeByKey(key(0), 1, 32), 'after the only message of the key').to.deep.equal({
        nextOffset: 4,
        messages: [],
      });
      await expectLogError(() => log.getByKey('key'), 'ERR_NOT_FOUND');
      await expectLogError(() => log.offsetByKey('key'), 'ERR_NOT_FOUND');
      expect(await log.consumeByKey('key', OffsetOldest, 32)).to.deep.equal({ nextOffset: 4, messages: [] });

      // updates: the newest message of a key wins
      const updates: PublishMessage[] = msgs.map((m) => ({
        key: m.key,
        timeMicros: (m.timeMicros as number) + 3_600_000_000,
        value: `${m.value as string}world`,
      }));
      await publishBatched(log, updates, 1);
      for (let i = 0; i < msgs.length; i++) {
        const both = [expectedView(msgs[i]!, i), expectedView(updates[i]!, 4 + i)];
        expect(view(await log.getByKey(key(i)))).to.deep.equal(both[1]);
        expect(await log.offsetByKey(key(i))).to.equal(4 + i);
        // locally the first message and its update are in different segments
        let r = await log.consumeByKey(key(i), OffsetOldest, 32);
        expect(views(r.messages)).to.deep.equal(segments ? both.slice(0, 1) : both);
        expect(r.nextOffset).to.equal(segments ? i + 1 : 4 + i + 1);
        r = await log.consumeByKey(key(i), OffsetOldest, 1);
        expect(views(r.messages)).to.deep.equal(both.slice(0, 1));
        r = await log.consumeByKey(key(i), r.nextOffset, 32);
        expect(r.nextOffset).to.equal(4 + i + 1);
        expect(views(r.messages)).to.deep.equal(both.slice(1));
      }
      expect((await log.stat()).segments).to.equal(segmentCount(4));
      expect(await log.consumeByKey(key(0), OffsetNewest, 32)).to.deep.equal({ nextOffset: 8, messages: [] });
    });

    it('consumeByKey honours maxCount and the start offset', async function () {
      const log = await fresh();
      await log.publish(
        Array.from({ length: 12 }, (_, i) => ({
          key: i % 3 === 0 ? 'x' : `y${i}`,
          value: `v${i}`,
          timeMicros: 1_000_000 + i,
        })),
      );
      let r = await log.consumeByKey('x', OffsetOldest, 2);
      expect(r.messages.map((m) => m.offset)).to.deep.equal([0, 3]);
      expect(r.nextOffset).to.equal(4);
      r = await log.consumeByKey('x', r.nextOffset, 10);
      expect(r.messages.map((m) => m.offset)).to.deep.equal([6, 9]);
      expect(r.nextOffset).to.equal(10);
      r = await log.consumeByKey('x', 7, 10);
      expect(r.messages.map((m) => m.offset)).to.deep.equal([9]);
    });

    it('resolves 1,500 keys, also keys that are prefixes of each other, NUL, unicode, dots, wildcards and binary bytes', async function () {
      const log = await fresh({ rollover: 4096 });
      const keys: Array<string | Buffer> = [];
      for (let i = 0; i < 1500; i++) keys.push(`k${i}`);
      const special = [
        'a',
        'a\0',
        '\0a',
        'aa',
        'ä',
        'a\u0308',
        'a.b',
        '*',
        '>',
        'a b',
        '~',
        '_',
        '-',
        'a.*.>',
        Buffer.from([0xff, 0x00, 0xfe]),
        Buffer.from([0xff]),
      ];
      keys.push(...special);
      const msgs = keys.map((k, i) => ({ key: k, value: `value of ${i}`, timeMicros: 1_000_000 * i }));
      for (let i = 0; i < msgs.length; i += 100) await log.publish(msgs.slice(i, i + 100));
      if (segments) expect((await log.stat()).segments).to.be.greaterThan(3);
      for (let i = 0; i < keys.length; i++) {
        const got = await log.getByKey(keys[i]!);
        expect(got.offset, `getByKey(${JSON.stringify(keys[i])})`).to.equal(i);
        expect(Buffer.compare(got.key!, Buffer.from(keys[i]!))).to.equal(0);
        expect(got.value?.toString()).to.equal(`value of ${i}`);
      }
      for (let i = 0; i < keys.length; i += i < 1500 ? 50 : 1) {
        expect((await log.consumeByKey(keys[i]!, OffsetOldest, 10)).messages.map((m) => m.offset)).to.deep.equal([i]);
      }
      await expectLogError(() => log.getByKey('k1500'), 'ERR_NOT_FOUND');
      await expectLogError(() => log.getByKey('a\0\0'), 'ERR_NOT_FOUND');
    });

    it('an empty key finds the last message stored without a key (empty and null are the same)', async function () {
      const log = await fresh();
      await log.publish([
        { key: null, value: 'one', timeMicros: 1 },
        { key: 'k', value: 'two', timeMicros: 2 },
        { key: '', value: 'three', timeMicros: 3 },
        { key: 'k', value: 'four', timeMicros: 4 },
      ]);
      expect(await log.offsetByKey('')).to.equal(2);
      expect(await log.offsetByKey(new Uint8Array(0))).to.equal(2);
      const r = await log.consumeByKey('', OffsetOldest, 10);
      expect(r.messages.map((m) => m.value?.toString())).to.deep.equal(['one', 'three']);
    });
  });

  describe('by time (TestByTime, TestByTimeMono)', function () {
    it('without a time index: ERR_NO_INDEX', async function () {
      const log = await fresh({ timeIndex: false });
      await expectLogError(() => log.getByTime(new Date()), 'ERR_NO_INDEX');
      await expectLogError(() => log.offsetByTime(new Date()), 'ERR_NO_INDEX');
    });

    it('finds the first message at or after a time (locally across segments); empty is ERR_INVALID_OFFSET, after all ERR_NOT_FOUND', async function () {
      const msgs = gen(40);
      const log = await fresh({ rollover: 2 * GEN_V2_SIZE });
      const at = (i: number, deltaMs = 0): Date => timeOf(msgs[i]!, deltaMs);
      await expectLogError(() => log.getByTime(at(0)), 'ERR_INVALID_OFFSET');
      await expectLogError(() => log.offsetByTime(at(0)), 'ERR_INVALID_OFFSET');
      // locally each batch of 7 fills a segment of its own
      await publishBatched(log, msgs, 7);
      for (const i of [0, 1, 6, 7, 13, 20, 38, 39]) {
        expect(view(await log.getByTime(at(i)))).to.deep.equal(expectedView(msgs[i]!, i));
        const r = await log.offsetByTime(at(i));
        expect(r.offset).to.equal(i);
        expect(r.time.getTime()).to.equal(at(i).getTime());
      }
      expect((await log.getByTime(at(0, -3_600_000))).offset).to.equal(0);
      expect((await log.offsetByTime(at(0, -3_600_000))).offset).to.equal(0);
      await expectLogError(() => log.getByTime(at(39, 3_600_000)), 'ERR_NOT_FOUND');
      await expectLogError(() => log.offsetByTime(at(39, 3_600_000)), 'ERR_NOT_FOUND');
      // between two messages: of one segment, and (locally) of two
      expect((await log.getByTime(at(10, 1))).offset).to.equal(11);
      expect((await log.getByTime(at(21, -1))).offset).to.equal(21);
      expect((await log.getByTime(at(20, 1))).offset).to.equal(21);
      // deleted messages are skipped
      await log.delete([21, 22]);
      expect((await log.getByTime(at(20, 1))).offset).to.equal(23);
    });

    it('uses the running maximum of times when message times go back', async function () {
      const msgs = gen(5);
      [msgs[1], msgs[3]] = [msgs[3]!, msgs[1]!];
      const log = await fresh();
      await publishBatched(log, msgs, 1);
      const t = (i: number): Date => timeOf(msgs[i]!);
      expect(view(await log.getByTime(t(1)))).to.deep.equal(expectedView(msgs[1]!, 1));
      expect((await log.getByTime(t(2))).offset).to.equal(1);
      expect((await log.getByTime(t(3))).offset).to.equal(1);
      expect((await log.getByTime(t(4))).offset).to.equal(4);
      // the stored message time is not changed by the index
      expect((await log.get(2)).timeMicros).to.equal(msgs[2]!.timeMicros);
    });

    it('takes the whole safe-integer range of timeMicros; the running maximum starts at 0, so pre-epoch messages are found from the epoch', async function () {
      const log = await fresh();
      const times = [Number.MIN_SAFE_INTEGER, -1, Number.MAX_SAFE_INTEGER, 0];
      await log.publish(times.map((t) => ({ value: 'x', timeMicros: t })));
      const got = await consumeAll(log);
      expect(got.map((m) => m.timeMicros)).to.deep.equal(times);
      for (const m of got) expect(m.time.getTime()).to.equal(Math.floor(m.timeMicros / 1000));
      expect((await log.getByTime(new Date(Math.floor(Number.MAX_SAFE_INTEGER / 1000)))).offset).to.equal(2);
      expect((await log.getByTime(new Date(0))).offset, 'the pre-epoch first message has index time 0').to.equal(0);
      expect((await log.getByTime(new Date(-1))).offset).to.equal(0);
    });
  });

  describe('times, keys and values', function () {
    it('round-trips sub-millisecond, pre-epoch and extreme times exactly; time is the floor in ms', async function () {
      const log = await fresh();
      const times = [
        1672531200000123,
        1672531200000999,
        1,
        0,
        -1,
        -1500,
        -2_000_000,
        8_000_000_000_000_000,
        -8_000_000_000_000_000,
        Number.MIN_SAFE_INTEGER,
        Number.MAX_SAFE_INTEGER,
      ];
      await log.publish(times.map((t) => ({ value: String(t), timeMicros: t })));
      const got = await consumeAll(log);
      expect(got.map((m) => m.timeMicros)).to.deep.equal(times);
      expect(got.map((m) => m.time.getTime())).to.deep.equal(times.map((t) => Math.floor(t / 1000)));
      for (const m of got) view(m);
    });

    it('timeMicros wins over time; time alone is taken at ms precision; neither is now', async function () {
      const log = await fresh();
      const before = Date.now() * 1000;
      await log.publish([
        { value: 'both', time: new Date(5_000), timeMicros: 7_000_123 },
        { value: 'time', time: new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 456)) },
        { value: 'micros', timeMicros: 42 },
        { value: 'now' },
      ]);
      const after = (Date.now() + 1) * 1000;
      const [both, time, micros, now] = await consumeAll(log);
      expect(both.timeMicros).to.equal(7_000_123);
      expect(both.time.getTime()).to.equal(7_000);
      expect(time.timeMicros).to.equal(Date.UTC(2024, 1, 29, 12, 0, 0, 456) * 1000);
      expect(micros.timeMicros).to.equal(42);
      expect(micros.time.getTime()).to.equal(0);
      expect(now.timeMicros).to.be.at.least(before).and.at.most(after);
    });

    it('empty and null keys and values read back as null; tombstones keep their key', async function () {
      const log = await fresh();
      await log.publish([
        { key: '', value: '' },
        { key: null, value: null },
        { key: new Uint8Array(0), value: Buffer.alloc(0) },
        {},
        { key: 'k', value: null },
        { key: 'k2', value: new Uint8Array([0, 1, 2]) },
        { key: 'ü', value: '€' },
      ]);
      expect((await consumeAll(log)).map((m) => [m.key, m.value])).to.deep.equal([
        [null, null],
        [null, null],
        [null, null],
        [null, null],
        [Buffer.from('k'), null],
        [Buffer.from('k2'), Buffer.from([0, 1, 2])],
        [Buffer.from('ü'), Buffer.from('€')],
      ]);
      expect((await log.getByKey('k')).value).to.equal(null);
    });

    it('stores exactly the bytes of a Uint8Array view; later changes to published or returned buffers change nothing stored', async function () {
      const log = await fresh();
      const backing = Buffer.from('0123456789abcdef');
      const key = new Uint8Array(backing.buffer, backing.byteOffset + 3, 4); // "3456"
      const value = backing.subarray(10, 13); // "abc"
      await log.publish([{ key, value, timeMicros: 1 }]);
      backing.fill(0x21);
      const first = await log.get(0);
      (first.value as Buffer).fill(0x3f);
      (first.key as Buffer).fill(0x3f);
      const consumed = (await log.consume(0, 1)).messages[0]!;
      (consumed.value as Buffer).fill(0x2a);
      (consumed.key as Buffer).fill(0x2a);
      const again = [
        await log.get(0),
        await log.getByKey(Buffer.from('3456')),
        (await log.consume(OffsetOldest, 1)).messages[0]!,
        (await log.consumeByKey('3456', OffsetOldest, 1)).messages[0]!,
      ];
      for (const m of again) {
        expect(m.key?.toString()).to.equal('3456');
        expect(m.value?.toString()).to.equal('abc');
      }
    });

    it('rejects bad input with ERR_INVALID_ARGUMENT before anything is stored', async function () {
      const log = await fresh();
      await expectLogError(() => log.publish('x' as unknown as PublishMessage[]), 'ERR_INVALID_ARGUMENT');
      await expectLogError(() => log.publish([{ key: 5 as unknown as string }]), 'ERR_INVALID_ARGUMENT');
      await expectLogError(() => log.publish([{ value: 'ok' }, { timeMicros: 1.5 }]), 'ERR_INVALID_ARGUMENT');
      await expectLogError(() => log.publish([{ time: new Date(NaN) }]), 'ERR_INVALID_ARGUMENT');
      await expectLogError(() => log.consume(-3, 1), 'ERR_INVALID_ARGUMENT');
      await expectLogError(() => log.consume(0, 0), 'ERR_INVALID_ARGUMENT');
      await expectLogError(() => log.consumeByKey(7 as unknown as string, 0, 1), 'ERR_INVALID_ARGUMENT');
      await expectLogError(() => log.getByTime('yesterday' as unknown as Date), 'ERR_INVALID_ARGUMENT');
      await expectLogError(() => log.delete(5 as unknown as number[]), 'ERR_INVALID_ARGUMENT');
      expect(await log.nextOffset()).to.equal(0);
    });
  });

  describe('stat, size, sync', function () {
    it('stat counts messages; size(m) of every stored message adds up to stat().size and grows with the value', async function () {
      const log = await fresh();
      await publishBatched(
        log,
        [
          ...gen(3),
          { key: null, value: null, timeMicros: 1 },
          { key: 'k', value: null, timeMicros: 2 },
          { key: null, value: 'v'.repeat(1000), timeMicros: 3 },
        ],
        2,
      );
      await expectStat(log, 6, 1);
      expect(log.size(await log.get(5))).to.equal(log.size(await log.get(3)) + 1000);
    });

    it('sync returns the next offset that is durable', async function () {
      const log = await fresh();
      expect(await log.sync()).to.equal(0);
      await log.publish(gen(3));
      expect(await log.sync()).to.equal(3);
      await log.publish(gen(2, 3));
      expect(await log.sync()).to.equal(5);
    });
  });

  describe('reopen (TestReopen)', function () {
    it('a second handle continues the offsets, keys and times of the first', async function () {
      const place = await backend.place();
      const msgs = gen(6);
      const a = await place.open({ rollover: 2 * GEN_V2_SIZE });
      await publishBatched(a, msgs.slice(0, 4), 1);
      await a.close();
      const b = await place.open({ rollover: 2 * GEN_V2_SIZE });
      expect(await b.nextOffset()).to.equal(4);
      expect(views(await consumeAll(b))).to.deep.equal(expectedViews(msgs.slice(0, 4)));
      expect((await b.consume(OffsetOldest, 4)).nextOffset, 'local: the end of the first segment').to.equal(
        segments ? 2 : 4,
      );
      for (let i = 0; i < 4; i++) expect((await b.getByKey(msgs[i]!.key as string)).offset).to.equal(i);
      expect(await b.publish(msgs.slice(4))).to.equal(6);
      expect(views(await consumeAll(b))).to.deep.equal(expectedViews(msgs));
      expect(
        (await b.getByTime(timeOf(msgs[3]!, 1))).offset,
        'time lookups cross from the old messages to the new',
      ).to.equal(4);
    });
  });

  describe('readonly (TestReadonly)', function () {
    it('over an empty log (locally an empty directory, without segments): reads as empty, every write is ERR_READONLY', async function () {
      const place = await backend.place();
      if (backend.differences.readonlyNeedsExistingLog) await (await place.open()).close();
      const log = await place.open({ readonly: true });
      await expectLogError(() => log.publish([]), 'ERR_READONLY');
      await expectLogError(() => log.publish([{ value: 'x' }]), 'ERR_READONLY');
      await expectLogError(() => log.delete([]), 'ERR_READONLY');
      expect(await log.nextOffset()).to.equal(0);
      expect(await log.consume(OffsetOldest, 1)).to.deep.equal({ nextOffset: 0, messages: [] });
      expect(await log.consume(OffsetNewest, 1)).to.deep.equal({ nextOffset: 0, messages: [] });
      expect(await log.consume(0, 1)).to.deep.equal({ nextOffset: 0, messages: [] });
      await expectLogError(() => log.consume(1, 1), 'ERR_INVALID_OFFSET');
      for (const offset of [OffsetOldest, OffsetNewest, 0, 1])
        await expectLogError(() => log.get(offset), 'ERR_INVALID_OFFSET');
      await expectLogError(() => log.getByKey('abc'), 'ERR_NOT_FOUND');
      await expectLogError(() => log.getByTime(new Date()), 'ERR_INVALID_OFFSET');
      await expectStat(log, 0, 0);
      const dir = await backend.tempDir();
      await log.backup(dir);
      const copy = await openBlocking(dir, { readonly: true });
      try {
        expect(await copy.nextOffset()).to.equal(0);
      } finally {
        await copy.close();
      }
      expect(await log.sync()).to.equal(0);
    });

    it('over a written log: reads, stat, backup and sync; locally consume stops at a segment end', async function () {
      const msgs = gen(4);
      const place = await backend.place();
      const writer = await place.open({ rollover: 2 * GEN_V2_SIZE });
      await publishBatched(writer, msgs, 1);
      await writer.close();
      const log = await place.open({ readonly: true });
      await expectLogError(() => log.publish([]), 'ERR_READONLY');
      await expectLogError(() => log.publish([{ value: 'x' }]), 'ERR_READONLY');
      await expectLogError(() => log.delete([0]), 'ERR_READONLY');
      expect(await log.nextOffset()).to.equal(4);

      const firstRead = segments ? 2 : 4;
      let r = await log.consume(OffsetOldest, 4);
      expect(r.nextOffset).to.equal(firstRead);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(0, firstRead)));
      expect(await log.consume(OffsetNewest, 4)).to.deep.equal({ nextOffset: 4, messages: [] });
      r = await log.consume(2, 4);
      expect(r.nextOffset).to.equal(4);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(2), 2));
      expect(await log.consume(4, 4)).to.deep.equal({ nextOffset: 4, messages: [] });
      await expectLogError(() => log.consume(5, 1), 'ERR_INVALID_OFFSET');

      expect(view(await log.get(OffsetOldest))).to.deep.equal(expectedView(msgs[0]!, 0));
      expect(view(await log.get(OffsetNewest))).to.deep.equal(expectedView(msgs[3]!, 3));
      expect(view(await log.get(2))).to.deep.equal(expectedView(msgs[2]!, 2));
      await expectLogError(() => log.get(5), 'ERR_INVALID_OFFSET');
      expect((await log.getByKey(msgs[1]!.key as string)).offset).to.equal(1);
      expect((await log.getByTime(timeOf(msgs[2]!))).offset).to.equal(2);
      await expectStat(log, 4, 2);

      const dir = await backend.tempDir();
      await log.backup(dir);
      const copy = await openBlocking(dir, { keyIndex: true, timeIndex: true, readonly: true });
      try {
        await expectSameLog(copy, log);
      } finally {
        await copy.close();
      }
      expect(await log.sync()).to.equal(4);
    });
  });

  describe('backup (TestBackup)', function () {
    it('writes a local log directory with the same messages, brings an older backup up to date, and the copy is a log of its own', async function () {
      const log = await fresh({ rollover: 2 * GEN_V2_SIZE });
      const msgs = gen(7);
      await publishBatched(log, msgs.slice(0, 3), 1);
      await log.delete([1]);
      const dir = await backend.tempDir();
      await log.backup(dir);
      await publishBatched(log, msgs.slice(3), 1);
      await log.backup(dir);
      expect((await readdir(dir)).some((f) => f.endsWith('.log'))).to.equal(true);
      const copy = await openBlocking(dir, { keyIndex: true, timeIndex: true, check: true });
      try {
        await expectSameLog(copy, log);
        expect(await copy.nextOffset()).to.equal(7);
        expect((await copy.getByKey(msgs[6]!.key as string)).offset).to.equal(6);
        expect(await copy.publish([{ value: 'only in the copy' }])).to.equal(8);
        expect(await log.nextOffset()).to.equal(7);
      } finally {
        await copy.close();
      }
    });

    it('a backup taken while the log is written holds a prefix of it', async function () {
      const msgs = Array.from({ length: 400 }, (_, i) => ({
        key: `k${i % 17}`,
        value: `value-${i}`.repeat(i % 9),
        timeMicros: 1_000_000 + i,
      }));
      const log = await fresh({ rollover: 2048 });
      await log.publish(msgs.slice(0, 50));
      const dirs = [await backend.tempDir(), await backend.tempDir(), await backend.tempDir()];
      const writes = (async () => {
        for (let i = 50; i < msgs.length; i += 5) await log.publish(msgs.slice(i, i + 5));
      })();
      const backups = (async () => {
        for (const dir of dirs) {
          await log.backup(dir);
          await new Promise((r) => setImmediate(r));
        }
      })();
      await Promise.all([writes, backups]);
      expect(await log.nextOffset()).to.equal(msgs.length);
      for (const dir of dirs) {
        const copy = await openBlocking(dir, { keyIndex: true, timeIndex: true, check: true });
        try {
          const n = await copy.nextOffset();
          expect(n).to.be.at.least(50).and.at.most(msgs.length);
          expect(views(await consumeAll(copy))).to.deep.equal(expectedViews(msgs.slice(0, n)));
          expect(await copy.offsetByKey('k3')).to.equal(
            msgs
              .slice(0, n)
              .map((m) => m.key)
              .lastIndexOf('k3'),
          );
        } finally {
          await copy.close();
        }
      }
    });
  });

  describe('retention helpers over the Log interface', function () {
    it('trimByOffsetMulti, trimByCountMulti and compactUpdatesMulti remove the same offsets', async function () {
      const log = await fresh();
      await log.publish(
        Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `v${i}`, timeMicros: 1_000_000 + i })),
      );
      const trimmed = await trimByOffsetMulti(log, 4);
      expect([...trimmed.deleted].map((m) => m.offset).sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3]);
      await expectLogError(() => log.get(3), 'ERR_NOT_FOUND');
      const counted = await trimByCountMulti(log, 20);
      expect(counted.deleted.map((m) => m.offset).sort((a, b) => a - b)).to.deep.equal([4, 5, 6, 7, 8, 9]);
      const compacted = await compactUpdatesMulti(log, new Date(Date.now() + 1000));
      expect(compacted.deleted.length).to.equal(15);
      expect((await consumeAll(log)).map((m) => m.offset)).to.deep.equal([25, 26, 27, 28, 29]);
      expect((await log.stat()).messages).to.equal(5);
    });
  });

  describe('blocking consume', function () {
    it('returns at once when messages are there; waits at the next offset and wakes on a publish', async function () {
      const log = await fresh();
      await log.publish([{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
      const ready = await log.consumeBlocking(1, 10);
      expect(ready.messages.map((m) => m.value?.toString())).to.deep.equal(['b', 'c']);
      expect(ready.nextOffset).to.equal(3);
      const wait = log.consumeBlocking(3, 10);
      const state = watch(wait);
      await settle();
      expect(state.settled, 'resolved before any publish').to.equal(false);
      await log.publish([{ value: 'd' }, { value: 'e' }]);
      const r = await wait;
      expect(r.messages.map((m) => [m.offset, m.value?.toString()])).to.deep.equal([
        [3, 'd'],
        [4, 'e'],
      ]);
      expect(r.nextOffset).to.equal(5);
    });

    it('wakes exactly the waiters a publish makes data available for', async function () {
      const log = await fresh();
      const first = log.consumeBlocking(0, 1);
      const second = log.consumeBlocking(1, 1);
      const secondState = watch(second);
      await log.publish([{ value: 'a' }]);
      expect((await first).messages.map((m) => m.offset)).to.deep.equal([0]);
      await settle();
      expect(secondState.settled).to.equal(false);
      await log.publish([{ value: 'b' }]);
      expect((await second).messages.map((m) => m.offset)).to.deep.equal([1]);
    });

    it('never waits from OffsetOldest or OffsetNewest (as Go: nextOffset > offset)', async function () {
      const log = await fresh();
      expect(await log.consumeBlocking(OffsetNewest, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
      expect(await log.consumeBlocking(OffsetOldest, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
      await log.publish([{ value: 'a' }]);
      expect(await log.consumeBlocking(OffsetNewest, 10)).to.deep.equal({ nextOffset: 1, messages: [] });
      expect((await log.consumeBlocking(OffsetOldest, 10)).messages).to.have.length(1);
    });

    it('consumeByKeyBlocking wakes on any publish, then returns only that key', async function () {
      const log = await fresh();
      const wait = log.consumeByKeyBlocking('a', 0, 10);
      await settle();
      await log.publish([{ key: 'b', value: '1' }]);
      expect((await wait).messages).to.deep.equal([]);
      const next = log.consumeByKeyBlocking(Buffer.from('a'), 1, 10);
      await settle();
      await log.publish([{ key: 'a', value: '2' }]);
      expect((await next).messages.map((m) => [m.offset, m.value?.toString()])).to.deep.equal([[1, '2']]);
    });

    it('a readonly handle following the log wakes on a publish made through another handle', async function () {
      const place = await backend.place();
      const writer = await place.open();
      await writer.publish([{ value: 'first' }]);
      const reader = await place.open({ readonly: true, follow: true });
      expect((await reader.consumeBlocking(0, 5)).messages.map((m) => m.value?.toString())).to.deep.equal(['first']);
      const wait = reader.consumeBlocking(1, 10);
      await settle();
      await writer.publish([{ value: 'second' }]);
      expect((await wait).messages.map((m) => m.value?.toString())).to.deep.equal(['second']);
    });

    it('rejects with ERR_ABORTED when the signal fires, with the reason as cause, and removes its listener', async function () {
      const log = await fresh();
      const controller = new AbortController();
      const wait = log.consumeBlocking(0, 1, controller.signal);
      expect(abortListeners(controller.signal)).to.equal(1);
      const reason = new Error('stop');
      controller.abort(reason);
      const err = await expectLogError(() => wait, 'ERR_ABORTED', 'aborted');
      expect(err.cause).to.equal(reason);
      expect(abortListeners(controller.signal)).to.equal(0);
      await log.publish([{ value: 'a' }]);
      expect((await log.consumeBlocking(0, 1)).messages).to.have.length(1);
    });

    it('rejects an already aborted signal at once, even with data available', async function () {
      const log = await fresh();
      await log.publish([{ value: 'a' }]);
      const signal = AbortSignal.abort();
      await expectLogError(() => log.consumeBlocking(0, 1, signal), 'ERR_ABORTED');
      await expectLogError(() => log.consumeByKeyBlocking('k', 5, 1, signal), 'ERR_ABORTED');
      expect(abortListeners(signal)).to.equal(0);
    });

    it('removes the abort listener when a publish resolves the wait', async function () {
      const log = await fresh();
      const controller = new AbortController();
      const waits = [log.consumeBlocking(0, 1, controller.signal), log.consumeBlocking(0, 1, controller.signal)];
      expect(abortListeners(controller.signal)).to.equal(2);
      await log.publish([{ value: 'a' }]);
      await Promise.all(waits);
      expect(abortListeners(controller.signal)).to.equal(0);
    });

    it('rejects waiters with ERR_CLOSED when the log closes, and any later wait', async function () {
      const log = await fresh();
      const controller = new AbortController();
      const waits = [log.consumeBlocking(0, 1), log.consumeByKeyBlocking('k', 0, 1, controller.signal)];
      await settle();
      await log.close();
      for (const wait of waits) await expectLogError(() => wait, 'ERR_CLOSED');
      expect(abortListeners(controller.signal)).to.equal(0);
      await expectLogError(() => log.consumeBlocking(0, 1), 'ERR_CLOSED');
    });

    it('validates arguments before waiting, naming them', async function () {
      const log = await fresh();
      for (const offset of [1.5, -3, NaN, '0', 2 ** 53]) {
        await expectLogError(() => log.consumeBlocking(offset as number, 1), 'ERR_INVALID_ARGUMENT', 'offset');
      }
      for (const maxCount of [0, -1, 1.5, '1']) {
        await expectLogError(() => log.consumeBlocking(0, maxCount as number), 'ERR_INVALID_ARGUMENT', 'maxCount');
      }
      await expectLogError(() => log.consumeBlocking(0, 1, {} as AbortSignal), 'ERR_INVALID_ARGUMENT', 'signal');
      await expectLogError(() => log.consumeByKeyBlocking(5 as unknown as string, 0, 1), 'ERR_INVALID_ARGUMENT', 'key');
    });
  });

  describe('close', function () {
    it('is idempotent, every later call rejects with ERR_CLOSED, and the log opens again', async function () {
      const place = await backend.place();
      const log = await place.open();
      await log.publish(gen(2));
      const m = await log.get(0);
      await log.close();
      await log.close();
      const dir = await backend.tempDir();
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['publish', () => log.publish([{ value: 'x' }])],
        ['nextOffset', () => log.nextOffset()],
        ['consume', () => log.consume(OffsetOldest, 1)],
        ['consumeByKey', () => log.consumeByKey(m.key as Buffer, OffsetOldest, 1)],
        ['get', () => log.get(0)],
        ['getByKey', () => log.getByKey(m.key as Buffer)],
        ['offsetByKey', () => log.offsetByKey(m.key as Buffer)],
        ['getByTime', () => log.getByTime(m.time)],
        ['offsetByTime', () => log.offsetByTime(m.time)],
        ['delete', () => log.delete([0])],
        ['stat', () => log.stat()],
        ['sync', () => log.sync()],
        ['gc', () => log.gc(0)],
        ['backup', () => log.backup(dir)],
        ['consumeBlocking', () => log.consumeBlocking(5, 1)],
        ['consumeByKeyBlocking', () => log.consumeByKeyBlocking('k', 5, 1)],
      ];
      for (const [name, call] of calls) {
        await expectLogError(call, 'ERR_CLOSED').catch((e: Error) => {
          throw new Error(`${name} after close: ${e.message}`);
        });
      }
      const again = await place.open();
      expect(await again.nextOffset()).to.equal(2);
    });

    it('closing while calls are in flight lets them finish or fail with ERR_CLOSED', async function () {
      const log = await fresh();
      const pending = [
        log.publish(gen(5)),
        log.consume(OffsetOldest, 10),
        log.publish(gen(5, 5)),
        log.getByKey('x').catch(() => null),
      ];
      const closing = log.close();
      const results = await Promise.allSettled(pending);
      await closing;
      for (const r of results) {
        if (r.status === 'rejected')
          expect((r.reason as { code?: string }).code, String(r.reason)).to.equal('ERR_CLOSED');
      }
    });
  });
}
