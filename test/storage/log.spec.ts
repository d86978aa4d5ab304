// The behaviours of klevdb's log_test.go, through the public API.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { OffsetInvalid, OffsetNewest, OffsetOldest } from '../../src/index.js';
import type { Log, Options, PublishMessage } from '../../src/index.js';
import { open } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { listLogFiles, segmentFile, useTempDirs } from '../helpers/fs.js';
import { useOpenLogs } from '../helpers/open-logs.js';
import {
  consumeAll,
  expectedView,
  expectedViews,
  gen,
  GEN_V2_SIZE,
  indexItemSize,
  publishBatched,
  V2_HEADER,
  view,
  views,
} from '../helpers/messages.js';

const BOTH: Options = { keyIndex: true, timeIndex: true };
const HEADERS = 2 * V2_HEADER; // log + index file headers of one V2 segment

describe('log (klevdb log_test.go)', function () {
  const { openLog } = useOpenLogs();
  // registered after useOpenLogs: logs are closed before their dirs are removed
  const tempDir = useTempDirs('klevdb-log-');
  const freshLog = async (opts: Options = {}): Promise<Log> => openLog(await tempDir(), opts);

  describe('basic publish and consume (TestBasic)', function () {
    it('walks an empty log, publishes, rolls over and consumes one segment per call', async function () {
      const msgs = gen(6);
      const log = await freshLog({ rollover: 3 * GEN_V2_SIZE });
      const item = indexItemSize({});

      expect(await log.nextOffset()).to.equal(0);
      expect(await log.stat()).to.deep.equal({ segments: 1, messages: 0, size: HEADERS });

      // empty, relative and absolute
      expect(await log.consume(OffsetOldest, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
      expect(await log.consume(OffsetNewest, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
      expect(await log.consume(0, 10)).to.deep.equal({ nextOffset: 0, messages: [] });
      await expectLogError(() => log.consume(1, 10), 'ERR_INVALID_OFFSET');

      // empty publish
      expect(await log.publish([])).to.equal(0);
      expect(await log.nextOffset()).to.equal(0);

      for (let i = 0; i < 3; i++) {
        expect(await log.publish([msgs[i]])).to.equal(i + 1);
        expect(await log.nextOffset()).to.equal(i + 1);
      }
      expect(await log.stat()).to.deep.equal({ segments: 1, messages: 3, size: 3 * (GEN_V2_SIZE + item) + HEADERS });

      let r = await log.consume(OffsetOldest, 10);
      expect(r.nextOffset).to.equal(3);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(0, 3)));
      expect(await log.consume(OffsetNewest, 10)).to.deep.equal({ nextOffset: 3, messages: [] });
      r = await log.consume(2, 10);
      expect(r.nextOffset).to.equal(3);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(2, 3), 2));
      expect(await log.consume(3, 10)).to.deep.equal({ nextOffset: 3, messages: [] });
      await expectLogError(() => log.consume(4, 10), 'ERR_INVALID_OFFSET');

      // rollover: the head is now over 3 records, so this batch starts segment 3
      expect(await log.publish(msgs.slice(3))).to.equal(6);
      expect(await log.nextOffset()).to.equal(6);
      expect(await log.stat()).to.deep.equal({ segments: 2, messages: 6, size: 6 * (GEN_V2_SIZE + item) + 2 * HEADERS });

      r = await log.consume(OffsetOldest, 10);
      expect(r.nextOffset, 'consume stops at the segment end').to.equal(3);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(0, 3)));
      expect(await log.consume(OffsetNewest, 10)).to.deep.equal({ nextOffset: 6, messages: [] });
      r = await log.consume(0, 3);
      expect(r.nextOffset).to.equal(3);
      r = await log.consume(r.nextOffset, 3);
      expect(r.nextOffset).to.equal(6);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(3), 3));
      expect(await log.consume(6, 10)).to.deep.equal({ nextOffset: 6, messages: [] });
      await expectLogError(() => log.consume(7, 10), 'ERR_INVALID_OFFSET');

      // GC keeps everything readable
      await log.gc(0);
      r = await log.consume(0, 3);
      expect(r.nextOffset).to.equal(3);
      expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(0, 3)));
    });

    it('names segment files by their first offset', async function () {
      const dir = await tempDir();
      const log = await openLog(dir, { rollover: 3 * GEN_V2_SIZE });
      await publishBatched(log, gen(7), 1);
      expect(await listLogFiles(dir)).to.deep.equal(
        [0, 3, 6].flatMap((o) => [segmentFile(o, 'index'), segmentFile(o, 'log')]).sort(),
      );
    });

    it('maxCount limits the messages of one consume', async function () {
      const msgs = gen(10);
      const log = await freshLog();
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
  });

  describe('get (TestGet)', function () {
    it('gets by absolute and relative offsets, ERR_INVALID_OFFSET outside the log', async function () {
      const msgs = gen(4);
      const log = await freshLog({ rollover: 2 * GEN_V2_SIZE });

      for (const offset of [OffsetOldest, OffsetNewest, 0, 3]) {
        await expectLogError(() => log.get(offset), 'ERR_INVALID_OFFSET');
      }
      await publishBatched(log, msgs, 1);
      for (let i = 0; i < msgs.length; i++) {
        expect(view(await log.get(i)), `get(${i})`).to.deep.equal(expectedView(msgs[i], i));
      }
      // klevdb: ErrInvalidOffset; the contract also lets bad offsets be ERR_INVALID_ARGUMENT
      await expectLogError(() => log.get(OffsetInvalid), ['ERR_INVALID_OFFSET', 'ERR_INVALID_ARGUMENT']);
      expect(view(await log.get(OffsetOldest))).to.deep.equal(expectedView(msgs[0], 0));
      expect(view(await log.get(OffsetNewest))).to.deep.equal(expectedView(msgs[3], 3));
      await expectLogError(() => log.get(4), 'ERR_INVALID_OFFSET');
      await expectLogError(() => log.get(1000), 'ERR_INVALID_OFFSET');
      expect((await log.stat()).segments).to.equal(2);
    });
  });

  describe('offsets before the first stored message (TestDelete)', function () {
    it('after the first segment is deleted: get is ERR_NOT_FOUND, consume starts at the oldest', async function () {
      const msgs = gen(6);
      const log = await freshLog({ ...BOTH, rollover: 2 * GEN_V2_SIZE });
      await publishBatched(log, msgs, 1);
      expect((await log.stat()).segments).to.equal(3);
      const deleted = await log.delete([0, 1]);
      expect(deleted.deleted.map((m) => m.offset).sort()).to.deep.equal([0, 1]);
      expect(deleted.deletedSize).to.equal(2 * log.size(deleted.deleted[0]));
      expect(await log.stat()).to.deep.include({ segments: 2, messages: 4 });
      await expectLogError(() => log.get(0), 'ERR_NOT_FOUND');
      await expectLogError(() => log.get(1), 'ERR_NOT_FOUND');
      await expectLogError(() => log.getByKey(msgs[0].key as string), 'ERR_NOT_FOUND');
      expect(view(await log.get(OffsetOldest))).to.deep.equal(expectedView(msgs[2], 2));
      for (const from of [OffsetOldest, 0, 1, 2]) {
        const r = await log.consume(from, 10);
        expect(r.nextOffset, `consume(${from})`).to.equal(4);
        expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(2, 4), 2));
      }
      await expectLogError(() => log.consume(7, 10), 'ERR_INVALID_OFFSET');
      expect(await log.nextOffset()).to.equal(6);
    });
  });

  describe('by key (TestByKey)', function () {
    it('without a key index: ERR_NO_INDEX', async function () {
      const log = await freshLog();
      await expectLogError(() => log.getByKey('key'), 'ERR_NO_INDEX');
      await expectLogError(() => log.offsetByKey('key'), 'ERR_NO_INDEX');
      await expectLogError(() => log.consumeByKey('key', OffsetOldest, 32), 'ERR_NO_INDEX');
    });

    it('finds, consumes and updates keys across segments', async function () {
      const msgs = gen(4);
      const log = await freshLog({ keyIndex: true, rollover: 2 * GEN_V2_SIZE });
      const key = (i: number): string => msgs[i].key as string;

      await expectLogError(() => log.getByKey(key(0)), 'ERR_NOT_FOUND');
      await expectLogError(() => log.offsetByKey(key(0)), 'ERR_NOT_FOUND');
      expect(await log.consumeByKey(key(0), OffsetOldest, 32)).to.deep.equal({ nextOffset: 0, messages: [] });

      await publishBatched(log, msgs, 1);
      for (let i = 0; i < msgs.length; i++) {
        expect(view(await log.getByKey(key(i)))).to.deep.equal(expectedView(msgs[i], i));
        expect(await log.offsetByKey(Buffer.from(key(i)))).to.equal(i);
        const r = await log.consumeByKey(key(i), OffsetOldest, 32);
        expect(r.nextOffset).to.equal(i + 1);
        expect(views(r.messages)).to.deep.equal([expectedView(msgs[i], i)]);
        expect(await log.consumeByKey(key(i), r.nextOffset, 32)).to.deep.equal({ nextOffset: 4, messages: [] });
      }

      // after the only message of the key
      expect(await log.consumeByKey(key(0), 1, 32)).to.deep.equal({ nextOffset: 4, messages: [] });

      // missing key
      await expectLogError(() => log.getByKey('key'), 'ERR_NOT_FOUND');
      await expectLogError(() => log.offsetByKey('key'), 'ERR_NOT_FOUND');
      expect(await log.consumeByKey('key', OffsetOldest, 32)).to.deep.equal({ nextOffset: 4, messages: [] });

      // updates: the last message of a key wins
      const updates: PublishMessage[] = msgs.map((m) => ({
        key: m.key,
        timeMicros: (m.timeMicros as number) + 3_600_000_000,
        value: `${m.value as string}world`,
      }));
      await publishBatched(log, updates, 1);
      for (let i = 0; i < msgs.length; i++) {
        expect(view(await log.getByKey(key(i)))).to.deep.equal(expectedView(updates[i], 4 + i));
        expect(await log.offsetByKey(key(i))).to.equal(4 + i);
        let r = await log.consumeByKey(key(i), OffsetOldest, 32);
        expect(r.nextOffset).to.equal(i + 1);
        expect(views(r.messages)).to.deep.equal([expectedView(msgs[i], i)]);
        r = await log.consumeByKey(key(i), r.nextOffset, 32);
        expect(r.nextOffset).to.equal(4 + i + 1);
        expect(views(r.messages)).to.deep.equal([expectedView(updates[i], 4 + i)]);
      }
      expect((await log.stat()).segments).to.equal(4);
      expect(await log.consumeByKey(key(0), OffsetNewest, 32)).to.deep.equal({ nextOffset: 8, messages: [] });
    });

    it('consumeByKey honours maxCount and the start offset within a segment', async function () {
      const log = await freshLog({ keyIndex: true });
      const msgs: PublishMessage[] = Array.from({ length: 12 }, (_, i) => ({
        key: i % 3 === 0 ? 'x' : `y${i}`,
        value: `v${i}`,
        timeMicros: 1_000_000 + i,
      }));
      await log.publish(msgs);
      let r = await log.consumeByKey('x', OffsetOldest, 2);
      expect(r.messages.map((m) => m.offset)).to.deep.equal([0, 3]);
      expect(r.nextOffset).to.equal(4);
      r = await log.consumeByKey('x', r.nextOffset, 10);
      expect(r.messages.map((m) => m.offset)).to.deep.equal([6, 9]);
      expect(r.nextOffset).to.equal(10);
      r = await log.consumeByKey('x', 7, 10);
      expect(r.messages.map((m) => m.offset)).to.deep.equal([9]);
    });

    it('resolves many keys, including prefixes of each other and empty/NUL variants', async function () {
      const log = await freshLog({ keyIndex: true, rollover: 4096 });
      const keys: string[] = [];
      for (let i = 0; i < 1500; i++) keys.push(`k${i}`);
      keys.push('a', 'a\0', '\0a', 'aa', 'ä', 'a\u0308');
      const msgs = keys.map((k, i) => ({ key: k, value: `value of ${i}`, timeMicros: 1_000_000 * i }));
      for (let i = 0; i < msgs.length; i += 100) await log.publish(msgs.slice(i, i + 100));
      expect((await log.stat()).segments).to.be.greaterThan(3);
      for (let i = 0; i < keys.length; i++) {
        const got = await log.getByKey(keys[i]);
        expect(got.offset, `getByKey(${JSON.stringify(keys[i])})`).to.equal(i);
        expect(got.value?.toString()).to.equal(`value of ${i}`);
      }
      await expectLogError(() => log.getByKey('k1500'), 'ERR_NOT_FOUND');
      await expectLogError(() => log.getByKey('a\0\0'), 'ERR_NOT_FOUND');
    });

    it('an empty key finds the last message stored without a key (empty and null are the same)', async function () {
      const log = await freshLog({ keyIndex: true });
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
      const log = await freshLog();
      await expectLogError(() => log.getByTime(new Date()), 'ERR_NO_INDEX');
      await expectLogError(() => log.offsetByTime(new Date()), 'ERR_NO_INDEX');
    });

    it('finds the first message at or after a time, across segments', async function () {
      const msgs = gen(4);
      const log = await freshLog({ timeIndex: true, rollover: 2 * GEN_V2_SIZE });
      const at = (i: number, deltaMs = 0): Date => new Date((msgs[i].timeMicros as number) / 1000 + deltaMs);

      await expectLogError(() => log.getByTime(at(0)), 'ERR_INVALID_OFFSET');
      await expectLogError(() => log.offsetByTime(at(0)), 'ERR_INVALID_OFFSET');

      await publishBatched(log, msgs, 1);
      for (let i = 0; i < msgs.length; i++) {
        expect(view(await log.getByTime(at(i)))).to.deep.equal(expectedView(msgs[i], i));
        const r = await log.offsetByTime(at(i));
        expect(r.offset).to.equal(i);
        expect(r.time.getTime()).to.equal(at(i).getTime());
      }
      // before all
      expect((await log.getByTime(at(0, -3_600_000))).offset).to.equal(0);
      expect((await log.offsetByTime(at(0, -3_600_000))).offset).to.equal(0);
      // after all
      await expectLogError(() => log.getByTime(at(3, 3_600_000)), 'ERR_NOT_FOUND');
      await expectLogError(() => log.offsetByTime(at(3, 3_600_000)), 'ERR_NOT_FOUND');
      // between two messages (and between two segments)
      expect((await log.getByTime(at(2, -1))).offset).to.equal(2);
      expect((await log.getByTime(at(1, 1))).offset).to.equal(2);
    });

    it('uses the monotonic index time when message times go back', async function () {
      const msgs = gen(5);
      [msgs[1], msgs[3]] = [msgs[3], msgs[1]];
      const log = await freshLog({ timeIndex: true });
      await publishBatched(log, msgs, 1);
      const t = (i: number): Date => new Date((msgs[i].timeMicros as number) / 1000);
      expect(view(await log.getByTime(t(1)))).to.deep.equal(expectedView(msgs[1], 1));
      expect((await log.getByTime(t(2))).offset).to.equal(1);
      expect((await log.getByTime(t(3))).offset).to.equal(1);
      expect((await log.getByTime(t(4))).offset).to.equal(4);
      // the stored message time is not changed by the index
      expect((await log.get(2)).timeMicros).to.equal(msgs[2].timeMicros);
    });

    it('carries the index time chain across a rollover', async function () {
      const log = await freshLog({ timeIndex: true, rollover: 10 });
      await log.publish([{ value: 'late', timeMicros: 10_000_000 }]);
      await log.publish([{ value: 'early', timeMicros: 5_000_000 }]);
      expect((await log.stat()).segments).to.equal(2);
      // index times are [10s] and [10s (carried)]: 7s is before both, so the first message answers
      expect((await log.getByTime(new Date(7_000))).offset).to.equal(0);
      // klevdb asks the segments newest first: the head's first item matches 10s exactly
      expect((await log.getByTime(new Date(10_000))).offset).to.equal(1);
      // offsetByTime answers with the message's own time, not the index time
      const byTime = await log.offsetByTime(new Date(10_000));
      expect(byTime.offset).to.equal(1);
      expect(byTime.time.getTime()).to.equal(5_000);
      await expectLogError(() => log.getByTime(new Date(10_001)), 'ERR_NOT_FOUND');
    });
  });

  describe('reopen (TestReopen)', function () {
    for (const rollover of [0, 2 * GEN_V2_SIZE]) {
      it(`continues offsets and reads everything back (rollover ${rollover})`, async function () {
        const msgs = gen(6);
        const dir = await tempDir();
        let log = await openLog(dir, { ...BOTH, rollover });
        await publishBatched(log, msgs.slice(0, 4), 1);
        await log.close();

        log = await openLog(dir, { ...BOTH, rollover });
        expect(await log.nextOffset()).to.equal(4);
        expect(views(await consumeAll(log))).to.deep.equal(expectedViews(msgs.slice(0, 4)));
        if (rollover > 0) {
          const r = await log.consume(OffsetOldest, 4);
          expect(r.nextOffset).to.equal(2);
        }
        for (let i = 0; i < 4; i++) {
          expect((await log.getByKey(msgs[i].key as string)).offset).to.equal(i);
        }
        expect(await log.publish(msgs.slice(4))).to.equal(6);
        expect(views(await consumeAll(log))).to.deep.equal(expectedViews(msgs));
      });
    }

    it('continues the head index time chain after a reopen', async function () {
      const dir = await tempDir();
      let log = await openLog(dir, BOTH);
      await log.publish([
        { key: 'a', value: '1', timeMicros: 1_000_000 },
        { key: 'b', value: '2', timeMicros: 10_000_000 },
      ]);
      await log.close();
      log = await openLog(dir, BOTH);
      await log.publish([{ key: 'c', value: '3', timeMicros: 5_000_000 }]);
      await log.sync();
      // the third index item (32 bytes each after the 8-byte header): timestamp at bytes 16..24
      const index = await readFile(path.join(dir, segmentFile(0, 'index')));
      expect(index.length).to.equal(8 + 3 * 32);
      expect(index.readBigInt64BE(8 + 2 * 32 + 16)).to.equal(10_000_000n);
      expect(index.readBigInt64BE(8 + 2 * 32 + 0), 'item offset').to.equal(2n);
      expect((await log.get(2)).timeMicros).to.equal(5_000_000);
      expect((await log.getByTime(new Date(5_000))).offset).to.equal(1);
    });

    it('keeps offsets after reopening a log whose last segment rolled over', async function () {
      const dir = await tempDir();
      let log = await openLog(dir, { rollover: 10 });
      for (let i = 0; i < 5; i++) await log.publish([{ value: `m${i}`, timeMicros: i }]);
      await log.close();
      log = await openLog(dir, { rollover: 10 });
      expect(await log.nextOffset()).to.equal(5);
      expect(await log.publish([{ value: 'm5', timeMicros: 5 }])).to.equal(6);
      expect((await consumeAll(log)).map((m) => m.value?.toString())).to.deep.equal(
        ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'],
      );
      expect((await log.stat()).segments).to.equal(6);
    });
  });

  describe('readonly (TestReadonly)', function () {
    it('an empty directory: reads as empty, writes are ERR_READONLY', async function () {
      const dir = await tempDir();
      const log = await openLog(dir, { ...BOTH, readonly: true });
      await expectLogError(() => log.publish([]), 'ERR_READONLY');
      await expectLogError(() => log.publish([{ value: 'x' }]), 'ERR_READONLY');
      await expectLogError(() => log.delete([]), 'ERR_READONLY');
      expect(await log.nextOffset()).to.equal(0);
      expect(await log.consume(OffsetOldest, 1)).to.deep.equal({ nextOffset: 0, messages: [] });
      expect(await log.consume(OffsetNewest, 1)).to.deep.equal({ nextOffset: 0, messages: [] });
      expect(await log.consume(0, 1)).to.deep.equal({ nextOffset: 0, messages: [] });
      await expectLogError(() => log.consume(1, 1), 'ERR_INVALID_OFFSET');
      for (const offset of [OffsetOldest, OffsetNewest, 0, 1]) {
        await expectLogError(() => log.get(offset), 'ERR_INVALID_OFFSET');
      }
      await expectLogError(() => log.getByKey('abc'), 'ERR_NOT_FOUND');
      await expectLogError(() => log.getByTime(new Date()), 'ERR_INVALID_OFFSET');
      expect(await log.stat()).to.deep.equal({ segments: 0, messages: 0, size: 0 });
      await log.backup(await tempDir());
      expect(await log.sync()).to.equal(0);
      expect((await listLogFiles(dir)).filter((f) => f.endsWith('.log')), 'readonly creates no segment').to.deep.equal([]);
      await log.close();
    });

    for (const rollover of [0, 2 * GEN_V2_SIZE]) {
      it(`a written log (rollover ${rollover}): reads, stat, backup and sync`, async function () {
        const msgs = gen(4);
        const dir = await tempDir();
        const writer = await openLog(dir, { ...BOTH, rollover });
        await publishBatched(writer, msgs, 1);
        await writer.close();

        const log = await openLog(dir, { ...BOTH, readonly: true });
        const segments = rollover ? 2 : 1;
        const first = rollover ? 2 : 4;
        await expectLogError(() => log.publish([]), 'ERR_READONLY');
        await expectLogError(() => log.delete([0]), 'ERR_READONLY');
        expect(await log.nextOffset()).to.equal(4);

        let r = await log.consume(OffsetOldest, 4);
        expect(r.nextOffset).to.equal(first);
        expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(0, first)));
        expect(await log.consume(OffsetNewest, 4)).to.deep.equal({ nextOffset: 4, messages: [] });
        r = await log.consume(2, 4);
        expect(r.nextOffset).to.equal(4);
        expect(views(r.messages)).to.deep.equal(expectedViews(msgs.slice(2), 2));
        expect(await log.consume(4, 4)).to.deep.equal({ nextOffset: 4, messages: [] });
        await expectLogError(() => log.consume(5, 1), 'ERR_INVALID_OFFSET');

        expect(view(await log.get(OffsetOldest))).to.deep.equal(expectedView(msgs[0], 0));
        expect(view(await log.get(OffsetNewest))).to.deep.equal(expectedView(msgs[3], 3));
        expect(view(await log.get(2))).to.deep.equal(expectedView(msgs[2], 2));
        await expectLogError(() => log.get(5), 'ERR_INVALID_OFFSET');
        expect((await log.getByKey(msgs[1].key as string)).offset).to.equal(1);
        expect((await log.getByTime(new Date((msgs[2].timeMicros as number) / 1000))).offset).to.equal(2);

        const stat = await log.stat();
        const item = indexItemSize(BOTH);
        expect(stat).to.deep.equal({ segments, messages: 4, size: 4 * (GEN_V2_SIZE + item) + segments * HEADERS });
        expect(log.size(await log.get(0))).to.equal(GEN_V2_SIZE + item);

        const bdir = await tempDir();
        await log.backup(bdir);
        const copy = await openLog(bdir, { ...BOTH, readonly: true });
        expect(await copy.stat()).to.deep.equal(stat);
        expect(views(await consumeAll(copy))).to.deep.equal(expectedViews(msgs));
        expect(await log.sync()).to.equal(4);
      });
    }
  });

  describe('stat and size (TestStat)', function () {
    for (const [name, opts] of [
      ['no index', {}],
      ['keys', { keyIndex: true }],
      ['times', { timeIndex: true }],
      ['both', BOTH],
    ] as [string, Options][]) {
      it(`counts segments, messages and bytes (${name})`, async function () {
        const log = await freshLog({ ...opts, rollover: 10 });
        const msgs: PublishMessage[] = [
          ...gen(3),
          { key: null, value: null, timeMicros: 1 },
          { key: 'k', value: null, timeMicros: 2 },
          { key: null, value: 'v'.repeat(1000), timeMicros: 3 },
        ];
        await publishBatched(log, msgs, 1);
        let sum = 0;
        for (const m of await consumeAll(log)) sum += log.size(m);
        const stat = await log.stat();
        expect(stat.messages).to.equal(6);
        expect(stat.segments).to.equal(6);
        expect(stat.size).to.equal(sum + HEADERS * stat.segments);
        expect(log.size((await log.get(3)))).to.equal(36 + indexItemSize(opts));
        expect(log.size((await log.get(5)))).to.equal(36 + 1000 + indexItemSize(opts));
      });
    }
  });

  describe('backup (TestBackup)', function () {
    for (const rollover of [0, 2 * GEN_V2_SIZE]) {
      it(`the copy opens with the same messages (rollover ${rollover})`, async function () {
        const msgs = gen(3);
        const log = await freshLog({ ...BOTH, rollover });
        await publishBatched(log, msgs, 1);
        const bdir = await tempDir();
        await log.backup(bdir);
        const copy = await openLog(bdir, BOTH);
        let offset = OffsetOldest;
        for (;;) {
          const a = await log.consume(offset, 1);
          const b = await copy.consume(offset, 1);
          expect(b.nextOffset).to.equal(a.nextOffset);
          expect(views(b.messages)).to.deep.equal(views(a.messages));
          if (a.nextOffset === offset) break;
          offset = a.nextOffset;
        }
        expect(await copy.stat()).to.deep.equal(await log.stat());
        // the copy is an independent log
        expect(await copy.publish([{ value: 'only in the copy' }])).to.equal(4);
        expect(await log.nextOffset()).to.equal(3);
      });
    }

    it('backing up a log while it is written gives a consistent prefix', async function () {
      const msgs = Array.from({ length: 400 }, (_, i) => ({ key: `k${i % 17}`, value: `value-${i}`.repeat(i % 9), timeMicros: 1_000_000 + i }));
      const log = await freshLog({ ...BOTH, rollover: 2048 });
      await log.publish(msgs.slice(0, 50));
      const bdirs = [await tempDir(), await tempDir(), await tempDir()];
      const writes = (async () => {
        for (let i = 50; i < msgs.length; i += 5) await log.publish(msgs.slice(i, i + 5));
      })();
      const backups = (async () => {
        for (const b of bdirs) {
          await log.backup(b);
          await new Promise((r) => setImmediate(r));
        }
      })();
      await Promise.all([writes, backups]);
      expect(await log.nextOffset()).to.equal(msgs.length);
      for (const b of bdirs) {
        const copy = await openLog(b, { ...BOTH, check: true });
        const n = await copy.nextOffset();
        expect(n).to.be.at.least(50).and.at.most(msgs.length);
        expect(views(await consumeAll(copy))).to.deep.equal(expectedViews(msgs.slice(0, n)));
        expect(await copy.offsetByKey('k3')).to.equal(lastIndexOfKey(msgs.slice(0, n), 'k3'));
        await copy.close();
      }
    });
  });

  describe('backup into the same directory again', function () {
    it('brings an older backup up to date', async function () {
      const log = await freshLog({ ...BOTH, rollover: 2 * GEN_V2_SIZE });
      await publishBatched(log, gen(3), 1);
      const bdir = await tempDir();
      await log.backup(bdir);
      await publishBatched(log, gen(4, 3), 1);
      await log.backup(bdir);
      const copy = await openLog(bdir, { ...BOTH, check: true });
      expect(await copy.nextOffset()).to.equal(7);
      expect(views(await consumeAll(copy))).to.deep.equal(expectedViews(gen(7)));
      expect(await copy.stat()).to.deep.equal(await log.stat());
    });
  });

  describe('buffers', function () {
    it('stores exactly the bytes of a Uint8Array view (byteOffset and length respected)', async function () {
      const log = await freshLog({ keyIndex: true });
      const backing = Buffer.from('0123456789abcdef');
      const key = new Uint8Array(backing.buffer, backing.byteOffset + 3, 4); // "3456"
      const value = backing.subarray(10, 13); // "abc"
      await log.publish([{ key, value, timeMicros: 1 }]);
      const m = await log.get(0);
      expect(m.key?.toString()).to.equal('3456');
      expect(m.value?.toString()).to.equal('abc');
      expect((await log.getByKey(Buffer.from('3456'))).offset).to.equal(0);
      expect(log.size(m)).to.equal(36 + 7 + indexItemSize({ keyIndex: true }));
    });

    it('later changes to published or returned buffers do not change what is stored', async function () {
      const log = await freshLog({ keyIndex: true, rollover: 100 });
      const key = Buffer.from('key');
      const value = Buffer.from('value');
      await log.publish([{ key, value, timeMicros: 1 }]);
      key.fill(0x21);
      value.fill(0x21);
      const first = await log.get(0);
      (first.value as Buffer).fill(0x3f);
      (first.key as Buffer).fill(0x3f);
      const consumed = await log.consume(0, 1);
      (consumed.messages[0].value as Buffer).fill(0x2a);
      for (const m of [await log.get(0), await log.getByKey('key'), (await log.consume(OffsetOldest, 1)).messages[0]]) {
        expect(m.key?.toString()).to.equal('key');
        expect(m.value?.toString()).to.equal('value');
      }
    });

    it('publishes a batch of 10,000 messages at once with the right offsets', async function () {
      const log = await freshLog({ ...BOTH, rollover: 4096 });
      await log.publish([{ value: 'before' }]);
      const msgs = Array.from({ length: 10_000 }, (_, i) => ({ key: `k${i % 100}`, value: `v${i}`, timeMicros: i }));
      expect(await log.publish(msgs)).to.equal(10_001);
      expect((await log.stat()).segments, 'a batch is never split').to.equal(1);
      const r = await log.consume(1, 20_000);
      expect(r.messages.length).to.equal(10_000);
      expect(r.messages.every((m, i) => m.offset === i + 1 && m.value?.toString() === `v${i}`)).to.equal(true);
      expect(await log.offsetByKey('k42')).to.equal(9_943);
      expect(await log.publish([{ value: 'after' }])).to.equal(10_002);
      expect((await log.stat()).segments, 'the next batch rolls over').to.equal(2);
    });
  });

  describe('sync', function () {
    it('returns the next offset that is durable', async function () {
      const log = await freshLog();
      expect(await log.sync()).to.equal(0);
      await log.publish(gen(3));
      expect(await log.sync()).to.equal(3);
      await log.publish(gen(2, 3));
      expect(await log.sync()).to.equal(5);
    });
  });

  describe('close', function () {
    it('is idempotent, every later call rejects with ERR_CLOSED, and the directory can be reopened', async function () {
      const dir = await tempDir();
      const log = await open(dir, BOTH);
      await log.publish(gen(2));
      const m = await log.get(0);
      await log.close();
      await log.close();
      const calls: [string, () => Promise<unknown>][] = [
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
      ];
      for (const [name, call] of calls) {
        await expectLogError(call, 'ERR_CLOSED').catch((e: Error) => {
          throw new Error(`${name} after close: ${e.message}`);
        });
      }
      const bdir = await tempDir();
      await expectLogError(() => log.backup(bdir), 'ERR_CLOSED');

      const again = await openLog(dir, BOTH);
      expect(await again.nextOffset()).to.equal(2);
    });

    it('closing while calls are in flight lets them finish or fail with ERR_CLOSED', async function () {
      const log = await open(await tempDir(), BOTH);
      const pending = [
        log.publish(gen(5)),
        log.consume(OffsetOldest, 10),
        log.publish(gen(5, 5)),
      ];
      const closing = log.close();
      const results = await Promise.allSettled(pending);
      await closing;
      for (const r of results) {
        if (r.status === 'rejected') {
          expect((r.reason as { code?: string }).code, String(r.reason)).to.equal('ERR_CLOSED');
        }
      }
    });
  });

  describe('times and empty values', function () {
    it('round-trips sub-millisecond and pre-epoch times exactly; time is the floor in ms', async function () {
      const log = await freshLog({ timeIndex: true });
      const times = [1672531200000123, 1672531200000999, 1, 0, -1, -1500, -2_000_000, 8_000_000_000_000_000, -8_000_000_000_000_000];
      await log.publish(times.map((t) => ({ value: String(t), timeMicros: t })));
      const got = await consumeAll(log);
      expect(got.map((m) => m.timeMicros)).to.deep.equal(times);
      expect(got.map((m) => m.time.getTime())).to.deep.equal(times.map((t) => Math.floor(t / 1000)));
      for (const m of got) view(m);
    });

    it('accepts the whole safe-integer range of timeMicros', async function () {
      const log = await freshLog({ timeIndex: true });
      const times = [Number.MIN_SAFE_INTEGER, -1, Number.MAX_SAFE_INTEGER, 0];
      await log.publish(times.map((t) => ({ value: 'x', timeMicros: t })));
      const got = await consumeAll(log);
      expect(got.map((m) => m.timeMicros)).to.deep.equal(times);
      for (const m of got) expect(m.time.getTime()).to.equal(Math.floor(m.timeMicros / 1000));
      const top = new Date(Math.floor(Number.MAX_SAFE_INTEGER / 1000));
      expect((await log.getByTime(top)).offset).to.equal(2);
      expect((await log.getByTime(new Date(0))).offset, 'the pre-epoch first message has index time 0').to.equal(0);
    });

    it('timeMicros wins over time; time alone is taken at ms precision; neither is now', async function () {
      const log = await freshLog();
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
      const log = await freshLog({ keyIndex: true });
      await log.publish([
        { key: '', value: '' },
        { key: null, value: null },
        { key: new Uint8Array(0), value: Buffer.alloc(0) },
        {},
        { key: 'k', value: null },
        { key: 'k2', value: new Uint8Array([0, 1, 2]) },
        { key: 'ü', value: '€' },
      ]);
      const got = await consumeAll(log);
      expect(got.map((m) => [m.key, m.value])).to.deep.equal([
        [null, null],
        [null, null],
        [null, null],
        [null, null],
        [Buffer.from('k'), null],
        [Buffer.from('k2'), Buffer.from([0, 1, 2])],
        [Buffer.from('ü'), Buffer.from('€')],
      ]);
      expect((await log.getByKey('k')).value).to.equal(null);
      expect(log.size(got[6])).to.equal(36 + 2 + 3 + indexItemSize({ keyIndex: true }));
    });
  });

  describe('segments and tiny rollovers', function () {
    it('consumes across many one-message segments, one segment per call', async function () {
      const log = await freshLog({ ...BOTH, rollover: 10 });
      const msgs = gen(12);
      await publishBatched(log, msgs, 1);
      expect((await log.stat()).segments).to.equal(12);
      let offset = OffsetOldest;
      let calls = 0;
      const seen: number[] = [];
      for (;;) {
        const r = await log.consume(offset, 100);
        if (r.nextOffset === offset) break;
        calls++;
        expect(r.messages.length, 'one segment holds one message').to.equal(1);
        seen.push(...r.messages.map((m) => m.offset));
        offset = r.nextOffset;
      }
      expect(calls).to.equal(12);
      expect(seen).to.deep.equal([...Array(12).keys()]);
      for (let i = 0; i < 12; i++) {
        expect(view(await log.get(i))).to.deep.equal(expectedView(msgs[i], i));
        expect((await log.consume(i, 5)).messages.map((m) => m.offset)).to.deep.equal([i]);
      }
    });

    it('never splits a batch: a segment can exceed the rollover', async function () {
      const dir = await tempDir();
      const log = await openLog(dir, { rollover: 100 });
      await log.publish(gen(5));
      await log.publish(gen(3, 5));
      expect(await listLogFiles(dir)).to.deep.equal([
        segmentFile(0, 'index'),
        segmentFile(0, 'log'),
        segmentFile(5, 'index'),
        segmentFile(5, 'log'),
      ]);
      const r = await log.consume(OffsetOldest, 100);
      expect(r.messages.length).to.equal(5);
    });

    it('rolls over only when the head is strictly larger than the rollover', async function () {
      const dir = await tempDir();
      const log = await openLog(dir, { rollover: V2_HEADER + 2 * GEN_V2_SIZE });
      await publishBatched(log, gen(3), 1);
      // after 2 records the head equals the rollover: the 3rd still goes there
      expect((await log.stat()).segments).to.equal(1);
      await log.publish(gen(1, 3));
      expect((await log.stat()).segments).to.equal(2);
      expect((await log.consume(OffsetOldest, 10)).nextOffset).to.equal(3);
    });
  });
});

function lastIndexOfKey(msgs: PublishMessage[], key: string): number {
  for (let i = msgs.length - 1; i >= 0; i--) if (msgs[i].key === key) return i;
  return -1;
}
