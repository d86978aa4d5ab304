// Durable subscriptions (klevdb/streams openSubscription) over any backend's
// BlockingLog: the source on the backend with the offsets in a local
// directory, and both on the backend (the lock in a local lockDir).
import { expect } from 'chai';
import path from 'node:path';
import type { BlockingLog, Log } from '../../src/storage/types.js';
import { openSubscription, type SubscriptionOptions } from '../../src/streams/index.js';
import { expectLogError } from '../helpers/errors.js';
import { messages, range } from '../streams/helpers.js';
import type { Backend } from './backends.js';

export function subscriptionsContract(backend: Backend): void {
  describe('durable subscriptions', function () {
    /** One run over what the source holds; the offsets it read. */
    async function drain(source: BlockingLog, options: SubscriptionOptions): Promise<number[]> {
      const sub = await openSubscription(source, options);
      const seen: number[] = [];
      try {
        await sub.run(async (batch) => void seen.push(...batch.messages.map((m) => m.offset)), { live: false });
      } finally {
        await sub.close();
      }
      return seen;
    }

    it('resumes at its committed position, the offsets in a local directory', async () => {
      const source = await backend.fresh();
      const offsets = path.join(await backend.tempDir(), 'offsets');
      await source.publish(messages(0, 25));
      expect(await drain(source, { name: 'n', offsets, batchSize: 10 })).to.deep.equal(range(0, 25));
      await source.publish(messages(25, 5));
      expect(await drain(source, { name: 'n', offsets })).to.deep.equal(range(25, 30));
      expect(await drain(source, { name: 'late', offsets, start: 'newest' })).to.deep.equal([]);
    });

    it('keeps its positions in an offsets log on the backend too, one consumer per name by a local lock', async () => {
      const source = await backend.fresh();
      const offsets: Log = await backend.fresh();
      const lockDir = await backend.tempDir();
      await source.publish(messages(0, 12));
      const options = { name: 'n', offsets, lockDir, batchSize: 5 };
      const first = await openSubscription(source, options);
      await expectLogError(() => openSubscription(source, options), 'ERR_LOCKED');
      const seen: number[] = [];
      await first.run(async (b) => {
        seen.push(...b.messages.map((m) => m.offset));
        if (seen.length >= 10) first.stop();
      });
      await first.close();
      expect(seen).to.deep.equal(range(0, 10));
      expect(await drain(source, options)).to.deep.equal([10, 11]);
    });
  });
}
