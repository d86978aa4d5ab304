// klevdb/streams: RxJS sources and sinks over a klevdb log.
// The declarations use Node's types (Buffer, AbortSignal): this keeps them
// compiling in a project whose tsconfig lists no types (`types: []`).
/// <reference types="node" preserve="true" />
export {
  fromLog,
  fromLogBatches,
  fromLogWithStatus,
  fromTypedLog,
  fromTypedLogBatches,
  fromTypedLogWithStatus,
} from './from-log.js';
export type { StreamEvent } from './from-log.js';
export type { LogBatch } from './source.js';
export { toLog } from './to-log.js';
export type { Publisher } from './to-log.js';
export type { Handler, StreamOptions, LogStreamOptions, TypedStreamOptions, ToLogOptions } from './options.js';
export { openSubscription, DurableSubscription } from './durable.js';
export type {
  BatchHandler,
  ConsumeOptions,
  SkippedInfo,
  StartPosition,
  StreamConsumeOptions,
  SubscriptionOptions,
  WaitOptions,
} from './durable-options.js';
export type { CommitRecord } from './offsets-log.js';
