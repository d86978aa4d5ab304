// Port of klevdb's delete_test.go (DeleteMulti, DeleteMultiOffsets) plus the
// backoff, abort, progress and argument checks of the TypeScript port.
import { expect } from 'chai';
import { getEventListeners } from 'node:events';
import { deleteMulti, deleteMultiOffsets, deleteMultiWithWait, partialResult } from '../../src/storage/delete-multi.js';
import type { DeleteMultiBackoff } from '../../src/storage/delete-multi.js';
import type { DeleteOffsetsResult, DeleteResult, Log, Progress } from '../../src/index.js';
import { open } from '../helpers/api.js';
import { caught, expectLogError } from '../helpers/errors.js';
import { consumeAll, expectedViews, gen } from '../helpers/messages.js';
import {
  countDeletes,
  offsetsOf,
  openSegmented,
  sorted,
  useLogs,
  VARIANTS,
  viewsByOffset,
  wrapLog,
} from './retention-fixtures.js';

/**
 * Counts the timers set and neither fired nor cleared since the call, until
 * `stop()`: a backoff that forgot its timer would keep the process alive.
 */
function trackTimers(): { pending(): number; stop(): void } {
  const { setTimeout: realSet, clearTimeout: realClear } = globalThis;
  const live = new Set<unknown>();
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const handle = realSet(
      (...a: unknown[]) => {
        live.delete(handle);
        fn(...a);
      },
      ms,
      ...args,
    );
    live.add(handle);
    return handle;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((handle: NodeJS.Timeout | undefined) => {
    live.delete(handle);
    realClear(handle);
  }) as typeof clearTimeout;
  return {
    pending: () => live.size,
    stop: () => {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    },
  };
}

describe('deleteMulti', () => {
  const { tempDir, keep } = useLogs();

  for (const v of VARIANTS) {
    describe(v.name, () => {
      let log: Log;
      beforeEach(async () => {
        log = keep(await openSegmented(await tempDir(), v, 10));
      });

      it('deletes from every segment that holds an offset (TestDeleteMulti)', async () => {
        const msgs = gen(10);
        const one = (await consumeAll(log))[0];
        // Log.delete alone stops at the segment of the lowest offset.
        const counted = countDeletes(log);
        const res = await deleteMulti(counted.log, new Set([0, 2, 3, 4]), deleteMultiWithWait(1));

        expect(viewsByOffset(res.deleted)).to.deep.equal(
          expectedViews(msgs).filter((m) => [0, 2, 3, 4].includes(m.offset)),
        );
        expect(res.deletedSize).to.equal(log.size(one) * 4);
        expect(counted.rounds).to.deep.equal([[0], [2, 3], [4]]);
        const stats = await log.stat();
        expect(stats.messages).to.equal(6);
        expect(stats.segments).to.equal(4);
        expect(offsetsOf(await consumeAll(log))).to.deep.equal([1, 5, 6, 7, 8, 9]);
      });

      it('collects only offsets (TestDeleteMultiOffsets)', async () => {
        const one = (await consumeAll(log))[0];
        const res: DeleteOffsetsResult = await deleteMultiOffsets(log, [4, 3, 2, 0], deleteMultiWithWait(1));
        expect(res.deleted).to.be.instanceOf(Set);
        expect(sorted(res.deleted)).to.deep.equal([0, 2, 3, 4]);
        expect(res.deletedSize).to.equal(log.size(one) * 4);
        const stats = await log.stat();
        expect(stats.messages).to.equal(6);
        expect(stats.segments).to.equal(4);
      });
    });
  }

  describe('rounds and backoff', () => {
    let log: Log;
    beforeEach(async () => {
      log = keep(await openSegmented(await tempDir(), VARIANTS[3], 10));
    });

    it('ignores offsets the log does not hold and stops when a round deletes nothing', async () => {
      const counted = countDeletes(log);
      const res = await deleteMulti(counted.log, [7, 100]);
      expect(offsetsOf(res.deleted)).to.deep.equal([7]);
      expect(counted.rounds).to.deep.equal([[7], []]);
    });

    it('stops, as Go does, when the lowest offset is a gap in its segment', async () => {
      await log.delete([2, 3]);
      const counted = countDeletes(log);
      // Offset 2 now falls in the segment of [0, 1], which has nothing to delete.
      const res = await deleteMulti(counted.log, [2, 3, 7]);
      expect(res.deleted).to.deep.equal([]);
      expect(counted.rounds).to.deep.equal([[]]);
      expect((await log.stat()).messages).to.equal(8);
    });

    it('does nothing for no offsets, not even a Log.delete call', async () => {
      const counted = countDeletes(log);
      const res = await deleteMulti(counted.log, []);
      expect(res).to.deep.equal({ deleted: [], deletedSize: 0 });
      expect(counted.rounds).to.have.length(0);
      expect((await log.stat()).messages).to.equal(10);
    });

    it('runs the backoff after every round, with the signal, and reports progress', async () => {
      const signal = new AbortController().signal;
      const seen: (AbortSignal | undefined)[] = [];
      const backoff: DeleteMultiBackoff = async (s) => {
        seen.push(s);
      };
      const progress: Progress[] = [];
      const res = await deleteMulti(log, [1, 3, 5, 9], backoff, signal, { onProgress: (p) => progress.push(p) });
      expect(offsetsOf(res.deleted)).to.deep.equal([1, 3, 5, 9]);
      expect(seen).to.deep.equal([signal, signal, signal, signal]);
      expect(progress.map((p) => p.done)).to.deep.equal([1, 2, 3, 4]);
      expect(progress.every((p) => p.total === 4 && p.unit === 'messages' && p.operation === 'deleteMulti')).to.equal(
        true,
      );
    });

    it('stops with the backoff error and carries what it deleted before', async () => {
      const boom = new Error('backoff failed');
      const err = await caught(() => deleteMultiOffsets(log, [0, 2, 4], () => Promise.reject(boom)));
      expect(err).to.equal(boom);
      expect(sorted((partialResult(err) as DeleteOffsetsResult).deleted)).to.deep.equal([0]);
      expect((await log.stat()).messages).to.equal(9);
    });

    it('stops with the Log.delete error and carries what it deleted before', async () => {
      let calls = 0;
      const failing = wrapLog(log, {
        delete: async (offsets) => {
          if (++calls === 2) throw new Error('disk full');
          return log.delete(offsets);
        },
      });
      const err = await caught(() => deleteMulti(failing, [0, 2, 4]));
      expect((err as Error).message).to.equal('disk full');
      expect(offsetsOf((partialResult(err) as DeleteResult).deleted)).to.deep.equal([0]);
    });

    it('rejects with ERR_READONLY on a readonly log', async () => {
      const dir = await tempDir();
      const writer = await openSegmented(dir, VARIANTS[0], 4);
      await writer.close();
      const ro = keep(await open(dir, { readonly: true }));
      await expectLogError(() => deleteMulti(ro, [0]), 'ERR_READONLY');
      expect((await ro.stat()).messages).to.equal(4);
    });
  });

  describe('abort', () => {
    let log: Log;
    beforeEach(async () => {
      log = keep(await openSegmented(await tempDir(), VARIANTS[1], 10));
    });

    it('deletes nothing when the signal fired before the start', async () => {
      const ac = new AbortController();
      ac.abort();
      await expectLogError(() => deleteMulti(log, [0, 2], deleteMultiWithWait(0), ac.signal), 'ERR_ABORTED');
      expect((await log.stat()).messages).to.equal(10);
    });

    it('stops in the middle of a long backoff and clears its timer', async () => {
      const ac = new AbortController();
      const started = Date.now();
      // Aborts once the first backoff is waiting on its timer (a timer of 50 ms could fire before the
      // first round on a busy machine, and then nothing would be deleted).
      const wait = deleteMultiWithWait(60_000);
      const backoff: DeleteMultiBackoff = (signal) => {
        const waiting = wait(signal);
        setImmediate(() => ac.abort(new Error('shutdown')));
        return waiting;
      };
      const timers = trackTimers();
      let err;
      try {
        err = await expectLogError(() => deleteMultiOffsets(log, [0, 2, 4, 6], backoff, ac.signal), 'ERR_ABORTED');
        expect(timers.pending(), 'timers left').to.equal(0);
      } finally {
        timers.stop();
      }
      expect(Date.now() - started).to.be.lessThan(10_000);
      expect((err.cause as Error).message).to.equal('shutdown');
      expect(sorted((partialResult(err) as DeleteOffsetsResult).deleted)).to.deep.equal([0]);
      expect((await log.stat()).messages).to.equal(9);
    });

    it('stops when the signal fires during a backoff that ignores it', async () => {
      const ac = new AbortController();
      const res = deleteMulti(log, [0, 2, 4], async () => ac.abort(), ac.signal);
      const err = await expectLogError(() => res, 'ERR_ABORTED');
      expect(offsetsOf((partialResult(err) as DeleteResult).deleted)).to.deep.equal([0]);
    });
  });

  describe('bad input', () => {
    let log: Log;
    beforeEach(async () => {
      log = keep(await openSegmented(await tempDir(), VARIANTS[0], 2));
    });

    const bad: [string, (l: Log) => Promise<unknown>, RegExp][] = [
      ['no log', () => deleteMulti(null as unknown as Log, [0]), /log/],
      ['a log-like object without methods', () => deleteMulti({ delete: () => 0 } as unknown as Log, [0]), /log/],
      ['offsets that are not iterable', (l) => deleteMulti(l, 5 as unknown as number[]), /offsets/],
      ['offsets as a string', (l) => deleteMulti(l, '01' as unknown as number[]), /offsets/],
      ['a fractional offset', (l) => deleteMultiOffsets(l, [1.5]), /offsets/],
      ['a backoff that is not a function', (l) => deleteMulti(l, [0], 5 as unknown as DeleteMultiBackoff), /backoff/],
      ['a signal that is not an AbortSignal', (l) => deleteMulti(l, [0], undefined, {} as AbortSignal), /signal/],
      [
        'a progress callback that is not a function',
        (l) => deleteMulti(l, [0], undefined, undefined, { onProgress: 1 as never }),
        /onProgress/,
      ],
    ];
    for (const [what, call, mentions] of bad) {
      it(`rejects ${what} with ERR_INVALID_ARGUMENT and deletes nothing`, async () => {
        await expectLogError(() => call(log), 'ERR_INVALID_ARGUMENT', mentions);
        expect((await log.stat()).messages).to.equal(2);
      });
    }
  });
});

describe('deleteMultiWithWait', () => {
  it('waits about the given time', async () => {
    const started = Date.now();
    await deleteMultiWithWait(30)();
    expect(Date.now() - started).to.be.at.least(25);
  });

  it('rejects at once with ERR_ABORTED for a signal that already fired', async () => {
    const timers = trackTimers();
    try {
      await expectLogError(() => deleteMultiWithWait(60_000)(AbortSignal.abort()), 'ERR_ABORTED');
      expect(timers.pending()).to.equal(0);
    } finally {
      timers.stop();
    }
  });

  it('resolves and leaves no listener on a signal that never fires', async () => {
    const ac = new AbortController();
    await deleteMultiWithWait(1)(ac.signal);
    expect(getEventListeners(ac.signal, 'abort')).to.have.length(0);
  });

  it('rejects with ERR_ABORTED as soon as the signal fires, clearing its timer', async () => {
    const ac = new AbortController();
    const timers = trackTimers();
    try {
      const waiting = deleteMultiWithWait(60_000)(ac.signal);
      expect(timers.pending()).to.equal(1);
      ac.abort();
      await expectLogError(() => waiting, 'ERR_ABORTED');
      expect(timers.pending()).to.equal(0);
    } finally {
      timers.stop();
    }
  });

  for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY, '10', undefined]) {
    it(`refuses ms = ${String(ms)} with ERR_INVALID_ARGUMENT`, async () => {
      await expectLogError(() => deleteMultiWithWait(ms as number), 'ERR_INVALID_ARGUMENT', /ms/);
    });
  }
});
