// Snapshots on the log-backed and in-memory stores (JetStream in test/jetstream).
import { storeFactories } from './fixtures/stores.js';
import { snapshotsSuite } from './snapshots-suite.js';

for (const factory of storeFactories) snapshotsSuite(factory);
