// The log and streams contracts (test/contracts) on JetStream: the storage
// and streams behaviours that hold for the local log and for JetStream alike.
// The local log runs them in test/storage/log-contract.spec.ts and
// test/streams/streams-contract.spec.ts.
import { useJetStreamBackend } from '../contracts/backends.js';
import { backpressureContract } from '../contracts/backpressure.contract.js';
import { logContract } from '../contracts/log.contract.js';
import { streamsContract } from '../contracts/streams.contract.js';
import { subscriptionsContract } from '../contracts/subscriptions.contract.js';

describe('shared suite: JetStream', function () {
  this.timeout(30_000);
  const backend = useJetStreamBackend();
  logContract(backend);
  streamsContract(backend);
  subscriptionsContract(backend);
  backpressureContract(backend);
});
