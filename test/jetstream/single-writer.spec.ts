// openJetStream({ singleWriter: true }): publishes expect the stream to end
// where the log's own last write left it, so another writer's publish in
// between makes the next one fail whole.
import { expect } from 'chai';
import { openJetStream } from '../../src/jetstream/index.js';
import { expectLogError } from '../helpers/errors.js';
import { useNatsServer } from '../helpers/nats-server.js';

describe('JetStream log with singleWriter', function () {
  this.timeout(30_000);
  const server = useNatsServer();

  it("refuses a publish after another writer's with ERR_LOCKED, storing none of it", async () => {
    const place = { servers: server().url, stream: 'SINGLE', singleWriter: true };
    const fenced = await openJetStream(place);
    const other = await openJetStream({ ...place, singleWriter: false });
    try {
      expect(
        await fenced.publish([
          { key: 'a', value: '1' },
          { key: 'b', value: '2' },
        ]),
      ).to.equal(2);
      expect(await fenced.publish([{ key: 'a', value: '3' }])).to.equal(3);
      await other.publish([{ key: 'x', value: 'other' }]);
      await expectLogError(
        () =>
          fenced.publish([
            { key: 'a', value: '4' },
            { key: 'b', value: '5' },
          ]),
        'ERR_LOCKED',
        'another writer',
      );
      expect(await other.nextOffset(), 'nothing of the refused publish').to.equal(4);
      // A log opened now starts from the stream as it is.
      const reopened = await openJetStream(place);
      expect(await reopened.publish([{ key: 'a', value: '4' }])).to.equal(5);
      await reopened.close();
    } finally {
      await Promise.all([fenced.close(), other.close()]);
    }
  });

  it('rejects a singleWriter that is not a boolean', async () => {
    await expectLogError(
      () => openJetStream({ stream: 'S', singleWriter: 'yes' as unknown as boolean }),
      'ERR_INVALID_ARGUMENT',
      'options.singleWriter',
    );
  });
});
