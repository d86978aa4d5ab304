// klevdb/jetstream: the Log on a NATS JetStream stream (single server or a RAFT-replicated cluster).
// The declarations use Node's types (Buffer, AbortSignal): this keeps them
// compiling in a project whose tsconfig lists no types (`types: []`).
/// <reference types="node" preserve="true" />
export { openJetStream } from './open.js';
export type { JetStreamOptions } from './open.js';
export { JetStreamLog } from './log.js';
export type { ExpectingResult, StreamLimits } from './log.js';
export { mirror } from './mirror.js';
export type { MirrorOptions, MirrorResult } from './mirror.js';
export { JetStreamError } from './errors.js';
export { KlevdbError, isKlevdbError } from '../storage/index.js';
export type { KlevdbErrorCode } from '../storage/index.js';
export type { JetStreamErrorCode } from '../storage/backend-kit.js';
export { keyToken, tokenKey, NULL_KEY_TOKEN } from './subjects.js';
export { jetStreamProjectionStore, JetStreamProjectionStore } from './projection-store.js';
export type { JetStreamProjectionStoreOptions, StoredProjection } from './projection-store.js';
export type { GenerationPlaces, StreamPlace } from './projection-names.js';
