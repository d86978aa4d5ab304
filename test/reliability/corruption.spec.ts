// Torn and corrupt files: every byte of a small segment flipped in turn, and
// the head's last record (and last index item) cut at every byte, in V1 and
// V2, with both indexes and with none, in the head and in a sealed segment.
// After each damage the log is opened as writer and readonly and read with
// every call (nextOffset, consume, get of each offset, getByKey,
// consumeByKey, getByTime), then checked, then opened with recover: true and
// read again (test/helpers/reliability-corrupt.ts). Every answer must be the
// undamaged log's or ERR_CORRUPTED; a recovered head keeps every message
// before the damage and passes check; no call hangs, throws anything but a
// LogError, or allocates more than the files hold. Each case runs in a child
// whose silence for 20 s is a hang. What the README documents beyond that
// rule (a readonly open ignores an unindexed tail; V1 cannot checksum a
// record's time) is listed, with the exact outcomes it allows, in
// DOCUMENTED_LIMITS, and each must still be observed.
import { expect } from 'chai';
import { reportFigure } from '../helpers/figures.js';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { CorruptReport } from '../helpers/reliability-corrupt-child.js';
import { caseName, DOCUMENTED_LIMITS } from '../helpers/reliability-corrupt.js';
import type { CorruptCase } from '../helpers/reliability-corrupt.js';
import { fastTmp, inParallel, startChild } from '../helpers/reliability-fork.js';
import type { ForkOutcome } from '../helpers/reliability-fork.js';

const SILENCE_MS = 20_000;
const MiB = 1024 * 1024;

const CASES: CorruptCase[] = [];
for (const damage of ['flip', 'cut'] as const) {
  for (const version of ['V2', 'V1'] as const) {
    for (const indexes of ['both', 'none'] as const) {
      for (const target of ['head', 'sealed'] as const) CASES.push({ version, indexes, target, damage });
    }
  }
}

interface CaseResult {
  outcome: ForkOutcome<CorruptReport>;
  ms: number;
}

describe('torn and corrupt files', function () {
  this.timeout(180_000);
  const results = new Map<CorruptCase, CaseResult>();
  /** documented limit id -> the damages that showed it */
  const findings = new Map<string, string[]>(DOCUMENTED_LIMITS.map((f) => [f.id, []]));
  const dirs: string[] = [];

  before(async function () {
    // Two children at a time (CI has two cores); each tests one case.
    await inParallel(
      CASES.map((c) => async () => {
        const dir = await mkdtemp(path.join(fastTmp(), 'klevdb-corrupt-'));
        dirs.push(dir);
        const started = Date.now();
        const child = startChild<CorruptReport>('reliability-corrupt-child.js', [dir, JSON.stringify(c)], SILENCE_MS);
        const outcome = await child.done;
        results.set(c, { outcome, ms: Date.now() - started });
        for (const x of outcome.reports)
          if (x.t === 'violations') for (const id of x.known) findings.get(id)!.push(x.what);
      }),
      2,
    );
  });
  after(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  for (const c of CASES) {
    const what =
      c.damage === 'flip'
        ? 'every byte of the log and the index flipped'
        : 'the log cut at every byte of its last record, the index at every byte of its last item';
    it(`${what}: ${caseName(c)}: ERR_CORRUPTED or the right answer, never a wrong message, a hang or a large allocation`, function () {
      const r = results.get(c);
      if (!r) expect.fail('the case did not run');
      const { reports, code, signal, silent } = r.outcome;
      const failed = reports.find((x) => x.t === 'failed');
      if (failed && failed.t === 'failed') expect.fail(`the child failed: ${failed.message}`);
      if (silent) {
        const last = silent.last;
        expect.fail(
          `a call hung: no answer for ${silent.afterMs} ms after ${last && last.t === 'tick' ? last.what : JSON.stringify(last)}`,
        );
      }
      expect({ code, signal }, 'the child exits cleanly (no unhandled exception)').to.deep.equal({
        code: 0,
        signal: null,
      });

      const reference = reports.find((x) => x.t === 'reference');
      if (!reference || reference.t !== 'reference') expect.fail('no reference transcript');
      expect(reference.problems, 'the undamaged log answers as published').to.deep.equal([]);

      const violations: string[] = [];
      for (const x of reports) {
        if (x.t === 'violations' && x.violations.length)
          violations.push(`${x.what}:\n    ${x.violations.join('\n    ')}`);
      }
      expect(
        violations,
        `${violations.length} damages answered wrongly:\n${violations.slice(0, 10).join('\n')}`,
      ).to.deep.equal([]);

      const done = reports.find((x) => x.t === 'done');
      if (!done || done.t !== 'done') expect.fail('the child did not finish');
      reportFigure(
        'torn and corrupt files',
        `${c.damage === 'flip' ? 'bytes flipped' : 'cuts'} (${caseName(c)})`,
        done.damages,
      );
      reportFigure('torn and corrupt files', 'calls answered on damaged logs', done.calls);
      const ticks = reports.filter((x) => x.t === 'tick').length;
      expect(done.damages, 'every damage was tried')
        .to.equal(ticks)
        .and.to.be.greaterThan(c.damage === 'flip' ? 100 : 30);
      expect(done.calls, 'calls made on damaged logs').to.be.greaterThan(done.damages * 10);
      // The files are a few hundred bytes: anything large was sized by a damaged length field.
      expect(done.largestBuffer, 'largest Buffer allocated while reading damaged files').to.be.below(64 * 1024);
      expect(done.rssGrowth, 'growth of the peak resident set over all damages').to.be.below(64 * MiB);
      expect(done.heapGrowth, 'heap growth over all damages').to.be.below(64 * MiB);
    });
  }

  describe('documented limits (README, "Durability and corruption")', function () {
    for (const f of DOCUMENTED_LIMITS) {
      it(`${f.id}: ${f.title}`, function () {
        if (results.size < CASES.length) expect.fail('not every case ran');
        // A limit no damage shows any more is not a limit: drop it here and from the README.
        expect(findings.get(f.id)!.length, `${f.id} is not observed any more`).to.be.greaterThan(0);
      });
    }
  });
});
