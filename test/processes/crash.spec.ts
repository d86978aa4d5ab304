// Crash: a reactor SIGKILLed with events of several keys in flight resumes
// with every event handled at least once, no event before the committed
// checkpoint unhandled, and each key's events in order within a run.
import { expect } from 'chai';
import { fork } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBlocking } from '../../src/index.js';
import { ProjectionRunner } from '../../src/projections/index.js';
import { reactor } from '../../src/processes/index.js';
import { useReactorHarness } from './fixtures/reactor-harness.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'crash-child.js');
const EVENTS = 3000;
const KEYS = 7;
/** More for a longer hunt (npm run torture may set it). */
const TRIALS = Number(process.env.KLEVDB_REACTOR_CRASH_TRIALS ?? 8);

/** Runs the child until it is killed at a random moment (or, `toEnd`, until it is done); resolves when it is gone. */
async function runChild(dir: string, run: number, toEnd: boolean): Promise<void> {
  const child = fork(CHILD, [dir, String(run)], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m) => {
      if (m === (toEnd ? 'done' : 'alive')) resolve();
    });
    void exited.then((how) => reject(new Error(`the child exited (${how}) early: ${stderr}`)));
  });
  if (!toEnd) await new Promise((r) => setTimeout(r, Math.random() * 150));
  child.kill('SIGKILL');
  expect(await exited, `the child died before it was killed: ${stderr}`).to.equal('SIGKILL');
}

/** The checkpoint the reactor committed, as a restart reads it. */
async function committed(dir: string): Promise<number> {
  const source = await openBlocking(path.join(dir, 'source'), { readonly: true, keyIndex: true, timeIndex: true });
  const runner = new ProjectionRunner({ dir: path.join(dir, 'state') });
  try {
    const r = runner.addProcess(reactor({ name: 'crashy', source, handle: async () => undefined }));
    await r.deadLetters(); // opens its state without starting it
    return (await r.status()).checkpoint;
  } finally {
    await runner.close();
    await source.close();
  }
}

type Line = { run: number; offset: number; key: string };

async function handled(dir: string): Promise<Line[]> {
  const text = await fs.readFile(path.join(dir, 'handled'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [run, offset, key] = l.split(' ');
      return { run: Number(run), offset: Number(offset), key: key! };
    });
}

describe('processes: reactor crash consistency', function () {
  this.timeout(600_000);
  const h = useReactorHarness();

  it(`after ${TRIALS} SIGKILLs with several keys in flight: nothing before the checkpoint unhandled, everything handled at least once, keys in order`, async () => {
    const log = await h.log();
    for (let i = 0; i < EVENTS; i += 500)
      await log.publish(Array.from({ length: 500 }, (_, j) => ({ key: `k${(i + j) % KEYS}`, value: `${i + j}` })));
    await log.close();
    let checkpoints = 0;
    for (let run = 0; run < TRIALS; run++) {
      await runChild(h.dir, run, false);
      const checkpoint = await committed(h.dir);
      const seen = new Set((await handled(h.dir)).map((l) => l.offset));
      for (let offset = 0; offset < checkpoint; offset++)
        expect(seen.has(offset), `offset ${offset} is before checkpoint ${checkpoint} but was never handled`).to.equal(
          true,
        );
      if (checkpoint > 0 && checkpoint < EVENTS) checkpoints++;
    }
    await runChild(h.dir, TRIALS, true);
    expect(await committed(h.dir)).to.equal(EVENTS);
    const lines = await handled(h.dir);
    expect(new Set(lines.map((l) => l.offset)).size).to.equal(EVENTS);
    // Within one run, each key's events come in offset order, and with its own key.
    const last = new Map<string, number>();
    for (const { run, offset, key } of lines) {
      expect(key).to.equal(`k${offset % KEYS}`);
      const previous = last.get(`${run}/${key}`) ?? -1;
      expect(offset, `run ${run}, key ${key}`).to.be.above(previous);
      last.set(`${run}/${key}`, offset);
    }
    // Some kills landed mid-run: after a commit, before the end.
    expect(checkpoints).to.be.above(0);
  });
});
