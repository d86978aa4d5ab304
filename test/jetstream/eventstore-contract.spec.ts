// The event store's contract suite (the one the local and in-memory stores
// pass) on a JetStream log: aggregates built on the store keep their
// semantics when the log moves to a cluster.
import { appendContract } from '../eventstore/contract-append.js';
import { commandIdContract } from '../eventstore/contract-command-ids.js';
import { historyContract } from '../eventstore/contract-history.js';
import { readContract } from '../eventstore/contract-read.js';
import { useJetStreamStores } from './store-factory.js';

describe('event store contract on JetStream', function () {
  this.timeout(60_000);
  const onJetStream = useJetStreamStores();
  appendContract(onJetStream);
  readContract(onJetStream);
  historyContract(onJetStream);
  commandIdContract(onJetStream);
});
