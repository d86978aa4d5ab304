// One runner at a time per projection, wherever its state is kept.
import { expect } from 'chai';
import { isLogError } from '../../src/index.js';
import { caught } from '../helpers/errors.js';
import type { ProjectionBackend } from './projection-backends.js';
import { counterProjection, foldCounters } from '../projections/fixtures/counter.js';

export function projectionsOwnershipContract(h: ProjectionBackend): void {
  describe('one runner per projection', function () {
    this.timeout(60_000);

    it('refuses a second runner with ERR_LOCKED while the first runs the projection, and lets it in once the first closes', async () => {
      const source = await h.source(200, { keys: 5 });
      const first = h.runner();
      const running = first.add(counterProjection(source));
      await first.start();
      await first.whenRunning();
      const second = h.runner().add(counterProjection(source));
      const refused = await caught(() => second.open());
      expect(isLogError(refused, 'ERR_LOCKED'), String(refused)).to.equal(true);
      expect(running.state, 'the first runner goes on').to.equal('running');
      await first.close();
      await second.start();
      await second.whenRunning();
      expect((await second.status()).checkpoint, 'the state the first runner committed').to.equal(200);
      expect((await second.snapshot()).states).to.deep.equal(await foldCounters(source));
    });
  });
}
