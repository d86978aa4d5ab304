// `klevgo bench` (interop/klevgo/bench.go): Go klevdb as a peer of the storage
// bench. Its workload is a port of bench/workload.ts, so the log it builds must
// hold exactly the messages the Node peers are fed; its serve mode must answer
// the Node bench's requests, and bad input must fail with a clear message.
// Needs Go: skipped with a reason where `go` is missing, required when CI is set.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { GoHost } from '../../bench/go-host.js';
import { klevgo } from '../../bench/klevgo.js';
import { MessageSource } from '../../bench/workload.js';
import { check, open } from '../helpers/api.js';
import { GO, requireExternal } from '../helpers/external.js';
import { useTempDirs } from '../helpers/fs.js';

const exec = promisify(execFile);
const OPERATIONS = [
  'publish-1',
  'publish-100',
  'publish-100-sync',
  'consume-1',
  'consume-100',
  'get',
  'get-by-key',
  'get-by-time',
];
/** Two 1 MiB segments of 174-byte records. */
const MESSAGES = 7000;
const SIZES = {
  dataset: 3000,
  publishOne: 500,
  publishHundred: 3000,
  publishSynced: 200,
  consumeOne: 3000,
  lookups: 500,
};

interface Report {
  sizes: { dataset: number };
  rounds: number;
  figures: { id: string; unit: string; median: number; best: number; rounds: number[] }[];
}

/** The failure of a klevgo run: its exit code and stderr. */
async function failure(binary: string, args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await exec(binary, args);
  } catch (err) {
    const { code, stderr } = err as { code: number; stderr: string };
    return { code, stderr };
  }
  throw new Error(`klevgo ${args.join(' ')} succeeded`);
}

describe('klevgo bench (Go klevdb as a bench peer)', function () {
  this.timeout(120_000);
  const tempDir = useTempDirs('klevgo-bench-');
  let binary: string;
  let goVersion: string;

  before(async function () {
    const go = await klevgo();
    ({ binary, goVersion } = requireExternal(this, GO, 'missing' in go ? null : go));
  });

  it('measures every operation and leaves a log holding exactly the Node workload’s messages', async () => {
    const dir = path.join(await tempDir(), 'bench');
    const { stdout } = await exec(binary, ['bench', '-dir', dir, '-messages', String(MESSAGES), '-rounds', '2']);
    const report = JSON.parse(stdout) as Report;
    expect(report.sizes.dataset).to.equal(MESSAGES);
    expect(report.figures.map((f) => f.id)).to.deep.equal(['publish-100-dataset', ...OPERATIONS]);
    for (const figure of report.figures.slice(1)) {
      expect(figure.rounds, figure.id).to.have.length(2);
      expect(figure.best, figure.id).to.equal(Math.max(...figure.rounds));
      expect(figure.median, figure.id).to.be.above(0).and.at.most(figure.best);
      expect(figure.unit).to.equal('msg/s');
    }
    // The fresh logs of the publish rounds are gone; the dataset stays, in 1 MiB segments.
    expect(await readdir(dir)).to.deep.equal(['dataset']);
    const dataset = path.join(dir, 'dataset');
    expect((await readdir(dataset)).filter((name) => name.endsWith('.log'))).to.have.length(2);
    await check(dataset, { keyIndex: true, timeIndex: true });

    const expected = new MessageSource().messages(0, MESSAGES);
    const log = await open(dataset, { readonly: true, keyIndex: true, timeIndex: true });
    try {
      let offset = 0;
      while (offset < MESSAGES) {
        const { nextOffset, messages } = await log.consume(offset, MESSAGES);
        for (const message of messages) {
          const want = expected[message.offset]!;
          expect(message.offset).to.equal(offset++);
          expect(message.key, `key of ${message.offset}`).to.deep.equal(want.key);
          expect(message.value, `value of ${message.offset}`).to.deep.equal(want.value);
          expect(message.timeMicros, `time of ${message.offset}`).to.equal(want.timeMicros);
        }
        expect(nextOffset).to.equal(offset);
      }
      expect(await log.nextOffset()).to.equal(MESSAGES);
    } finally {
      await log.close();
    }
  });

  it('serves the Node bench: build, a round of each operation, close', async () => {
    const dir = path.join(await tempDir(), 'go');
    const { host, setup } = await GoHost.start(binary, goVersion, dir);
    try {
      expect(setup).to.match(/^Go klevdb v\d+\.\d+\.\d+ \(go1\./);
      expect((await host.build(SIZES)).messages).to.equal(SIZES.dataset);
      for (const op of OPERATIONS) {
        const { messages, seconds } = await host.run(op, 1, SIZES);
        expect(messages, op).to.be.above(0);
        expect(seconds, op).to.be.above(0);
      }
      await host.run('no-such-op', 0, SIZES).then(
        () => expect.fail('an unknown operation was measured'),
        (err: Error) => expect(err.message).to.match(/unknown operation "no-such-op"; known: \[publish-1/),
      );
      // Still answering after an error.
      expect((await host.run('get', 2, SIZES)).messages).to.equal(SIZES.lookups);
    } finally {
      await host.close();
    }
    expect(await readdir(dir)).to.deep.equal(['dataset']);
  });

  it('refuses a directory that is not empty, a missing -dir and an unknown operation, saying what to do', async () => {
    const busy = await tempDir();
    await writeFile(path.join(busy, 'file'), 'x');
    const notEmpty = await failure(binary, ['bench', '-dir', busy, '-messages', '100']);
    expect(notEmpty.code).to.equal(1);
    expect(notEmpty.stderr).to.contain(`-dir ${busy} is not empty; give a missing or empty directory`);

    const noDir = await failure(binary, ['bench']);
    expect(noDir.stderr).to.contain('-dir is required');

    const empty = path.join(await tempDir(), 'empty');
    await mkdir(empty);
    const unknown = await failure(binary, ['bench', '-dir', empty, '-ops', 'get,nope']);
    expect(unknown.stderr).to.contain('unknown operation "nope"');
    expect(await readdir(empty)).to.deep.equal([]);

    const zero = await failure(binary, ['bench', '-dir', path.join(empty, 'z'), '-rounds', '0']);
    expect(zero.stderr).to.contain('-messages and -rounds must be positive');
    // Flags are checked before anything is created.
    expect(await readdir(empty)).to.deep.equal([]);
  });
});
