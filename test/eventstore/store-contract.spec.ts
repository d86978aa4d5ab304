// One contract, two stores: the in-memory store must behave exactly as the log-backed one.
import { eventStoreAppendContract } from '../contracts/event-store-append.contract.js';
import { eventStoreCommandIdsContract } from '../contracts/event-store-command-ids.contract.js';
import { eventStoreHistoryContract } from '../contracts/event-store-history.contract.js';
import { eventStoreReadContract } from '../contracts/event-store-read.contract.js';
import { storeFactories } from '../contracts/event-stores.js';

for (const factory of storeFactories) {
  eventStoreAppendContract(factory);
  eventStoreReadContract(factory);
  eventStoreHistoryContract(factory);
  eventStoreCommandIdsContract(factory);
}
