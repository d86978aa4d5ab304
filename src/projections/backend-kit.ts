// What modules beside the projections build on, without reaching into their
// files: the runner-process contract and the pieces reactors and workflows
// share with projections (sources, state stores, dead letters, waiting), the
// state-store contract other backends implement (JetStream), and the
// checkpoint record the inspector reads. Users import src/projections/index.ts.
export type { ProcessContext, ProcessStatus, RunnerProcess } from './process.js';
export { DeadLetters, type DeadLetter } from './dead-letters.js';
export { PositionWaiters } from './position-waiters.js';
export { lagEvents } from './status.js';
export type { WaitLimits } from './waiting.js';
export { toSource, typeOf, type ProjectionSource, type ProjectionSourceInput, type SourceRecord } from './source.js';
export { handledTypes } from './definition.js';
export { compactStateLog } from './compactor.js';
export type { GenerationLogs, GenerationStore, ProjectionStore } from './generations.js';
export { CHECKPOINT_KEY, parseCheckpoint, type Checkpoint } from './records.js';
