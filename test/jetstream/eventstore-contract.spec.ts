// The event store's contract suite (the one the local and in-memory stores
// pass) on a JetStream log: aggregates built on the store keep their
// semantics when the log moves to a cluster.
import { eventStoreAppendContract } from '../contracts/event-store-append.contract.js';
import { eventStoreCommandIdsContract } from '../contracts/event-store-command-ids.contract.js';
import { eventStoreHistoryContract } from '../contracts/event-store-history.contract.js';
import { eventStoreReadContract } from '../contracts/event-store-read.contract.js';
import { useJetStreamStores } from './store-factory.js';

describe('event store contract on JetStream', function () {
  this.timeout(60_000);
  const onJetStream = useJetStreamStores();
  eventStoreAppendContract(onJetStream);
  eventStoreReadContract(onJetStream);
  eventStoreHistoryContract(onJetStream);
  eventStoreCommandIdsContract(onJetStream);
});
