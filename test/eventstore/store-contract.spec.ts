// One contract, two stores: the in-memory store must behave exactly as the log-backed one.
import { appendContract } from './contract-append.js';
import { commandIdContract } from './contract-command-ids.js';
import { historyContract } from './contract-history.js';
import { readContract } from './contract-read.js';
import { storeFactories } from './fixtures/stores.js';

for (const factory of storeFactories) {
  appendContract(factory);
  readContract(factory);
  historyContract(factory);
  commandIdContract(factory);
}
