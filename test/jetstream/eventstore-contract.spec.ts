// The event store's contract suite (the one the local and in-memory stores
// pass) on a JetStream log: aggregates built on the store keep their
// semantics when the log moves to a cluster.
import { LogEventStore } from '../../src/eventstore/index.js';
import { openJetStream } from '../../src/jetstream/index.js';
import { appendContract } from '../eventstore/contract-append.js';
import { readContract } from '../eventstore/contract-read.js';
import { accountEvents, type AccountEvent } from '../eventstore/fixtures/account.js';
import { closingFixture, type StoreFactory } from '../eventstore/fixtures/stores.js';
import { useNatsServer } from './harness.js';

describe('event store contract on JetStream', function () {
  this.timeout(60_000);
  const server = useNatsServer();
  let streams = 0;

  const onJetStream: StoreFactory = {
    name: 'JetStream store',
    async create(options = {}) {
      const stream = `CONTRACT${++streams}`;
      return closingFixture(
        async () => new LogEventStore<AccountEvent>(await openJetStream({ servers: server().url, stream }), { ...options, events: accountEvents }),
      );
    },
  };

  appendContract(onJetStream);
  readContract(onJetStream);
});
