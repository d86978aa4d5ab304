// klevdb/processes: reactors (side effects from events) and workflows (process managers),
// run by the projection runner beside its projections or on their own.
// The declarations use Node's types (Buffer, AbortSignal): this keeps them
// compiling in a project whose tsconfig lists no types (`types: []`).
/// <reference types="node" preserve="true" />
export { Reactor, reactor } from './reactor.js';
export type { ReactorRunState, ReactorStatus } from './reactor.js';
export type { ReactorContext, ReactorDefinition, RetryOptions } from './reactor-options.js';
export { ProcessFailedError, ProcessNotReadyError } from './errors.js';
export type { ProcessContext, ProcessStatus, RunnerProcess, DeadLetter } from '../projections/backend-kit.js';
export { KlevdbError, isKlevdbError } from '../storage/index.js';
export type { KlevdbErrorCode } from '../storage/index.js';
export type { ProcessErrorCode } from '../storage/backend-kit.js';
export { workflow } from './workflow-definition.js';
export type { CommandRejected, WorkflowDefinition, WorkflowInput } from './workflow-definition.js';
export { append, complete, schedule, send } from './workflow-outputs.js';
export type { AppendEvents, CompleteWorkflow, ScheduleInput, SendCommand, WorkflowOutput } from './workflow-outputs.js';
export {
  workflowEvents,
  WorkflowInputRecorded,
  WorkflowTimerFired,
  WorkflowTimerScheduled,
} from './workflow-records.js';
export type { InputRecord } from './workflow-records.js';
export { Workflow } from './workflow-runtime.js';
export type { HandleInputOptions, WorkflowStatus, WorkflowStepResult } from './workflow-runtime.js';
export { createWorkflow, startWorkflow } from './workflow-start.js';
export type { WorkflowErrorContext, WorkflowOptions } from './workflow-options.js';
export type { WorkflowCommandHandler } from './workflow-delivery.js';
export { WorkflowSpecification } from './testing/workflow-specification.js';
export type { WorkflowGiven, WorkflowThen, WorkflowWhen } from './testing/workflow-specification.js';
