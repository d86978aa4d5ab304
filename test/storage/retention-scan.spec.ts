// The retention helpers scan a local log's segment files record by record
// (no Message per record) and keep what they find in a bitmap: the answers
// are the same plain Sets, every record is still CRC-checked, and damage
// stops a compaction before it deletes anything.
import path from 'node:path';
import { expect } from 'chai';
import { compactUpdatesMultiOffsets, findUpdates, trimByCountMulti } from '../../src/index.js';
import type { Options } from '../../src/index.js';
import { open } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { flipByte, segmentFile, useTempDirs } from '../helpers/fs.js';

const opts: Options = { keyIndex: true, timeIndex: true, rollover: 4096 };
const KEYS = 50;
const TOTAL = 2_000;
const msg = (i: number) => ({ key: `key-${i % KEYS}`, value: `value-${i}`, timeMicros: 1_000_000 + i });

describe('retention scans over segment files', () => {
  const tempDir = useTempDirs('klevdb-retention-scan-');

  async function filled(): Promise<{ dir: string; log: Awaited<ReturnType<typeof open>> }> {
    const dir = await tempDir();
    const log = await open(dir, { ...opts, createDirs: true });
    for (let i = 0; i < TOTAL; i += 100) await log.publish(Array.from({ length: 100 }, (_, k) => msg(i + k)));
    return { dir, log };
  }

  it('findUpdates answers a plain Set of every replaced offset, and compaction keeps the last message of each key', async () => {
    const { log } = await filled();
    expect((await log.stat()).segments).to.be.greaterThan(10);
    const found = await findUpdates(log, new Date(8_640_000_000_000));
    expect(found.constructor).to.equal(Set);
    expect(found.size).to.equal(TOTAL - KEYS);
    expect([...found]).to.deep.equal(Array.from({ length: TOTAL - KEYS }, (_, i) => i));
    const { deleted } = await compactUpdatesMultiOffsets(log, new Date(8_640_000_000_000));
    expect(deleted.size).to.equal(TOTAL - KEYS);
    const left = [];
    for (let next = 0; next < TOTAL;) {
      const got = await log.consume(next, 1000);
      left.push(...got.messages.map((m) => m.offset));
      if (got.messages.length === 0) break;
      next = got.nextOffset;
    }
    expect(left).to.deep.equal(Array.from({ length: KEYS }, (_, i) => TOTAL - KEYS + i));
    // A second run finds nothing more.
    expect((await compactUpdatesMultiOffsets(log, new Date(8_640_000_000_000))).deleted.size).to.equal(0);
    await log.close();
  });

  it('a damaged record in a sealed segment stops the compaction with ERR_CORRUPTED before anything is deleted', async () => {
    const { dir, log } = await filled();
    await log.close();
    // A byte of the 20th record's value in the second segment (V2: 8-byte header, records of 36 + key + value bytes).
    const second = (await open(dir, opts).then(async (l) => {
      const s = (await l.consume(0, 10_000)).nextOffset;
      await l.close();
      return s;
    })) as number;
    await flipByte(path.join(dir, segmentFile(second, 'log')), 8 + 20 * 45 + 40);
    const again = await open(dir, opts);
    await expectLogError(() => compactUpdatesMultiOffsets(again, new Date(8_640_000_000_000)), 'ERR_CORRUPTED');
    await expectLogError(() => trimByCountMulti(again, 1), 'ERR_CORRUPTED');
    expect((await again.stat()).messages).to.equal(TOTAL);
    await again.close();
  });
});
