// One suite, two backends: the storage and streams behaviours that hold for
// the local log and for JetStream alike. What only the local log has stays in
// test/storage (segments, files, formats) and test/streams/typed.spec.ts.
import { useJetStreamBackend, useLocalBackend } from './backends.js';
import { backpressureSuite } from './backpressure-suite.js';
import { durableSuite } from './durable-suite.js';
import { logSuite } from './log-suite.js';
import { streamsSuite } from './streams-suite.js';

describe('shared suite: local log', function () {
  const backend = useLocalBackend();
  logSuite(backend);
  streamsSuite(backend);
  durableSuite(backend);
  backpressureSuite(backend);
});

describe('shared suite: JetStream', function () {
  this.timeout(30_000);
  const backend = useJetStreamBackend();
  logSuite(backend);
  streamsSuite(backend);
  durableSuite(backend);
  backpressureSuite(backend);
});
