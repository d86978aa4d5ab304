// The aggregates suites (command handler, snapshots) and the event store's
// stream cache that serves their reloads, the same ones the local and
// in-memory stores pass, on JetStream: what a user keeps when the log moves
// to a cluster, and two processes writing one stream.
import { commandHandlerSuite } from '../eventstore/command-handler-suite.js';
import { stateCacheSuite } from '../eventstore/state-cache-suite.js';
import { snapshotsSuite } from '../eventstore/snapshots-suite.js';
import { streamCacheSuite } from '../eventstore/stream-cache-suite.js';
import { useJetStreamStores } from './store-factory.js';

describe('aggregates on JetStream', function () {
  this.timeout(60_000);
  const onJetStream = useJetStreamStores();
  commandHandlerSuite(onJetStream);
  snapshotsSuite(onJetStream);
  streamCacheSuite(onJetStream);
  stateCacheSuite(onJetStream);
});
