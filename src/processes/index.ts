// klevdb/processes: reactors (side effects from events) run by the projection runner beside its projections.
// The declarations use Node's types (AbortSignal): this keeps them
// compiling in a project whose tsconfig lists no types (`types: []`).
/// <reference types="node" preserve="true" />
export { Reactor, reactor } from './reactor.js';
export type { ReactorRunState, ReactorStatus } from './reactor.js';
export type { ReactorContext, ReactorDefinition, RetryOptions } from './reactor-options.js';
export { ProcessFailedError, ProcessNotReadyError } from './errors.js';
export type { ProcessContext, ProcessStatus, RunnerProcess } from '../projections/process.js';
export type { DeadLetter } from '../projections/dead-letters.js';
export { KlevdbError, isKlevdbError } from '../storage/index.js';
export type { KlevdbErrorCode } from '../storage/index.js';
export type { ProcessErrorCode } from '../storage/backend-kit.js';
