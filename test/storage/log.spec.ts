// The behaviours of klevdb's log_test.go that only the local log has:
// segment files and rollover, the time index chain across segments and on
// disk, a directory without segments, and the bytes stat() and size() count.
// The rest of log_test.go (publish, consume, get, delete, lookups by key and
// time, reopen, readonly, backup, close) is the shared suite,
// test/contracts/log.contract.ts, run on the local log (log-contract.spec.ts) and on JetStream by
// test/jetstream/log-contract.spec.ts.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { OffsetOldest } from '../../src/index.js';
import type { Log, Options, PublishMessage } from '../../src/index.js';
import { expectLogError } from '../helpers/errors.js';
import { listLogFiles, segmentFile, useTempDirs } from '../helpers/fs.js';
import { useOpenLogs } from '../helpers/open-logs.js';
import {
  consumeAll,
  expectedView,
  gen,
  GEN_V2_SIZE,
  indexItemSize,
  publishBatched,
  V2_HEADER,
  view,
} from '../helpers/messages.js';

const BOTH: Options = { keyIndex: true, timeIndex: true };
const HEADERS = 2 * V2_HEADER; // log + index file headers of one V2 segment

describe('log (klevdb log_test.go)', function () {
  const { openLog } = useOpenLogs();
  // registered after useOpenLogs: logs are closed before their dirs are removed
  const tempDir = useTempDirs('klevdb-log-');
  const freshLog = async (opts: Options = {}): Promise<Log> => openLog(await tempDir(), opts);

  describe('by time (TestByTime)', function () {
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
      expect((await consumeAll(log)).map((m) => m.value?.toString())).to.deep.equal([
        'm0',
        'm1',
        'm2',
        'm3',
        'm4',
        'm5',
      ]);
      expect((await log.stat()).segments).to.equal(6);
    });
  });

  describe('readonly (TestReadonly)', function () {
    // The reads of an empty readonly log are in the shared suite.
    it('an empty directory: creates no segment file', async function () {
      const dir = await tempDir();
      const log = await openLog(dir, { ...BOTH, readonly: true });
      expect((await log.consume(OffsetOldest, 1)).messages).to.deep.equal([]);
      expect(await log.stat()).to.deep.equal({ segments: 0, messages: 0, size: 0 });
      expect(await log.sync()).to.equal(0);
      expect((await listLogFiles(dir)).filter((f) => f.endsWith('.log') || f.endsWith('.index'))).to.deep.equal([]);
    });
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
          { key: 'ü', value: '€', timeMicros: 4 },
        ];
        await publishBatched(log, msgs, 1);
        let sum = 0;
        for (const m of await consumeAll(log)) sum += log.size(m);
        const stat = await log.stat();
        expect(stat.messages).to.equal(7);
        expect(stat.segments).to.equal(7);
        expect(stat.size).to.equal(sum + HEADERS * stat.segments);
        expect(log.size(await log.get(0))).to.equal(GEN_V2_SIZE + indexItemSize(opts));
        expect(log.size(await log.get(3))).to.equal(36 + indexItemSize(opts));
        expect(log.size(await log.get(5))).to.equal(36 + 1000 + indexItemSize(opts));
        // UTF-8 bytes, not characters: 2 for the key, 3 for the value
        expect(log.size(await log.get(6))).to.equal(36 + 2 + 3 + indexItemSize(opts));
      });
    }
  });

  describe('segments and tiny rollovers', function () {
    it('names segment files by their first offset (TestBasic)', async function () {
      const dir = await tempDir();
      const log = await openLog(dir, { rollover: 3 * GEN_V2_SIZE });
      await publishBatched(log, gen(7), 1);
      expect(await listLogFiles(dir)).to.deep.equal(
        [0, 3, 6].flatMap((o) => [segmentFile(o, 'index'), segmentFile(o, 'log')]).sort(),
      );
    });

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
