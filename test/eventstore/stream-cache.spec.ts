// The stream cache on the log-backed and in-memory stores (JetStream in test/jetstream).
import { storeFactories } from '../contracts/event-stores.js';
import { streamCacheContract } from '../contracts/stream-cache.contract.js';

for (const factory of storeFactories) streamCacheContract(factory);
