// The aggregates suites (command handler, snapshots) and the event store's
// stream cache that serves their reloads, the same ones the local and
// in-memory stores pass, on JetStream: what a user keeps when the log moves
// to a cluster, and two processes writing one stream.
import { commandHandlerContract } from '../contracts/command-handler.contract.js';
import { stateCacheContract } from '../contracts/state-cache.contract.js';
import { snapshotsContract } from '../contracts/snapshots.contract.js';
import { streamCacheContract } from '../contracts/stream-cache.contract.js';
import { useJetStreamStores } from './store-factory.js';

describe('aggregates on JetStream', function () {
  this.timeout(60_000);
  const onJetStream = useJetStreamStores();
  commandHandlerContract(onJetStream);
  snapshotsContract(onJetStream);
  streamCacheContract(onJetStream);
  stateCacheContract(onJetStream);
});
