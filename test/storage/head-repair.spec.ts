// A writer killed in the middle of a publish leaves the head segment with
// records its index does not list yet, a partial index item, or a record cut
// short. A writable open repairs those shapes without `recover` (nothing
// readable is dropped) and still refuses damage with ERR_CORRUPTED.
import { expect } from 'chai';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogError, V1, V2, type Log, type Options } from '../../src/index.js';
import { check, open } from '../helpers/api.js';
import { useTempDirs } from '../helpers/fs.js';
import { requireStrace } from '../helpers/external.js';
import { batchAt, tornMessage, TORN_OPTIONS } from '../helpers/torn-publish-workload.js';

const HEAD = '00000000000000000000';
const N = 10;
const message = (i: number) => ({
  key: `key-${i}`,
  value: Buffer.alloc(100, i),
  time: new Date(1_700_000_000_000 + i),
});

interface Built {
  dir: string;
  logPath: string;
  indexPath: string;
  /** Sizes of the two files after i messages, i = 0..N. */
  logSizes: number[];
  indexSizes: number[];
}

const formats: { name: string; options: Options }[] = [
  { name: 'V2, key and time index', options: { keyIndex: true, timeIndex: true, version: { newSegmentsVersion: V2 } } },
  { name: 'V1, no index', options: { version: { newSegmentsVersion: V1 } } },
];

async function expectCorrupted(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'open refused').to.be.instanceOf(LogError);
  expect((err as LogError).code).to.equal('ERR_CORRUPTED');
  expect((err as LogError).message).to.match(pattern);
}

describe('a head segment a killed writer left, repaired at a writable open', function () {
  const tempDir = useTempDirs('klevdb-head-repair-');

  for (const { name, options } of formats) {
    describe(name, function () {
      /** N messages published one by one, the files' sizes taken after each. */
      async function build(): Promise<Built> {
        const dir = await tempDir();
        const logPath = path.join(dir, `${HEAD}.log`);
        const indexPath = path.join(dir, `${HEAD}.index`);
        const log = await open(dir, options);
        const logSizes: number[] = [];
        const indexSizes: number[] = [];
        const sizeOf = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);
        try {
          for (let i = 0; i <= N; i++) {
            if (i > 0) await log.publish([message(i - 1)]);
            logSizes.push(sizeOf(logPath));
            indexSizes.push(sizeOf(indexPath));
          }
        } finally {
          await log.close();
        }
        return { dir, logPath, indexPath, logSizes, indexSizes };
      }

      /** Opens with no recover: every message below `count` is there and the next publish gets `count`. */
      async function expectMessages(dir: string, count: number): Promise<void> {
        const log: Log = await open(dir, options);
        try {
          expect(await log.nextOffset(), 'next offset').to.equal(count);
          const { messages } = await log.consume(0, 1000);
          expect(messages.map((m) => m.offset)).to.deep.equal([...Array(count).keys()]);
          for (const m of messages) expect(m.value, `value of ${m.offset}`).to.deep.equal(message(m.offset).value);
          if (options.keyIndex && count > 0)
            expect((await log.getByKey(`key-${count - 1}`)).offset, 'found by key').to.equal(count - 1);
          expect(await log.publish([message(count)]), 'the next publish').to.equal(count + 1);
        } finally {
          await log.close();
        }
        await check(dir, options);
      }

      it('indexes whole records that have no index item (a kill between the two writes)', async function () {
        const b = await build();
        fs.truncateSync(b.indexPath, b.indexSizes[N - 3]!);
        await expectCorrupted(
          check(b.dir, options),
          /holds 3 whole messages after its last indexed one, as a writer killed in the middle of a publish leaves it: the next open for writing indexes them \(no recover needed\)/,
        );
        await expectMessages(b.dir, N);
      });

      it('cuts a partial index item and indexes its record again', async function () {
        const b = await build();
        fs.truncateSync(b.indexPath, Math.floor((b.indexSizes[N - 2]! + b.indexSizes[N - 1]!) / 2));
        await expectMessages(b.dir, N);
      });

      it('cuts a record cut short at the end of the log, keeping the whole ones before it', async function () {
        const b = await build();
        fs.truncateSync(b.logPath, Math.floor((b.logSizes[N - 1]! + b.logSizes[N]!) / 2));
        fs.truncateSync(b.indexPath, b.indexSizes[N - 2]!);
        await expectCorrupted(
          check(b.dir, options),
          /holds 1 whole message after its last indexed one and a last record cut short, .* indexes them and cuts the short record \(no recover needed\)/,
        );
        await expectMessages(b.dir, N - 1);
      });

      it('refuses a damaged unindexed record (ERR_CORRUPTED naming recover); recover keeps what is before it', async function () {
        const b = await build();
        fs.truncateSync(b.indexPath, b.indexSizes[N - 3]!);
        const fd = fs.openSync(b.logPath, 'r+');
        const at = Math.floor((b.logSizes[N - 2]! + b.logSizes[N - 1]!) / 2);
        fs.writeSync(fd, Buffer.from([0xff ^ (N - 2)]), 0, 1, at);
        fs.closeSync(fd);
        await expectCorrupted(open(b.dir, options), /recover: true/);
        expect(fs.statSync(b.logPath).size, 'a refused open changes nothing').to.equal(b.logSizes[N]);
        await (await open(b.dir, { ...options, recover: true })).close();
        await expectMessages(b.dir, N - 2);
      });

      it('refuses an unindexed record whose offset is not the next one', async function () {
        const b = await build();
        // The last record is replaced by a copy of the first: whole and checksummed, but offset 0.
        const first = Buffer.alloc(b.logSizes[1]! - b.logSizes[0]!);
        const fd = fs.openSync(b.logPath, 'r+');
        fs.readSync(fd, first, 0, first.length, b.logSizes[0]!);
        fs.ftruncateSync(fd, b.logSizes[N - 1]!);
        fs.writeSync(fd, first, 0, first.length, b.logSizes[N - 1]!);
        fs.closeSync(fd);
        fs.truncateSync(b.indexPath, b.indexSizes[N - 1]!);
        await expectCorrupted(open(b.dir, options), /holds offset 0, not 9/);
      });
    });
  }

  it('a readonly open repairs nothing', async function () {
    const dir = await tempDir();
    const log = await open(dir, { keyIndex: true });
    await log.publish([message(0), message(1)]);
    await log.close();
    const indexPath = path.join(dir, `${HEAD}.index`);
    const size = fs.statSync(indexPath).size;
    fs.truncateSync(indexPath, size - 5);
    const reader = await open(dir, { keyIndex: true, readonly: true }).catch((e: unknown) => e);
    if (!(reader instanceof Error)) await (reader as Log).close();
    expect(fs.statSync(indexPath).size, 'the index file is untouched').to.equal(size - 5);
  });

  describe('SIGKILL of a writer between the two writes of a publish (strace kills it at an index write)', function () {
    this.timeout(60_000);
    const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/torn-publish-child.js');
    let strace: string;
    before(function () {
      strace = requireStrace(this);
    });

    /** Runs the child under strace on a log whose next offset is `start`, killed as it enters its `when`th write to the head's index file; returns the last acknowledged offset. */
    async function killedAtIndexWrite(dir: string, when: number, start: number): Promise<number> {
      const indexPath = path.join(dir, `${HEAD}.index`);
      const child = fork(CHILD, [dir], {
        execPath: strace,
        execArgv: [
          '-f',
          '-qq',
          '-o',
          '/dev/null',
          '-P',
          indexPath,
          '-e',
          'trace=write',
          '-e',
          `inject=write:signal=KILL:when=${when}`,
          process.execPath,
        ],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      let acked = start - 1;
      child.on('message', (m: { from: number; to: number }) => {
        expect(m.from, 'acknowledged in order').to.equal(acked + 1);
        acked = m.to - 1;
      });
      const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const exit = await new Promise<string>((resolve) => child.on('exit', (c, s) => resolve(s ?? `code ${c}`)));
      clearTimeout(guard);
      expect(exit, 'the child was killed').to.equal('SIGKILL');
      return acked;
    }

    it('every kill leaves a log that opens without recover and holds every acknowledged message', async function () {
      const dir = await tempDir();
      let next = 0;
      for (const when of [3, 2, 5, 9, 4, 13]) {
        const acked = await killedAtIndexWrite(dir, when, next);
        expect(acked, `kill at index write ${when}: the child published`).to.be.at.least(next);
        await expectCorrupted(check(dir, TORN_OPTIONS), /as a writer killed in the middle of a publish leaves it/);
        const log = await open(dir, TORN_OPTIONS);
        try {
          const after = await log.nextOffset();
          // The killed publish wrote its records: they are kept, indexed now.
          expect(after, `kill at index write ${when}: next offset`).to.equal(acked + 1 + batchAt(acked + 1));
          const { messages } = await log.consume(0, 100_000);
          expect(messages.map((m) => m.offset)).to.deep.equal([...Array(after).keys()]);
          for (const m of messages) expect(m.value, `value of ${m.offset}`).to.deep.equal(tornMessage(m.offset).value);
          expect((await log.getByKey(`k${(after - 1) % 13}`)).offset, 'the newest found by key').to.equal(after - 1);
          next = after;
        } finally {
          await log.close();
        }
        await check(dir, TORN_OPTIONS);
      }
    });
  });
});
