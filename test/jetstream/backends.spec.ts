// One suite, two backends: the storage and streams behaviours that hold for
// the local log and for JetStream alike.
import { useJetStreamBackend, useLocalBackend } from './backends.js';
import { logSuite } from './log-suite.js';
import { streamsSuite } from './streams-suite.js';

describe('shared suite: local log', function () {
  const backend = useLocalBackend();
  logSuite(backend);
  streamsSuite(backend);
});

describe('shared suite: JetStream', function () {
  this.timeout(30_000);
  const backend = useJetStreamBackend();
  logSuite(backend);
  streamsSuite(backend);
});
