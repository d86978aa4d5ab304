// klevdb/projections: keyed state folded from a log or an event store, kept in compacted state logs.
// The declarations use Node's types (Buffer, AbortSignal): this keeps them
// compiling in a project whose tsconfig lists no types (`types: []`).
/// <reference types="node" preserve="true" />
export { ProjectionRunner, ProjectionTokens, registerProjectionRunner } from './runner.js';
export type { RunnerOptions } from './runner.js';
export type { ProcessContext, ProcessStatus, RunnerProcess } from './process.js';
export { Projection } from './projection.js';
export type { StateChange } from './projection.js';
export { defineProjection } from './definition.js';
export type { ProjectionDefinition } from './definition.js';
export { eventStoreSource, logSource } from './source.js';
export type { LogSourceOptions, ProjectionSource, ProjectionSourceInput, SourceRecord } from './source.js';
export type { ProjectionOptions, QueryOptions, RestoringPolicy } from './options.js';
export type { CacheOptions } from './generation.js';
export type { GenerationLogs, GenerationStore, ProjectionStore, StoreOptions } from './generations.js';
export type { CompactionOptions } from './compactor.js';
export type { Checkpoint } from './records.js';
export type { DeadLetter } from './dead-letters.js';
export type { ProjectionState, ProjectionStatus } from './status.js';
export { ProjectionFailedError, ProjectionNotReadyError } from './errors.js';
export { KlevdbError, isKlevdbError } from '../storage/index.js';
export type { KlevdbErrorCode } from '../storage/index.js';
export type { ProjectionErrorCode } from '../storage/backend-kit.js';
export * from './testing/index.js';
