// The log contract (test/contracts/log.contract.ts) on the local log; JetStream
// runs it in test/jetstream/log-contract.spec.ts. What only the local log has
// (segments, files, formats) is tested in the other specs here.
import { useLocalBackend } from '../contracts/backends.js';
import { logContract } from '../contracts/log.contract.js';

describe('shared suite: local log', function () {
  logContract(useLocalBackend());
});
