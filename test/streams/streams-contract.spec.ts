// The streams, durable subscription and backpressure contracts (test/contracts)
// over the local log; JetStream runs them in test/jetstream/log-contract.spec.ts.
import { useLocalBackend } from '../contracts/backends.js';
import { backpressureContract } from '../contracts/backpressure.contract.js';
import { streamsContract } from '../contracts/streams.contract.js';
import { subscriptionsContract } from '../contracts/subscriptions.contract.js';

describe('shared suite: local log', function () {
  const backend = useLocalBackend();
  streamsContract(backend);
  subscriptionsContract(backend);
  backpressureContract(backend);
});
