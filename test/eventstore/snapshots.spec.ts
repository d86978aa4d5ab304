// Snapshots on the log-backed and in-memory stores (JetStream in test/jetstream).
import { storeFactories } from '../contracts/event-stores.js';
import { snapshotsContract } from '../contracts/snapshots.contract.js';

for (const factory of storeFactories) snapshotsContract(factory);
