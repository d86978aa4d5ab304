// Item 1 and 2 after rewrites: the same delete, compaction, trim or migrate
// applied by this library to one copy and by Go klevdb to another gives the
// same files and the same answer (deleted offsets and size), and each side
// reads and checks what the other rewrote.
import { cp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import {
  check, compactDeletesMultiOffsets, compactUpdatesMultiOffsets, deleteMultiOffsets, migrate, open,
  trimByAgeMultiOffsets, trimByCountMultiOffsets, trimByOffsetMultiOffsets, trimBySizeMultiOffsets, V1, V2,
} from '../../src/index.js';
import type { DeleteOffsetsResult, Log, Options } from '../../src/index.js';
import { fingerprintDir, useTempDirs } from '../helpers/fs.js';
import { COMBINATIONS, corpusBatches, CORPUS_T } from './corpus.js';
import { goCheck, goCompact, goDelete, goMigrate, goRead, goTrim, goWrite } from './go-log.js';
import type { GoDeleted } from './go-log.js';
import { requireKlevgo } from './klevgo.js';
import { nodeRead, nodeWrite } from './node-log.js';
import { headIsEmpty } from './differences.js';

async function withLog<T>(dir: string, opts: Options, fn: (log: Log) => Promise<T>): Promise<T> {
  const log = await open(dir, opts);
  try {
    return await fn(log);
  } finally {
    await log.close();
  }
}

const asGo = (r: { deleted: Iterable<number> | Iterable<{ offset: number }>; deletedSize: number }): GoDeleted => ({
  deleted: [...r.deleted].map((d) => (typeof d === 'number' ? d : d.offset)).sort((a, b) => a - b),
  deletedSize: r.deletedSize,
});

const nodeOp = (fn: (log: Log) => Promise<DeleteOffsetsResult | { deleted: { offset: number }[]; deletedSize: number }>) =>
  (dir: string, opts: Options) => withLog(dir, opts, async (log) => asGo(await fn(log)));

// Compaction and age cut-offs in whole milliseconds (a Date), the same instant for Go.
const BEFORE_MS = CORPUS_T / 1000 + 12;

interface Rewrite {
  name: string;
  node: (dir: string, opts: Options) => Promise<GoDeleted | void>;
  go: (dir: string, opts: Options) => Promise<GoDeleted | void>;
}

const other = (opts: Options) => (opts.version?.newSegmentsVersion === V1 ? V2 : V1);

const REWRITES: Rewrite[] = [
  {
    name: 'delete of the first messages (the segment is renamed)',
    node: nodeOp((log) => log.delete([0, 1])),
    go: (dir, opts) => goDelete(dir, opts, [0, 1]),
  },
  {
    name: 'delete inside a sealed segment',
    node: nodeOp((log) => log.delete([5, 6])),
    go: (dir, opts) => goDelete(dir, opts, [5, 6]),
  },
  {
    name: 'delete of the whole head',
    node: nodeOp((log) => log.delete([17])),
    go: (dir, opts) => goDelete(dir, opts, [17]),
  },
  {
    name: 'deleteMulti across segments',
    node: nodeOp((log) => deleteMultiOffsets(log, [2, 7, 9, 12, 16, 40])),
    go: (dir, opts) => goDelete(dir, opts, [2, 7, 9, 12, 16, 40], true),
  },
  {
    name: 'compactUpdates then compactDeletes',
    node: nodeOp(async (log) => {
      const u = await compactUpdatesMultiOffsets(log, new Date(BEFORE_MS));
      const d = await compactDeletesMultiOffsets(log, new Date(BEFORE_MS));
      return { deleted: new Set([...u.deleted, ...d.deleted]), deletedSize: u.deletedSize + d.deletedSize };
    }),
    go: (dir, opts) => goCompact(dir, opts, BEFORE_MS * 1000, BEFORE_MS * 1000),
  },
  { name: 'trimByOffset', node: nodeOp((log) => trimByOffsetMultiOffsets(log, 9)), go: (dir, opts) => goTrim(dir, opts, 'offset', 9) },
  { name: 'trimByCount', node: nodeOp((log) => trimByCountMultiOffsets(log, 5)), go: (dir, opts) => goTrim(dir, opts, 'count', 5) },
  {
    name: 'trimByAge',
    node: nodeOp((log) => trimByAgeMultiOffsets(log, new Date(BEFORE_MS))),
    go: (dir, opts) => goTrim(dir, opts, 'age', BEFORE_MS * 1000),
  },
  { name: 'trimBySize', node: nodeOp((log) => trimBySizeMultiOffsets(log, 600)), go: (dir, opts) => goTrim(dir, opts, 'size', 600) },
  {
    name: 'migrate to the other version',
    node: (dir, opts) => migrate(dir, opts, other(opts)),
    go: async (dir, opts) => {
      expect(await goMigrate(dir, opts, other(opts))).to.deep.equal({ ok: true });
    },
  },
];

// Four of the eight combinations keep the suite near its minute.
const COMBOS = COMBINATIONS.filter((c) => ['V1 no indexes', 'V1 keys times', 'V2 keys', 'V2 keys times'].includes(c.name));

describe('interop with Go klevdb: rewrites', function () {
  before(async function () {
    await requireKlevgo(this);
  });
  const tempDir = useTempDirs('klevdb-interop-');

  for (const { name, opts } of COMBOS) {
    describe(name, function () {
      for (const rw of REWRITES) {
        it(`${rw.name}: the same files and answer from both; each reads and checks the other's`, async function () {
          const nodeDir = await tempDir();
          const goDir = await tempDir();
          await nodeWrite(nodeDir, opts, corpusBatches());
          await goWrite(goDir, opts, corpusBatches());
          const byNode = await rw.node(nodeDir, opts);
          const byGo = await rw.go(goDir, opts);
          expect(byNode, 'deleted offsets and size').to.deep.equal(byGo);

          expect(await fingerprintDir(nodeDir)).to.deep.equal(await fingerprintDir(goDir));
          expect(await goCheck(nodeDir, opts), 'Go checks what Node rewrote').to.deep.equal({ ok: true });
          await check(goDir, opts);
          const go = await goRead(nodeDir, opts, { lookups: true });
          const node = await nodeRead(goDir, opts, true);
          if (opts.timeIndex && headIsEmpty(goDir)) {
            // Go's GetByTime fails on an empty head; Node skips it (docs/format.md): its answers are Go's without that head.
            expect(go.byTime!.every(([, offset]) => offset === -1), 'Go: no time lookup past the empty head').to.equal(true);
            const headless = await tempDir();
            await cp(goDir, headless, { recursive: true });
            const last = (await readdir(headless)).filter((n) => n.endsWith('.log')).sort().at(-1)!;
            for (const f of [last, last.replace(/\.log$/, '.index')]) await rm(path.join(headless, f));
            go.byTime = (await goRead(headless, opts, { lookups: true })).byTime;
            expect(node.byTime!.some(([, offset]) => offset >= 0), 'Node answers time lookups').to.equal(true);
          }
          expect({ ...go, raw: undefined }).to.deep.equal({ ...node, raw: undefined });
          if (byGo && 'deleted' in byGo) expect(go.messages.length).to.equal(18 - byGo.deleted.filter((o) => o < 18).length);
        });
      }
    });
  }

  it('a compaction killed between renaming the segments it emptied and unlinking them: Go reads and checks the directory as Node does', async function () {
    const opts = COMBOS.find((c) => c.name === 'V2 keys times')!.opts;
    const dir = await tempDir();
    await nodeWrite(dir, opts, corpusBatches());
    const before = await nodeRead(dir, opts, true);
    // The files a kill leaves: a segment's pair renamed away (copies of the first segment stand in for it).
    const first = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort()[0]!;
    for (const f of [first, first.replace(/\.log$/, '.index')]) await cp(path.join(dir, f), path.join(dir, `${f}.removed`));
    expect(await goCheck(dir, opts), 'Go checks it').to.deep.equal({ ok: true });
    const go = await goRead(dir, opts, { lookups: true });
    expect({ ...go, raw: undefined }, 'Go reads the segments only').to.deep.equal({ ...before, raw: undefined });
  });
});
