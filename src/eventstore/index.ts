// klevdb/eventstore: streams of typed, versioned events over a klevdb log.
// The declarations use Node's types (Buffer, AbortSignal): this keeps them
// compiling in a project whose tsconfig lists no types (`types: []`).
/// <reference types="node" preserve="true" />
export { defineEvent } from './event-type.js';
export type { AnyEventType, Event, EventOf, EventsOf, EventType, EventTypeOptions, Upcaster } from './event-type.js';
export type { EnvelopeMeta, EventEnvelope, RecordedEvent, RecordedMeta } from './envelope.js';
export type {
  AppendOptions,
  AppendResult,
  AppliedCommandOptions,
  EventStore,
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  ReadStreamResult,
  SubscribeOptions,
  SubscribeToStreamOptions,
} from './event-store.js';
export type { ExpectedVersion } from './expected-version.js';
export {
  CommandIdReusedError,
  ConcurrencyError,
  InvalidEventError,
  PartialAppendError,
  StreamGapError,
} from './errors.js';
export type { MissingVersions } from './errors.js';
export { KlevdbError, isKlevdbError } from '../storage/index.js';
export type { KlevdbErrorCode } from '../storage/index.js';
export type { EventStoreErrorCode } from '../storage/backend-kit.js';
export { LogEventStore, inMemoryEventStore, openEventStore } from './log-event-store.js';
export type { EventStoreOptions } from './store-options.js';
export { MemoryLog } from './memory-log.js';
