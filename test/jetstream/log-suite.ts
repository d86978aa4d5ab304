// The storage behaviours of test/storage/log.spec.ts (klevdb's log_test.go)
// and blocking.spec.ts that do not depend on segment files, as one suite run
// against any backend. Where the backends differ on purpose, the test says
// what each does (see Differences in backends.ts).
import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import { openBlocking } from '../../src/storage/blocking.js';
import { compactUpdatesMulti } from '../../src/storage/compact.js';
import { trimByCountMulti, trimByOffsetMulti } from '../../src/storage/trim.js';
import { OffsetInvalid, OffsetNewest, OffsetOldest } from '../../src/storage/types.js';
import type { BlockingLog, PublishMessage } from '../../src/storage/types.js';
import { expectLogError } from '../helpers/errors.js';
import { consumeAll, expectedView, expectedViews, gen, publishBatched, view, views } from '../helpers/messages.js';
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

export function logSuite(backend: Backend): void {
  const fresh = (opts?: Parameters<Backend['fresh']>[0]): Promise<BlockingLog> => backend.fresh(opts);

  describe('publish and consume', function () {
    it('walks an empty log, publishes one at a time and consumes by absolute and relative offsets', async function () {
      const msgs = gen(6);
      const log = await fresh();
      expect(await log.nextOffset()).to.equal(0);
      expect(await log.consume(OffsetOldest, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
      expect(await log.consume(OffsetNewest, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
      expect(await log.consume(0, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
      await expectLogError(() => log.consume(1, 10), 'ERR_INVALID_OFFSET');
      expect(await log.publish([])).to.equal(0);

      for (let i = 0; i < 3; i++) expect(await log.publish([msgs[i]!])).to.equal(i + 1);
      let r = await log.consume(OffsetOldest, 10);
      expect(r.nextOffset).to.equal(3);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(0, 3)));
      expect(await log.consume(OffsetNewest, 10)).to.deep.equal({ nextOffset: 3, messages: [] });
      r = await log.consume(2, 10);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(2, 3), 2));
      expect(await log.consume(3, 10)).to.deep.equal({ nextOffset: 3, messages: [] });
      await expectLogError(() => log.consume(4, 10), 'ERR_INVALID_OFFSET');

      expect(await log.publish(msgs.slice(3))).to.equal(6);
      r = await log.consume(0, 3);
      expect(r.nextOffset).to.equal(3);
      r = await log.consume(r.nextOffset, 3);
      expect(r.nextOffset).to.equal(6);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(3), 3));
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

    it('publishes a batch of 10,000 messages with consecutive offsets', async function () {
      const log = await fresh();
      await log.publish([{ value: 'before' }]);
      const msgs = Array.from({ length: 10_000 }, (_, i) => ({ key: `k${i % 100}`, value: `v${i}`, timeMicros: i }));
      expect(await log.publish(msgs)).to.equal(10_001);
      const all = await consumeAll(log, 5000);
      expect(all.length).to.equal(10_001);
      expect(all.slice(1).every((m, i) => m.offset === i + 1 && m.value?.toString() === `v${i}`)).to.equal(true);
      expect(await log.offsetByKey('k42')).to.equal(9_943);
    });

    it('consume stops at a segment end locally; JetStream fills maxCount', async function () {
      const log = await fresh();
      await publishBatched(log, gen(6), 3);
      const r = await log.consume(OffsetOldest, 100);
      if (backend.differences.segments) expect(r.messages.length).to.be.at.least(1).and.at.most(6);
      else expect(r.messages.length).to.equal(6);
      expect(r.nextOffset).to.equal(r.messages[r.messages.length - 1]!.offset + 1);
    });
  });

  describe('get', function () {
    it('gets by absolute and relative offsets, ERR_INVALID_OFFSET outside the log', async function () {
      const msgs = gen(4);
      const log = await fresh();
      for (const offset of [OffsetOldest, OffsetNewest, 0, 3]) await expectLogError(() => log.get(offset), 'ERR_INVALID_OFFSET');
      await publishBatched(log, msgs, 1);
      for (let i = 0; i < msgs.length; i++) expect(view(await log.get(i)), `get(${i})`).to.deep.equal(expectedView(msgs[i]!, i));
      await expectLogError(() => log.get(OffsetInvalid), ['ERR_INVALID_OFFSET', 'ERR_INVALID_ARGUMENT']);
      expect(view(await log.get(OffsetOldest))).to.deep.equal(expectedView(msgs[0]!, 0));
      expect(view(await log.get(OffsetNewest))).to.deep.equal(expectedView(msgs[3]!, 3));
      await expectLogError(() => log.get(4), 'ERR_INVALID_OFFSET');
      await expectLogError(() => log.get(1000), 'ERR_INVALID_OFFSET');
    });
  });

  describe('delete', function () {
    it('deleted offsets are ERR_NOT_FOUND, consume skips them, offsets are never reused', async function () {
      const msgs = gen(6);
      const log = await fresh();
      await publishBatched(log, msgs, 1);
      const before = await log.stat();
      const r = await log.delete([0, 1]);
      expect(r.deleted.map((m) => m.offset).sort()).to.deep.equal([0, 1]);
      expect(r.deletedSize).to.equal(log.size(r.deleted[0]!) + log.size(r.deleted[1]!));
      expect((await log.stat()).messages).to.equal(before.messages - 2);
      await expectLogError(() => log.get(0), 'ERR_NOT_FOUND');
      await expectLogError(() => log.getByKey(msgs[0]!.key as string), 'ERR_NOT_FOUND');
      expect(view(await log.get(OffsetOldest))).to.deep.equal(expectedView(msgs[2]!, 2));
      const r2 = await log.consume(OffsetOldest, 2);
      expect(views(r2.messages)).to.deep.equal(expectedViews(msgs.slice(2, 4), 2));
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

  describe('by key', function () {
    it('without a key index: ERR_NO_INDEX', async function () {
      const log = await fresh({ keyIndex: false });
      await expectLogError(() => log.getByKey('key'), 'ERR_NO_INDEX');
      await expectLogError(() => log.offsetByKey('key'), 'ERR_NO_INDEX');
      await expectLogError(() => log.consumeByKey('key', OffsetOldest, 32), 'ERR_NO_INDEX');
    });

    it('finds, consumes and updates keys', async function () {
      const msgs = gen(4);
      const log = await fresh();
      const key = (i: number): string => msgs[i]!.key as string;
      await expectLogError(() => log.getByKey(key(0)), 'ERR_NOT_FOUND');
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
      await expectLogError(() => log.getByKey('key'), 'ERR_NOT_FOUND');
      expect(await log.consumeByKey('key', OffsetOldest, 32)).to.deep.equal({ nextOffset: 4, messages: [] });
      const updates: PublishMessage[] = msgs.map((m) => ({ key: m.key, timeMicros: (m.timeMicros as number) + 3_600_000_000, value: `${m.value as string}world` }));
      await publishBatched(log, updates, 1);
      for (let i = 0; i < msgs.length; i++) {
        expect(view(await log.getByKey(key(i)))).to.deep.equal(expectedView(updates[i]!, 4 + i));
        let r = await log.consumeByKey(key(i), OffsetOldest, 1);
        expect(views(r.messages)).to.deep.equal([expectedView(msgs[i]!, i)]);
        r = await log.consumeByKey(key(i), r.nextOffset, 32);
        expect(r.nextOffset).to.equal(4 + i + 1);
        expect(views(r.messages)).to.deep.equal([expectedView(updates[i]!, 4 + i)]);
      }
      expect(await log.consumeByKey(key(0), OffsetNewest, 32)).to.deep.equal({ nextOffset: 8, messages: [] });
    });

    it('consumeByKey honours maxCount and the start offset', async function () {
      const log = await fresh();
      await log.publish(Array.from({ length: 12 }, (_, i) => ({ key: i % 3 === 0 ? 'x' : `y${i}`, value: `v${i}`, timeMicros: 1_000_000 + i })));
      let r = await log.consumeByKey('x', OffsetOldest, 2);
      expect(r.messages.map((m) => m.offset)).to.deep.equal([0, 3]);
      expect(r.nextOffset).to.equal(4);
      r = await log.consumeByKey('x', r.nextOffset, 10);
      expect(r.messages.map((m) => m.offset)).to.deep.equal([6, 9]);
      expect(r.nextOffset).to.equal(10);
      r = await log.consumeByKey('x', 7, 10);
      expect(r.messages.map((m) => m.offset)).to.deep.equal([9]);
    });

    it('tells apart keys that are prefixes of each other, NUL, unicode, dots, wildcards and binary bytes', async function () {
      const log = await fresh();
      const keys: Array<string | Buffer> = ['a', 'a\0', '\0a', 'aa', 'ä', 'a\u0308', 'a.b', '*', '>', 'a b', '~', '_', '-', 'a.*.>', Buffer.from([0xff, 0x00, 0xfe]), Buffer.from([0xff])];
      for (let i = 0; i < 100; i++) keys.push(`k${i}`);
      await log.publish(keys.map((k, i) => ({ key: k, value: `value of ${i}`, timeMicros: i })));
      for (let i = 0; i < keys.length; i++) {
        const got = await log.getByKey(keys[i]!);
        expect(got.offset, `getByKey(${JSON.stringify(keys[i])})`).to.equal(i);
        expect(Buffer.compare(got.key!, Buffer.from(keys[i]!))).to.equal(0);
        expect(got.value?.toString()).to.equal(`value of ${i}`);
        expect((await log.consumeByKey(keys[i]!, OffsetOldest, 10)).messages.map((m) => m.offset)).to.deep.equal([i]);
      }
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

  describe('by time', function () {
    it('without a time index: ERR_NO_INDEX', async function () {
      const log = await fresh({ timeIndex: false });
      await expectLogError(() => log.getByTime(new Date()), 'ERR_NO_INDEX');
      await expectLogError(() => log.offsetByTime(new Date()), 'ERR_NO_INDEX');
    });

    it('finds the first message at or after a time; empty is ERR_INVALID_OFFSET, after all ERR_NOT_FOUND', async function () {
      const msgs = gen(40);
      const log = await fresh();
      const at = (i: number, deltaMs = 0): Date => new Date((msgs[i]!.timeMicros as number) / 1000 + deltaMs);
      await expectLogError(() => log.getByTime(at(0)), 'ERR_INVALID_OFFSET');
      await expectLogError(() => log.offsetByTime(at(0)), 'ERR_INVALID_OFFSET');
      await publishBatched(log, msgs, 7);
      for (const i of [0, 1, 13, 20, 38, 39]) {
        expect(view(await log.getByTime(at(i)))).to.deep.equal(expectedView(msgs[i]!, i));
        const r = await log.offsetByTime(at(i));
        expect(r.offset).to.equal(i);
        expect(r.time.getTime()).to.equal(at(i).getTime());
      }
      expect((await log.getByTime(at(0, -3_600_000))).offset).to.equal(0);
      await expectLogError(() => log.getByTime(at(39, 3_600_000)), 'ERR_NOT_FOUND');
      await expectLogError(() => log.offsetByTime(at(39, 3_600_000)), 'ERR_NOT_FOUND');
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
      const t = (i: number): Date => new Date((msgs[i]!.timeMicros as number) / 1000);
      expect(view(await log.getByTime(t(1)))).to.deep.equal(expectedView(msgs[1]!, 1));
      expect((await log.getByTime(t(2))).offset).to.equal(1);
      expect((await log.getByTime(t(3))).offset).to.equal(1);
      expect((await log.getByTime(t(4))).offset).to.equal(4);
      expect((await log.get(2)).timeMicros).to.equal(msgs[2]!.timeMicros);
    });
  });

  describe('times, keys and values', function () {
    it('round-trips sub-millisecond, pre-epoch and extreme times exactly; time is the floor in ms', async function () {
      const log = await fresh();
      const times = [1672531200000123, 1672531200000999, 1, 0, -1, -1500, -2_000_000, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
      await log.publish(times.map((t) => ({ value: String(t), timeMicros: t })));
      const got = await consumeAll(log);
      expect(got.map((m) => m.timeMicros)).to.deep.equal(times);
      expect(got.map((m) => m.time.getTime())).to.deep.equal(times.map((t) => Math.floor(t / 1000)));
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
      expect(both!.timeMicros).to.equal(7_000_123);
      expect(time!.timeMicros).to.equal(Date.UTC(2024, 1, 29, 12, 0, 0, 456) * 1000);
      expect(micros!.timeMicros).to.equal(42);
      expect(now!.timeMicros).to.be.at.least(before).and.at.most(after);
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

    it('stores exactly the bytes of a Uint8Array view; later changes to buffers change nothing stored', async function () {
      const log = await fresh();
      const backing = Buffer.from('0123456789abcdef');
      const key = new Uint8Array(backing.buffer, backing.byteOffset + 3, 4);
      const value = backing.subarray(10, 13);
      await log.publish([{ key, value, timeMicros: 1 }]);
      backing.fill(0x21);
      const first = await log.get(0);
      (first.value as Buffer).fill(0x3f);
      for (const m of [await log.get(0), await log.getByKey('3456'), (await log.consume(OffsetOldest, 1)).messages[0]!]) {
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
      await expectLogError(() => log.consumeBlocking(0, 1, {} as AbortSignal), 'ERR_INVALID_ARGUMENT');
      expect(await log.nextOffset()).to.equal(0);
    });
  });

  describe('stat, size, sync, reopen, readonly, backup', function () {
    it('stat counts messages; size(m) of every stored message adds up to stat().size', async function () {
      const log = await fresh();
      await publishBatched(log, [...gen(3), { key: null, value: null, timeMicros: 1 }, { key: 'k', value: null, timeMicros: 2 }, { value: 'v'.repeat(1000), timeMicros: 3 }], 2);
      let sum = 0;
      for (const m of await consumeAll(log)) sum += log.size(m);
      const stat = await log.stat();
      expect(stat.messages).to.equal(6);
      expect(stat.size).to.equal(sum + backend.statOverhead(stat));
      expect(log.size(await log.get(5))).to.be.at.least(log.size(await log.get(4)) + 990);
      expect(await log.sync()).to.equal(6);
    });

    it('a second handle sees the same log and continues its offsets; readonly refuses writes', async function () {
      const place = await backend.place();
      const msgs = gen(6);
      const a = await place.open();
      await publishBatched(a, msgs.slice(0, 4), 2);
      await a.close();
      const b = await place.open();
      expect(await b.nextOffset()).to.equal(4);
      expect((await b.getByKey(msgs[1]!.key as string)).offset).to.equal(1);
      expect(await b.publish(msgs.slice(4))).to.equal(6);
      expect(views(await consumeAll(b))).to.deep.equal(expectedViews(msgs));
      // the chain of index times continues after a reopen
      expect((await b.getByTime(new Date((msgs[5]!.timeMicros as number) / 1000))).offset).to.equal(5);
      await b.close();
      const ro = await place.open({ readonly: true });
      await expectLogError(() => ro.publish([]), 'ERR_READONLY');
      await expectLogError(() => ro.publish([{ value: 'x' }]), 'ERR_READONLY');
      await expectLogError(() => ro.delete([0]), 'ERR_READONLY');
      expect(await ro.nextOffset()).to.equal(6);
      expect(view(await ro.get(2))).to.deep.equal(expectedView(msgs[2]!, 2));
    });

    it('backup writes a local log directory with the same messages, and brings it up to date', async function () {
      const log = await fresh();
      const msgs = gen(5);
      await log.publish(msgs.slice(0, 3));
      await log.delete([1]);
      const dir = await backend.tempDir();
      await log.backup(dir);
      await log.publish(msgs.slice(3));
      await log.backup(dir);
      expect((await readdir(dir)).some((f) => f.endsWith('.log'))).to.equal(true);
      const copy = await openBlocking(dir, { keyIndex: true, timeIndex: true, readonly: true });
      try {
        expect(views(await consumeAll(copy))).to.deep.equal(views(await consumeAll(log)));
        expect(await copy.nextOffset()).to.equal(5);
        expect((await copy.getByKey(msgs[4]!.key as string)).offset).to.equal(4);
      } finally {
        await copy.close();
      }
    });
  });

  describe('retention helpers over the Log interface', function () {
    it('trimByOffsetMulti, trimByCountMulti and compactUpdatesMulti remove the same offsets', async function () {
      const log = await fresh();
      await log.publish(Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `v${i}`, timeMicros: 1_000_000 + i })));
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
      expect((await log.consumeBlocking(1, 10)).messages.map((m) => m.value?.toString())).to.deep.equal(['b', 'c']);
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

    it('never waits from OffsetOldest or OffsetNewest', async function () {
      const log = await fresh();
      expect(await log.consumeBlocking(OffsetNewest, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
      expect(await log.consumeBlocking(OffsetOldest, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
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

    it('wakes on a publish made through another handle of the same log', async function () {
      const place = await backend.place();
      const reader = await place.open();
      await reader.publish([{ value: 'first' }]);
      const wait = reader.consumeBlocking(1, 10);
      await settle();
      const writer = backend.name === 'local' ? null : await place.open();
      if (!writer) {
        // a local log has one writer per directory: its own publish wakes it
        await reader.publish([{ value: 'second' }]);
      } else {
        await writer.publish([{ value: 'second' }]);
      }
      const r = await wait;
      expect(r.messages.map((m) => m.value?.toString())).to.deep.equal(['second']);
    });

    it('rejects with ERR_ABORTED when the signal fires, and ERR_CLOSED when the log closes', async function () {
      const log = await fresh();
      const controller = new AbortController();
      const aborted = log.consumeBlocking(0, 1, controller.signal);
      await settle();
      controller.abort(new Error('stop'));
      await expectLogError(() => aborted, 'ERR_ABORTED');
      await expectLogError(() => log.consumeBlocking(0, 1, AbortSignal.abort()), 'ERR_ABORTED');
      const waiting = log.consumeBlocking(0, 1);
      await settle();
      await log.close();
      await expectLogError(() => waiting, 'ERR_CLOSED');
    });
  });

  describe('close', function () {
    it('is idempotent and every later call rejects with ERR_CLOSED', async function () {
      const log = await fresh();
      await log.publish(gen(2));
      const m = await log.get(0);
      await log.close();
      await log.close();
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
        ['consumeBlocking', () => log.consumeBlocking(5, 1)],
      ];
      for (const [name, call] of calls) {
        await expectLogError(call, 'ERR_CLOSED').catch((e: Error) => {
          throw new Error(`${name} after close: ${e.message}`);
        });
      }
    });

    it('closing while calls are in flight lets them finish or fail with ERR_CLOSED', async function () {
      const log = await fresh();
      const pending = [log.publish(gen(5)), log.consume(OffsetOldest, 10), log.publish(gen(5, 5)), log.getByKey('x').catch(() => null)];
      const closing = log.close();
      const results = await Promise.allSettled(pending);
      await closing;
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as { code?: string }).code, String(r.reason)).to.equal('ERR_CLOSED');
      }
    });
  });
}
