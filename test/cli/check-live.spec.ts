// klevdb check beside a writer in another process (issue 14, item 3): it
// checks the head up to the writer's last indexed message and never calls a
// healthy log corrupted; real damage is still found, and recover is advised
// only once the writer is gone.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { V1 } from '../../src/index.js';
import type { Options } from '../../src/index.js';
import { flipByte } from '../helpers/fs.js';
import { Workspace, expectError, klevdb } from './helpers.js';

interface StatJson {
  messages: number;
  nextOffset: number;
  firstOffset: number;
  publishedDuringReading: number;
}

const CHURN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/churn-child.js');

interface Writer {
  proc: ChildProcess;
  /** Resolves once the writer has published at least `offset` messages (a paced one is allowed that far). */
  reached(offset: number): Promise<void>;
  /** Lets a paced writer publish `count` messages more, from where it was allowed to. */
  writeMore(count: number): void;
  stop(): Promise<void>;
}

/**
 * A writer in a child process. A paced one publishes only as far as reached() and writeMore() let it: a test
 * that runs a command beside it again and again grants each run the same share, so the log (and what a
 * `check --all` reads) grows with the runs, not with how slow a busy machine makes each of them.
 */
async function startWriter(dir: string, opts: Options, rewrite: boolean, paced = false): Promise<Writer> {
  const args = [dir, JSON.stringify({ createDirs: true, ...opts }), rewrite ? 'rewrite' : '', paced ? 'paced' : ''];
  const proc = fork(CHURN, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let upTo = 0;
  const allow = (offset: number): void => {
    upTo = Math.max(upTo, offset);
    if (paced) proc.send({ cmd: 'allow', upTo });
  };
  let next = -1;
  let failure: string | null = null;
  const waiters: (() => void)[] = [];
  proc.on('message', (m: { type: string; nextOffset?: number; message?: string }) => {
    if (m.type === 'published') next = m.nextOffset!;
    if (m.type === 'failed') failure = m.message!;
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const reached = async (offset: number): Promise<void> => {
    allow(offset);
    while (next < offset) {
      if (failure) throw new Error(`writer failed: ${failure}`);
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error('writer exited');
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  await reached(0);
  return { proc, reached, writeMore: (count) => allow(upTo + count), stop: async () => (proc.kill('SIGTERM'), exited) };
}

interface CheckJson {
  ok: boolean;
  besideWriter: boolean;
  error: string | null;
  head: { segment: number; messages: number; lastOffset: number | null; checkedBytes: number; logBytes: number } | null;
}

/** The head segment's log and index, and where item `i` of its index puts its record (V2 files, both indexes). */
function headItem(
  dir: string,
  i: number,
  fromSegment = -1,
): { log: string; index: string; position: number; itemAt: number } {
  const logs = readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .sort();
  const name = logs.at(fromSegment)!.slice(0, -4);
  const index = path.join(dir, `${name}.index`);
  const itemAt = 8 + 32 * i; // V2 header, then offset, position, time, key hash: 8 bytes each
  const data = readFileSync(index);
  expect(data.length, `index ${index} has item ${i}`).to.be.greaterThanOrEqual(itemAt + 32);
  return { log: path.join(dir, `${name}.log`), index, position: Number(data.readBigInt64BE(itemAt + 8)), itemAt };
}

/** What a paced writer may publish beside each command run: about as long as a run takes on a quiet machine. */
const PER_RUN = 400;

describe('klevdb check beside a live writer', function () {
  // Up to 21 klevdb processes a test: on a busy two-core machine starting them alone takes minutes. What they
  // read is bounded (paced writers), so this only keeps a slow machine from failing them.
  this.timeout(300_000);
  const ws = new Workspace();
  const writers: Writer[] = [];
  afterEach(async () => {
    for (const w of writers.splice(0)) await w.stop();
  });
  after(() => ws.remove());

  const both: Options = { keyIndex: true, timeIndex: true };

  it('passes 20 times in a row on a healthy log while the writer publishes, rolls over and rewrites its head', async () => {
    const dir = ws.fresh('live');
    const w = await startWriter(dir, { ...both, rollover: 16 * 1024 }, true, true);
    writers.push(w);
    await w.reached(200);
    let passed = 0;
    for (let run = 0; run < 20; run++) {
      const args = ['check', dir, '--json', ...(run % 4 === 3 ? ['--all'] : [])];
      w.writeMore(PER_RUN);
      const r = await klevdb(args);
      // Exit 3 (corrupted) would be a false alarm. A writer that rewrote the head at every try may be asked to stop (exit 4).
      if (r.code === 4) {
        expectError(r, 4, /stop that process first/);
        continue;
      }
      expect(r.code, `run ${run}: ${r.stdout}${r.stderr}`).to.equal(0);
      const out = JSON.parse(r.stdout) as CheckJson;
      expect(out).to.include({ ok: true, besideWriter: true, error: null });
      expect(out.head!.checkedBytes).to.be.at.most(out.head!.logBytes);
      passed++;
    }
    expect(passed, 'checks that passed').to.be.greaterThan(10);
    const text = await klevdb(['check', dir]);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.match(
      /^ok: .*: head segment \d{20} is intact up to (offset \d+|its start) \(\d+ messages?, \d+ of \d+ bytes; a writer is appending/,
    );
  });

  it('stat beside a writer gives counts from about one moment: messages trail next offset - first offset by at most the publish in flight', async () => {
    const dir = ws.fresh('live-stat');
    const w = await startWriter(dir, { rollover: 8 * 1024 }, false, true);
    writers.push(w);
    await w.reached(200);
    for (let run = 0; run < 6; run++) {
      w.writeMore(PER_RUN);
      const r = await klevdb(['stat', dir, '--json']);
      expect(r.code, `run ${run}: ${r.stderr}`).to.equal(0);
      const s = JSON.parse(r.stdout) as StatJson;
      // The writer publishes 1 to 4 messages at a time; before the fix the counts were thousands apart. A paced
      // writer pauses after its share, so stat waits for a reading from one moment.
      expect(s.publishedDuringReading, `run ${run}`).to.equal(0);
      const span = s.nextOffset - s.firstOffset;
      expect(s.messages, `run ${run}: ${r.stdout.slice(0, 120)}`).to.be.within(span - 4, span);
    }
  });

  it('passes beside a V1 writer without indexes too, with and without --all', async () => {
    const dir = ws.fresh('live-v1');
    const w = await startWriter(dir, { rollover: 8 * 1024, version: { newSegmentsVersion: V1 } }, false, true);
    writers.push(w);
    await w.reached(200);
    for (let run = 0; run < 6; run++) {
      w.writeMore(PER_RUN);
      const r = await klevdb(['check', dir, ...(run % 2 ? ['--all'] : [])]);
      expect(r.code, `run ${run}: ${r.stderr}`).to.equal(0);
      expect(r.stdout).to.match(/a writer is appending/);
    }
  });

  it('finds a record damaged in the checked part of the head, says to stop the writer before recover, and advises recover once it stopped', async () => {
    const dir = ws.fresh('live-damaged');
    const w = await startWriter(dir, { ...both, rollover: 64 << 20 }, false);
    writers.push(w);
    await w.reached(100);
    const { log, position } = headItem(dir, 20);
    await flipByte(log, position + 18); // inside the record's time: its CRC no longer matches
    await w.reached(200);
    for (let run = 0; run < 3; run++) {
      const r = await klevdb(['check', dir]);
      expectError(r, 3, /is corrupted: .*crc.*a writer has the log open: stop it, then run `klevdb recover /i);
      const json = await klevdb(['check', dir, '--json']);
      expect(json.code).to.equal(3);
      expect(JSON.parse(json.stdout) as CheckJson).to.include({ ok: false, besideWriter: true });
    }
    await w.stop();
    writers.splice(0);
    const closed = await klevdb(['check', dir]);
    expectError(closed, 3, /is corrupted: .*; run `klevdb recover /);
    expect(closed.stderr).not.to.match(/a writer has the log open/);
  });

  it('finds an index item that disagrees with its record in the checked part of the head', async () => {
    const dir = ws.fresh('live-bad-item');
    const w = await startWriter(dir, { ...both, rollover: 64 << 20 }, false);
    writers.push(w);
    await w.reached(100);
    const { index, itemAt } = headItem(dir, 30);
    await flipByte(index, itemAt + 28); // a byte of the key hash
    await w.reached(200);
    expectError(await klevdb(['check', dir]), 3, /does not match its log.*a writer has the log open: stop it/);
  });

  it('check --all finds a damaged record in a sealed segment while the writer runs, and names its offset', async () => {
    const dir = ws.fresh('live-sealed');
    const w = await startWriter(dir, { ...both, rollover: 4096 }, false);
    writers.push(w);
    await w.reached(300);
    const { log, position } = headItem(dir, 1, 0);
    await flipByte(log, position + 18);
    expect((await klevdb(['check', dir])).code, 'the head alone is intact').to.equal(0);
    const r = await klevdb(['check', dir, '--all']);
    expectError(
      r,
      3,
      /the message at offset 1 cannot be read .*restore the segment that holds it from a backup.*stop it before repairing/,
    );
  });
});
