// The projection behaviours every state store must share, as one suite run
// against a backend (test/projections/projections-contract.spec.ts: local log and state
// directory; test/jetstream/projections.spec.ts: JetStream source and state).
import type { ProjectionBackend } from './projection-backends.js';
import { projectionsCatchUpContract } from './projections-catch-up.contract.js';
import { projectionsCatchUpQueriesContract } from './projections-catch-up-queries.contract.js';
import { projectionsCompactionContract } from './projections-compaction.contract.js';
import { projectionsOwnershipContract } from './projections-ownership.contract.js';
import { projectionsPoisonContract } from './projections-poison.contract.js';
import { projectionsQueriesContract } from './projections-queries.contract.js';
import { projectionsReadYourWritesContract } from './projections-read-your-writes.contract.js';
import { projectionsRebuildContract } from './projections-rebuild.contract.js';
import { projectionsRecoveryContract } from './projections-recovery.contract.js';
import { projectionsStatusContract } from './projections-status.contract.js';

export function projectionsContract(backend: ProjectionBackend): void {
  projectionsCatchUpContract(backend);
  projectionsQueriesContract(backend);
  projectionsCatchUpQueriesContract(backend);
  projectionsReadYourWritesContract(backend);
  projectionsRebuildContract(backend);
  projectionsRecoveryContract(backend);
  projectionsCompactionContract(backend);
  projectionsPoisonContract(backend);
  projectionsStatusContract(backend);
  projectionsOwnershipContract(backend);
}
