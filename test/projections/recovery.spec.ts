// What a projection does with the state it finds when it opens: a publish
// torn by a crash is rolled back to the newest checkpoint; a checkpoint that
// cannot be trusted means the state is dropped and rebuilt, never guessed at.
import { expect } from 'chai';
import fs from 'node:fs/promises';
import path from 'node:path';
import { open } from '../../src/storage/log.js';
import { isLogError, type BlockingLog } from '../../src/index.js';
import { ProjectionRunner } from '../../src/projections/index.js';
import { CHECKPOINT_KEY } from '../../src/projections/records.js';
import { caught } from '../helpers/errors.js';
import { counterProjection, counterSource, foldCounters } from './fixtures/counter.js';
import { useHarness } from './fixtures/harness.js';

const workload = { keys: 25, resetEvery: 11 };

describe('projections: recovery of the stored state', function () {
  this.timeout(60_000);
  const h = useHarness();
  const stateDir = () => path.join(h.stateDir, 'counters', 'gen-1', 'state');

  /** Runs the counter projection over `source` to its end, in commits of 100 events, then closes it. */
  async function runOnce(source: BlockingLog, version = 1): Promise<number> {
    const runner = new ProjectionRunner({ dir: h.stateDir });
    const projection = runner.add(counterProjection(source, { version }), { commit: { maxEvents: 100 }, batchSize: 100 });
    await runner.start();
    await runner.whenRunning();
    const { checkpoint } = await projection.status();
    await runner.close();
    return checkpoint;
  }

  /** Opens the projection again, runs it to the end, and checks it against the reference fold. */
  async function reopen(source: BlockingLog, version = 1) {
    const projection = h.runner().add(counterProjection(source, { version }));
    await projection.open();
    const opened = await projection.status();
    await projection.start();
    await projection.whenRunning();
    expect((await projection.snapshot()).states).to.deep.equal(await foldCounters(source));
    return { projection, opened };
  }

  it('rolls back state records published after the newest checkpoint (a torn publish)', async () => {
    const source = await h.source(1000, workload);
    const checkpoint = await runOnce(source);
    const state = await open(stateDir(), { keyIndex: true });
    const torn = await state.publish([{ key: 'c1', value: '{"o":999,"s":{"count":-1,"sum":0,"chain":0}}' }]);
    await state.close();
    const { projection, opened } = await reopen(source);
    expect(opened.checkpoint).to.equal(checkpoint);
    expect(projection.resetReason).to.equal(undefined);
    await projection.stop();
    await projection.close();
    const after = await open(stateDir(), { keyIndex: true });
    h.defer(() => after.close());
    expect(isLogError(await caught(() => after.get(torn - 1)), 'ERR_NOT_FOUND'), 'the torn record is gone').to.equal(true);
  });

  it('resumes from the newest whole checkpoint when the end of the state log is torn or damaged', async () => {
    const source = await h.source(1000, workload);
    const checkpoint = await runOnce(source);
    const head = path.join(stateDir(), '00000000000000000000.log');
    const bytes = await fs.readFile(head);
    // The last checkpoint record loses its end; a byte in an earlier record is flipped (its CRC fails).
    const damaged = bytes.subarray(0, bytes.length - 5);
    damaged[Math.floor(damaged.length * 0.8)]! ^= 0xff;
    await fs.writeFile(head, damaged);
    const { projection, opened } = await reopen(source);
    expect(opened.checkpoint).to.be.greaterThan(0).and.lessThan(checkpoint);
    expect(projection.resetReason).to.equal(undefined);
  });

  it('rebuilds when the checkpoint is past the end of the source (another source)', async () => {
    const source = await h.source(1000, workload);
    await runOnce(source);
    await source.close();
    await fs.rm(path.join(h.dir, 'source'), { recursive: true });
    const shorter = await counterSource(h.dir, 300, { keys: 7 });
    h.defer(() => shorter.close());
    const { projection } = await reopen(shorter);
    expect(projection.resetReason).to.match(/past the end of the source/);
    expect((await projection.status()).generation).to.equal(2);
  });

  it("rebuilds when the state was written by another version of the projection's definition", async () => {
    const source = await h.source(500, workload);
    await runOnce(source, 1);
    const { projection } = await reopen(source, 2);
    expect(projection.resetReason).to.match(/version 1 .* version 2/);
  });

  it('rebuilds when the checkpoint record cannot be read', async () => {
    const source = await h.source(500, workload);
    await runOnce(source);
    const state = await open(stateDir(), { keyIndex: true });
    await state.publish([{ key: CHECKPOINT_KEY, value: 'not a checkpoint' }]);
    await state.close();
    const { projection } = await reopen(source);
    expect(projection.resetReason).to.match(/not JSON/);
  });

  it('rebuilds when a checkpoint record sits at another offset than it says', async () => {
    const source = await h.source(500, workload);
    await runOnce(source);
    const state = await open(stateDir(), { keyIndex: true });
    const last = JSON.parse((await state.getByKey(CHECKPOINT_KEY)).value!.toString()) as object;
    await state.publish([{ key: CHECKPOINT_KEY, value: JSON.stringify(last) }]);
    await state.close();
    const { projection } = await reopen(source);
    expect(projection.resetReason).to.match(/says it is at offset/);
  });

  it('starts afresh when the generation pointer is unreadable', async () => {
    const source = await h.source(500, workload);
    await runOnce(source);
    await fs.writeFile(path.join(h.stateDir, 'counters', 'CURRENT'), 'garbage');
    const { projection, opened } = await reopen(source);
    expect(opened.checkpoint, 'nothing of the old state is used').to.equal(-1);
    expect(opened.generation).to.equal(2);
    expect((await fs.readdir(path.join(h.stateDir, 'counters'))).sort()).to.deep.equal(['.lock', 'CURRENT', 'gen-2']);
  });
});
