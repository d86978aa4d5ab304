// Recovery from state files damaged on disk (the local state directory only;
// the shared recovery tests are in test/contracts/projections-recovery.contract.ts).
import { expect } from 'chai';
import fs from 'node:fs/promises';
import path from 'node:path';
import { useLocalProjections } from '../contracts/projection-backends.js';
import { recoveryRuns, workload } from '../contracts/projections-recovery.contract.js';

describe('projections: recovery of a damaged state directory', function () {
  this.timeout(60_000);
  const h = useLocalProjections();
  const { runOnce, reopen } = recoveryRuns(h);

  it('resumes from the newest whole checkpoint when the end of the state log is torn or damaged', async () => {
    const source = await h.source(1000, workload);
    const checkpoint = await runOnce(source);
    const head = path.join(h.stateDir(), 'counters', 'gen-1', 'state', '00000000000000000000.log');
    const bytes = await fs.readFile(head);
    // The last checkpoint record loses its end; a byte in an earlier record is flipped (its CRC fails).
    const damaged = bytes.subarray(0, bytes.length - 5);
    damaged[Math.floor(damaged.length * 0.8)]! ^= 0xff;
    await fs.writeFile(head, damaged);
    const { projection, opened } = await reopen(source);
    expect(opened.checkpoint).to.be.greaterThan(0).and.lessThan(checkpoint);
    expect(projection.resetReason).to.equal(undefined);
  });
});
