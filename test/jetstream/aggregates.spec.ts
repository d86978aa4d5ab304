// The aggregates suites, the same ones the local and in-memory stores pass,
// on JetStream: what a user keeps when the log moves to a cluster, and two
// processes writing one stream.
import { commandHandlerSuite } from '../eventstore/command-handler-suite.js';
import { useJetStreamStores } from './store-factory.js';

describe('aggregates on JetStream', function () {
  this.timeout(60_000);
  const onJetStream = useJetStreamStores();
  commandHandlerSuite(onJetStream);
});
