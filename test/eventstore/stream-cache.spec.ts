// The stream cache on the log-backed and in-memory stores (JetStream in test/jetstream).
import { storeFactories } from './fixtures/stores.js';
import { streamCacheSuite } from './stream-cache-suite.js';

for (const factory of storeFactories) streamCacheSuite(factory);
