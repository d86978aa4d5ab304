// klevdb/aggregates: deciders, the command handler around them, snapshots and test helpers.
// The declarations use Node's types (Buffer, AbortSignal): this keeps them
// compiling in a project whose tsconfig lists no types (`types: []`).
/// <reference types="node" preserve="true" />
export { decideEvents, evolveAll } from './decider.js';
export type { Decider } from './decider.js';
export { aggregateStream } from './aggregate-stream.js';
export type { AggregateStreamOptions, LoadedAggregate, SnapshotOptions } from './aggregate-stream.js';
export { commandHandler } from './command-handler.js';
export type { CommandHandler, CommandHandlerOptions, CommandResult, HandleOptions } from './command-handler.js';
export { SnapshotStore, inMemorySnapshotStore, openSnapshotStore } from './snapshot-store.js';
export type { Snapshot, SnapshotStoreOptions } from './snapshot-store.js';
export * from './testing/index.js';
