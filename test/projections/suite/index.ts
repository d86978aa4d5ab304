// The projection behaviours every state store must share, as one suite run
// against a backend (test/projections/suite.spec.ts: local log and state
// directory; test/jetstream/projections.spec.ts: JetStream source and state).
import type { ProjectionBackend } from '../fixtures/backends.js';
import { catchUpSuite } from './catch-up.js';
import { catchUpQueriesSuite } from './catch-up-queries.js';
import { compactionSuite } from './compaction.js';
import { ownershipSuite } from './ownership.js';
import { poisonSuite } from './poison.js';
import { queriesSuite } from './queries.js';
import { readYourWritesSuite } from './read-your-writes.js';
import { rebuildSuite } from './rebuild.js';
import { recoverySuite } from './recovery.js';
import { statusSuite } from './status.js';

export function projectionSuite(backend: ProjectionBackend): void {
  catchUpSuite(backend);
  queriesSuite(backend);
  catchUpQueriesSuite(backend);
  readYourWritesSuite(backend);
  rebuildSuite(backend);
  recoverySuite(backend);
  compactionSuite(backend);
  poisonSuite(backend);
  statusSuite(backend);
  ownershipSuite(backend);
}
