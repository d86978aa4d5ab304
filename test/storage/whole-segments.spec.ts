// The multi helpers remove a sealed segment that loses every record by name,
// without reading it again (src/storage/scan-memo.ts): what they answer must
// be what a rewrite would have answered, the messages they return views of
// the chunks their scan read that nothing else touches, and the files
// renamed on the way out must never be read as a segment, by this library
// or a crash-interrupted directory's next open.
import { expect } from 'chai';
import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  check,
  compactUpdatesMulti,
  compactUpdatesMultiOffsets,
  findDeletes,
  findUpdates,
  open,
  partialResult,
  trimByCountMulti,
  V1,
  V2,
} from '../../src/index.js';
import type { DeleteResult, Log, Options, PublishMessage } from '../../src/index.js';
import { useTempDirs } from '../helpers/fs.js';
import { consumeAll, expectedView, GEN_BASE_MICROS, views } from '../helpers/messages.js';
import type { MessageView } from '../helpers/messages.js';
import { leftoverFiles, segmentOffsets } from '../helpers/segments.js';

const KEYS = 10;
const FAR = new Date(8_640_000_000_000_000);

/** Message i updates key i % KEYS; values of varied size, some empty (null on disk). */
const update = (i: number): PublishMessage => ({
  key: `key-${i % KEYS}`,
  value: i % 17 === 0 ? null : Buffer.alloc(20 + ((i * 7) % 90), i & 0xff),
  timeMicros: GEN_BASE_MICROS + i * 1_000,
});

const OPTIONS: Options = { createDirs: true, keyIndex: true, timeIndex: true, rollover: 2048 };

async function publishUpdates(log: Log, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 25)
    await log.publish(Array.from({ length: Math.min(25, from + count - i) }, (_, j) => update(i + j)));
}

/** Offsets from..to-1 minus the newest of each key: what compacting them all removes. */
function replaced(held: number[]): Set<number> {
  const newest = new Map<string, number>();
  for (const o of held) newest.set(`key-${o % KEYS}`, o);
  const keep = new Set(newest.values());
  return new Set(held.filter((o) => !keep.has(o)));
}

describe('multi helpers remove whole segments by name', function () {
  this.timeout(60_000);
  const tempDir = useTempDirs('klevdb-whole-');

  it('compactUpdatesMulti returns every replaced message, byte for byte, and they stay intact as the log goes on', async function () {
    const dir = await tempDir();
    const log = await open(dir, OPTIONS);
    await publishUpdates(log, 0, 1_500);
    const before = await segmentOffsets(dir);
    expect(before.length, 'segments before').to.be.greaterThan(30);
    const all = await consumeAll(log, 500);
    const gone = replaced(all.map((m) => m.offset));
    const expected: MessageView[] = all
      .filter((m) => gone.has(m.offset))
      .map((m) => expectedView(update(m.offset), m.offset));

    const { deleted, deletedSize } = await compactUpdatesMulti(log, FAR);
    expect(views(deleted), 'the deleted messages').to.deep.equal(expected);
    expect(deletedSize, 'deletedSize: records and index items').to.equal(
      all.filter((m) => gone.has(m.offset)).reduce((sum, m) => sum + log.size(m), 0),
    );
    const after = await segmentOffsets(dir);
    expect(after.length, 'segments left: those holding the newest of a key').to.be.lessThan(4);
    expect(views(await consumeAll(log)), 'what the log holds').to.deep.equal(
      all.filter((m) => !gone.has(m.offset)).map((m) => expectedView(update(m.offset), m.offset)),
    );

    // A caller may write into what it got: neither the log nor the other messages change.
    deleted[0]!.value?.fill(0xee);
    expect(views(deleted.slice(1)), 'the other messages').to.deep.equal(expected.slice(1));
    expected[0] = views(deleted.slice(0, 1))[0]!;

    // The log goes on: publishes into new segments, another compaction, close.
    await publishUpdates(log, 1_500, 500);
    const second = await compactUpdatesMulti(log, FAR);
    expect(second.deleted.length, 'the second compaction').to.be.greaterThan(400);
    await log.close();
    expect(views(deleted), 'the first answer, after all that').to.deep.equal(expected);
    // The renamed files are unlinked in the background; close waits for that.
    expect(await leftoverFiles(dir), 'files left after close').to.deep.equal([]);
    await check(dir, OPTIONS);
  });

  for (const version of [V1, V2]) {
    it(`${version.name}: segments of several read chunks, records cut by a chunk's end, times before 1970: every message exact, and an abort hands back those deleted so far`, async function () {
      const dir = await tempDir();
      // 3 MiB segments are read in 1 MiB chunks; odd value sizes put records across each chunk's end.
      const options: Options = { ...OPTIONS, rollover: 3 << 20, version: { newSegmentsVersion: version } };
      const big = (i: number): PublishMessage => ({
        key: `key-${i % KEYS}`,
        value: i % 13 === 0 ? null : Buffer.alloc(1_000 + ((i * 4_099) % 7_001), i & 0xff),
        // From ten seconds before the epoch on, some microseconds not on a millisecond.
        timeMicros: -10_000_000 + i * 1_013,
      });
      const log = await open(dir, options);
      try {
        for (let i = 0; i < 3_200; i += 100) await log.publish(Array.from({ length: 100 }, (_, j) => big(i + j)));
        expect((await segmentOffsets(dir)).length, 'segments').to.be.greaterThan(3);
        const all = await consumeAll(log, 500);
        const gone = replaced(all.map((m) => m.offset));
        const expected = all.filter((m) => gone.has(m.offset)).map((m) => expectedView(big(m.offset), m.offset));

        // Aborted after the first round (the whole segments): the error carries what that round deleted.
        const controller = new AbortController();
        const err: unknown = await compactUpdatesMulti(
          log,
          FAR,
          async () => controller.abort(),
          controller.signal,
        ).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, 'the abort').to.have.property('code', 'ERR_ABORTED');
        const partial = (partialResult(err) as DeleteResult).deleted;
        expect(partial.length, 'the first round deleted something').to.be.greaterThan(0);
        expect(views(partial), 'what the first round deleted').to.deep.equal(expected.slice(0, partial.length));
        const rest = await compactUpdatesMulti(log, FAR);
        expect(views(rest.deleted), 'what the second call deleted').to.deep.equal(expected.slice(partial.length));
        expect(views(await consumeAll(log)), 'what the log holds').to.deep.equal(
          all.filter((m) => !gone.has(m.offset)).map((m) => expectedView(big(m.offset), m.offset)),
        );
      } finally {
        await log.close();
      }
      await check(dir, options);
    });
  }

  it('compactUpdatesMulti of 150,000 messages gives the event loop turns while it builds them, after its last round', async function () {
    const dir = await tempDir();
    const log = await open(dir, { ...OPTIONS, rollover: 1 << 20 });
    try {
      for (let i = 0; i < 150_000; i += 5_000)
        await log.publish(Array.from({ length: 5_000 }, (_, j) => ({ key: `k${(i + j) % 3}`, value: 'v' })));
      let turns = 0;
      let turnsAfterLastRound = 0;
      let ticking = true;
      const tick = (): void => {
        turns++;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      const backoff = async (): Promise<void> => {
        turnsAfterLastRound = turns;
        await new Promise((resolve) => setImmediate(resolve));
      };
      const { deleted } = await compactUpdatesMulti(log, FAR, backoff);
      ticking = false;
      expect(deleted.length, 'deleted').to.equal(150_000 - 3);
      expect(deleted.at(-1)!.offset, 'the last one deleted').to.equal(150_000 - 4);
      // The build makes ~65,000 messages between turns; the rounds alone would leave none after the last backoff.
      expect(turns - turnsAfterLastRound, 'turns after the last backoff').to.be.at.least(2);
    } finally {
      await log.close();
    }
  });

  it('compactUpdatesMultiOffsets answers a real Set, in ascending order, and the same deletedSize as the messages variant', async function () {
    const [a, b] = [await tempDir(), await tempDir()];
    const logA = await open(a, OPTIONS);
    const logB = await open(b, OPTIONS);
    try {
      await publishUpdates(logA, 0, 1_200);
      await publishUpdates(logB, 0, 1_200);
      const found = await findUpdates(logA, FAR);
      const offsets = await compactUpdatesMultiOffsets(logA, FAR);
      const messages = await compactUpdatesMulti(logB, FAR);
      expect([...offsets.deleted], 'the offsets, ascending').to.deep.equal([...found]);
      expect(offsets.deleted.size).to.equal(found.size);
      expect(offsets.deleted, 'a Set').to.be.instanceOf(Set);
      // A Set whose elements live in its own slots: a structured clone and Set's own methods see them.
      expect(structuredClone(offsets.deleted).size, 'a structured clone').to.equal(found.size);
      expect(Set.prototype.has.call(offsets.deleted, [...found][0]!), 'Set.prototype.has').to.equal(true);
      expect(
        messages.deleted.map((m) => m.offset),
        'the messages variant',
      ).to.deep.equal([...found]);
      expect(offsets.deletedSize, 'deletedSize').to.equal(messages.deletedSize);
    } finally {
      await logA.close();
      await logB.close();
    }
  });

  it('a segment an earlier compaction left with gaps is rewritten, and the next compaction still keeps the newest of each key', async function () {
    const dir = await tempDir();
    const log = await open(dir, OPTIONS);
    try {
      const held: number[] = [];
      for (let round = 0; round < 4; round++) {
        const from = await log.nextOffset();
        await publishUpdates(log, from, 300 + round * 7);
        for (let o = from; o < from + 300 + round * 7; o++) held.push(o);
        const gone = replaced(held);
        const { deleted } = await compactUpdatesMultiOffsets(log, FAR);
        expect(
          [...deleted].sort((x, y) => x - y),
          `round ${round}`,
        ).to.deep.equal([...gone].sort((x, y) => x - y));
        const left = held.filter((o) => !gone.has(o));
        held.splice(0, held.length, ...left);
        expect(
          (await consumeAll(log)).map((m) => m.offset),
          `round ${round}: what is held`,
        ).to.deep.equal(held);
      }
    } finally {
      await log.close();
    }
    await check(dir, OPTIONS);
  });

  it('trimByCountMulti removes the oldest whole segments with a progress report and a backoff between rounds', async function () {
    const dir = await tempDir();
    const log = await open(dir, OPTIONS);
    try {
      await publishUpdates(log, 0, 1_000);
      const progress: number[] = [];
      let backoffs = 0;
      const backoff = async (): Promise<void> => void backoffs++;
      const { deleted } = await trimByCountMulti(log, 100, backoff, undefined, {
        onProgress: (p) => progress.push(p.done),
      });
      expect(
        deleted.map((m) => m.offset),
        'the 900 oldest',
      ).to.deep.equal(Array.from({ length: 900 }, (_, i) => i));
      expect(views(deleted.slice(0, 3))).to.deep.equal([0, 1, 2].map((o) => expectedView(update(o), o)));
      expect(progress.at(-1), 'progress ends at the total').to.equal(900);
      expect(backoffs, 'a backoff after each round').to.equal(progress.length);
      expect((await consumeAll(log)).map((m) => m.offset)).to.deep.equal(
        Array.from({ length: 100 }, (_, i) => 900 + i),
      );
    } finally {
      await log.close();
    }
  });

  it('two keys whose hashes collide (FNV-1a 32) stay two keys for findUpdates and findDeletes', async function () {
    const dir = await tempDir();
    const log = await open(dir, OPTIONS);
    try {
      // Both hash to -1442124316: a scan that compared hashes alone would take them for one key.
      const [a, b] = ['key-901258', 'key-1540052'];
      await log.publish([
        { key: a, value: 'a1' },
        { key: b, value: null },
        { key: a, value: 'a2' },
        { key: b, value: 'b2' },
        { key: null, value: 'no key' },
        { key: '', value: 'empty key, the same key as none' },
      ]);
      expect([...(await findDeletes(log, FAR))], 'the tombstone first of its key').to.deep.equal([1]);
      expect([...(await findUpdates(log, FAR))], 'replaced').to.deep.equal([0, 1, 4]);
    } finally {
      await log.close();
    }
  });

  it('files a crash left renamed for removal are no segment: a readonly open ignores them, the next writable open removes them', async function () {
    const dir = await tempDir();
    const log = await open(dir, OPTIONS);
    await publishUpdates(log, 0, 600);
    const all = views(await consumeAll(log));
    await log.close();
    // As a kill between the renames and the unlinks leaves a segment that went (a copy stands in for it).
    const [first] = await segmentOffsets(dir);
    const name = String(first).padStart(20, '0');
    for (const ext of ['log', 'index'])
      await copyFile(path.join(dir, `${name}.${ext}`), path.join(dir, `${name}.${ext}.removed`));
    const readonly = await open(dir, { ...OPTIONS, readonly: true });
    try {
      expect(views(await consumeAll(readonly)), 'a readonly open reads the segments only').to.deep.equal(all);
    } finally {
      await readonly.close();
    }
    expect(
      (await readdir(dir)).filter((n) => n.endsWith('.removed')),
      'readonly: left as they are',
    ).to.have.length(2);
    const writer = await open(dir, OPTIONS);
    await writer.close();
    expect(
      (await readdir(dir)).filter((n) => n.endsWith('.removed')),
      'after a writable open',
    ).to.deep.equal([]);
    await check(dir, OPTIONS);
  });
});
