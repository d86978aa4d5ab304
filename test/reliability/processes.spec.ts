// followWriter readers in other processes (test/helpers/reliability-follower-child.ts)
// read while the writer in this process publishes, rolls over, deletes and
// compacts (compactUpdatesMulti). Each child checks every message it reads
// against followMessage(offset) and reports any violation: a half-written or
// wrong message, a consume that goes back, an error other than "deleted" or
// "not there yet", anything thrown that is not a LogError. The parent asserts
// none, and that once the writer stops every reader's whole log is the
// writer's.
import { expect } from 'chai';
import { reportFigure } from '../helpers/figures.js';
import { compactUpdatesMulti, deleteMulti, OffsetOldest } from '../../src/index.js';
import type { Log } from '../../src/index.js';
import { check, open } from '../helpers/api.js';
import { FOLLOW_OPTIONS, followMessage, followView } from '../helpers/reliability-follow.js';
import type { FollowReport, FollowStop } from '../helpers/reliability-follow.js';
import { seeded } from '../helpers/crash-workload.js';
import { startChild, useFastTempDirs } from '../helpers/reliability-fork.js';
import type { RunningChild } from '../helpers/reliability-fork.js';
import { consumeAll, view } from '../helpers/messages.js';

const SEED = Number(process.env.KLEVDB_FOLLOW_SEED ?? 20240607);
const WRITE_MS = Number(process.env.KLEVDB_FOLLOW_MS ?? 6000);
const FAR_FUTURE = new Date(8_640_000_000_000_000);
/** The workload's share: more than this many of each (messages published, deleted, compacted; rollovers). */
const SHARE = { published: 500, rollovers: 20, deleted: 20, compacted: 20 };

describe('followWriter readers in other processes', function () {
  this.timeout(90_000);
  const children: RunningChild<FollowReport>[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill()));
  });
  let writer: Log | null = null;
  afterEach(async () => {
    await writer?.close();
    writer = null;
  });
  const tempDir = useFastTempDirs('klevdb-follow-');

  it(`never see a half-written or wrong message while the writer publishes, rolls over, deletes and compacts (seed ${SEED})`, async function () {
    const dir = await tempDir();
    const log = await open(dir, FOLLOW_OPTIONS);
    writer = log;
    const rand = seeded(SEED);
    for (const [i, mode] of (['tail', 'tail', 'lookups'] as const).entries()) {
      children.push(startChild<FollowReport>('reliability-follower-child.js', [dir, mode, String(SEED + i)], 30_000));
    }
    for (const c of children) await c.waitFor((r) => r.t === 'opened', 20_000);

    const counts = { published: 0, batches: 0, deletes: 0, deleted: 0, compactions: 0, compacted: 0, rollovers: 0 };
    const stored = new Set<number>();
    let segments = 1;
    const started = Date.now();
    // WRITE_MS of writing, and on a machine too busy to do the workload's share in it, longer (up to four
    // times as long) until it did: the counts are checked below.
    const didItsShare = (): boolean =>
      Object.entries(SHARE).every(([what, n]) => counts[what as keyof typeof SHARE] > n);
    const writing = (): boolean => {
      const ms = Date.now() - started;
      return ms < WRITE_MS || (!didItsShare() && ms < 4 * WRITE_MS);
    };
    while (writing()) {
      const r = rand();
      const next = await log.nextOffset();
      if (r < 0.8 || stored.size < 20) {
        const n = 1 + Math.floor(rand() * 12);
        const to = await log.publish(Array.from({ length: n }, (_, j) => followMessage(next + j)));
        expect(to).to.equal(next + n);
        for (let j = 0; j < n; j++) stored.add(next + j);
        counts.published += n;
        counts.batches++;
      } else if (r < 0.93) {
        // Some stored messages, across segments (one rewrite per segment), sometimes the newest.
        const all = [...stored];
        const pick = all.filter(() => rand() < 0.08);
        if (rand() < 0.2) pick.push(next - 1);
        const res = await deleteMulti(log, pick);
        for (const m of res.deleted) {
          expect(view(m)).to.deep.equal(followView(m.offset));
          stored.delete(m.offset);
        }
        counts.deletes++;
        counts.deleted += res.deleted.length;
      } else {
        const res = await compactUpdatesMulti(log, FAR_FUTURE);
        for (const m of res.deleted) stored.delete(m.offset);
        counts.compactions++;
        counts.compacted += res.deleted.length;
      }
      const now = (await log.stat()).segments;
      if (now > segments) counts.rollovers += now - segments;
      segments = now;
      // Let the children's reports in (and give the disk a breath).
      await new Promise((resolve) => setTimeout(resolve, rand() < 0.3 ? 1 : 0));
    }

    const finalOffsets = (await consumeAll(log, 500)).map((m) => m.offset);
    expect(finalOffsets, 'the writer holds what it published and did not delete').to.deep.equal(
      [...stored].sort((a, b) => a - b),
    );
    const stop: FollowStop = { cmd: 'stop', offsets: finalOffsets, next: await log.nextOffset() };
    for (const c of children) c.proc.send(stop);
    const finals = await Promise.all(children.map((c) => c.waitFor((r) => r.t === 'final', 40_000)));
    const outcomes = await Promise.all(children.map((c) => c.done));

    const violations: string[] = [];
    for (const [i, c] of children.entries()) {
      for (const r of c.reports) {
        if (r.t !== 'violation') continue;
        violations.push(`reader ${i}: ${r.kind}: ${r.text}`);
      }
    }
    expect(violations, `${violations.length} violations:\n${violations.slice(0, 15).join('\n')}`).to.deep.equal([]);
    for (const [i, o] of outcomes.entries()) {
      const failed = o.reports.find((r) => r.t === 'failed');
      expect(failed, `reader ${i} failed`).to.equal(undefined);
      expect({ code: o.code, signal: o.signal, silent: o.silent }, `reader ${i} exits cleanly`).to.deep.equal({
        code: 0,
        signal: null,
        silent: null,
      });
    }
    for (const [what, n] of Object.entries(counts))
      reportFigure('followWriter readers in other processes', `writer: ${what}`, n);
    for (const [i, f] of finals.entries()) {
      if (f.t !== 'final') continue;
      reportFigure('followWriter readers in other processes', 'messages the readers checked', f.checked);
      reportFigure('followWriter readers in other processes', 'reader calls', f.calls);
      expect(
        { matched: f.matched, next: f.next },
        `reader ${i} ends with the writer's log (it has [${f.offsets.slice(0, 20)}...])`,
      ).to.deep.equal({ matched: true, next: stop.next });
      expect(f.checked, `messages reader ${i} checked`).to.be.greaterThan(i < 2 ? counts.published / 2 : 100);
    }
    // The workload did what it is meant to.
    for (const [what, n] of Object.entries(SHARE))
      expect(counts[what as keyof typeof SHARE], what).to.be.greaterThan(n);
    expect((await log.consume(OffsetOldest, 1)).messages.length).to.equal(1);
    // The log the readers saw was healthy all along.
    await log.close();
    writer = null;
    await check(dir, FOLLOW_OPTIONS);
  });
});
