// Item 3 of the interop suite: damage in a log written by one library,
// recovered by the other, read by the first; both recoveries give the same
// bytes. A torn record header is the one place the two disagree (README,
// "Where we differ"): the test shows both sides of it.
import { expect } from 'chai';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { check, open, recover } from '../../src/index.js';
import type { Options } from '../../src/index.js';
import { expectLogError } from '../helpers/errors.js';
import { fingerprintDir, flipByte, truncateFile, useTempDirs } from '../helpers/fs.js';
import { expectedViews } from '../helpers/messages.js';
import { COMBINATIONS, corpusBatches } from './corpus.js';
import { goCheck, goRead, goRecover, goWrite } from './go-log.js';
import { requireKlevgo } from './klevgo.js';
import { nodeRead, nodeWrite } from './node-log.js';

async function headFile(dir: string, ext: 'log' | 'index'): Promise<string> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(`.${ext}`)).sort();
  return path.join(dir, names[names.length - 1]!);
}

interface Damage {
  name: string;
  /** Damages the head of a one-segment corpus log; how many messages a recover keeps. */
  apply: (dir: string) => Promise<number>;
  /** The check error both sides give (a substring), or null for a check that passes. */
  checkError: string | null;
}

const ALL = expectedViews(corpusBatches().flat());
const lastRecordSize = (opts: Options): number => (opts.version?.newSegmentsVersion?.name === 'V1' ? 28 : 36) + 4 + 64;

const damages = (opts: Options): Damage[] => [
  {
    name: 'the last record cut inside its value',
    apply: async (dir) => {
      const log = await headFile(dir, 'log');
      const data = await readFile(log);
      await truncateFile(log, data.length - 10);
      return ALL.length - 1;
    },
    checkError: opts.version?.newSegmentsVersion?.name === 'V1' ? 'corrupted' : 'short data',
  },
  {
    name: 'a value byte of a middle record flipped',
    apply: async (dir) => {
      const log = await headFile(dir, 'log');
      const at = (await readFile(log)).indexOf('value 3');
      await flipByte(log, at + 2);
      return ALL.findIndex((m) => m.value === Buffer.from(`value 3 ${'x'.repeat(27)}`).toString('hex'));
    },
    checkError: 'crc failed',
  },
  {
    name: 'the index cut inside its last item',
    apply: async (dir) => {
      const index = await headFile(dir, 'index');
      const data = await readFile(index);
      await truncateFile(index, data.length - 3);
      return ALL.length;
    },
    checkError: 'index',
  },
  {
    name: 'the index missing',
    apply: async (dir) => {
      await rm(await headFile(dir, 'index'));
      return ALL.length;
    },
    checkError: null,
  },
  {
    // Go: a missing item looks like an index that lags its log.
    name: 'the log one whole record longer than its index',
    apply: async (dir) => {
      const index = await headFile(dir, 'index');
      const data = await readFile(index);
      const item = 16 + (opts.keyIndex ? 8 : 0) + (opts.timeIndex ? 8 : 0);
      await truncateFile(index, data.length - item);
      return ALL.length;
    },
    checkError: 'index',
  },
];

// One segment (the default rollover), so every record is in the head that check and recover look at.
const COMBOS = COMBINATIONS.filter((c) => ['V1 keys times', 'V2 no indexes', 'V2 keys times'].includes(c.name)).map((c) => ({
  ...c,
  opts: { ...c.opts, rollover: 0 },
}));

describe('interop with Go klevdb: damage and recovery', function () {
  before(async function () {
    await requireKlevgo(this);
  });
  const tempDir = useTempDirs('klevdb-interop-');

  for (const { name, opts } of COMBOS) {
    describe(name, function () {
      for (const damage of damages(opts)) {
        it(`${damage.name}: Node writes, Go checks and recovers, Node reads`, async function () {
          const dir = await tempDir();
          await nodeWrite(dir, opts, corpusBatches());
          const kept = await damage.apply(dir);
          const goOutcome = await goCheck(dir, opts);
          if (damage.checkError === null) expect(goOutcome).to.deep.equal({ ok: true });
          else expect(goOutcome.error ?? '', 'Go check').to.include(damage.checkError);
          expect(await goRecover(dir, opts)).to.deep.equal({ ok: true });
          await check(dir, opts);
          expect((await nodeRead(dir, opts)).messages).to.deep.equal(ALL.slice(0, kept));
          const log = await open(dir, opts);
          await log.close();
        });

        it(`${damage.name}: Go writes, Node checks and recovers, Go reads; both recoveries give the same bytes`, async function () {
          const dir = await tempDir();
          const twin = await tempDir();
          await goWrite(dir, opts, corpusBatches());
          await goWrite(twin, opts, corpusBatches());
          const kept = await damage.apply(dir);
          await damage.apply(twin);
          if (damage.checkError === null) await check(dir, opts);
          else await expectLogError(() => check(dir, opts), 'ERR_CORRUPTED');
          await recover(dir, opts);
          expect(await goRecover(twin, opts)).to.deep.equal({ ok: true });
          // (A missing index stays missing after either recover; both rebuild it on open.)
          expect(await fingerprintDir(dir)).to.deep.equal(await fingerprintDir(twin));

          expect(await goCheck(dir, opts)).to.deep.equal({ ok: true });
          expect((await goRead(dir, opts)).messages).to.deep.equal(ALL.slice(0, kept));
        });
      }

      it('a torn record header (under 28 bytes left, index without it): Go checks it as a clean end and keeps it, Node cuts it; then Go reads the prefix', async function () {
        const dir = await tempDir();
        await goWrite(dir, opts, corpusBatches());
        const log = await headFile(dir, 'log');
        const index = await headFile(dir, 'index');
        const torn = (await readFile(log)).length - lastRecordSize(opts) + 20;
        await truncateFile(log, torn);
        // A crash inside the last append: its index item was never written.
        await truncateFile(index, (await readFile(index)).length - (16 + (opts.keyIndex ? 8 : 0) + (opts.timeIndex ? 8 : 0)));
        expect(await goCheck(dir, opts), 'Go: a clean end').to.deep.equal({ ok: true });
        expect(await goRecover(dir, opts)).to.deep.equal({ ok: true });
        expect((await readFile(log)).length, 'Go recover keeps the torn bytes').to.equal(torn);
        await expectLogError(() => check(dir, opts), 'ERR_CORRUPTED');
        await recover(dir, opts);
        expect((await readFile(log)).length, 'Node recover cuts them').to.equal(torn - 20);
        expect(await goCheck(dir, opts)).to.deep.equal({ ok: true });
        expect((await goRead(dir, opts)).messages).to.deep.equal(ALL.slice(0, -1));
      });
    });
  }
});
