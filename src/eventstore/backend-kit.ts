/**
 * What the other modules of src/ build on besides the public API
 * (index.ts): deepFreeze (the snapshot store freezes what it hands out),
 * the per-stream mutex workflows share, the envelope parser and the marker
 * the CLI checks. Every other file of src/eventstore is private to it
 * (test/architecture checks this).
 */
export { deepFreeze } from './freeze.js';
export { KeyedMutex } from './keyed-mutex.js';
export { parseEnvelope } from './envelope.js';
export { EVENT_STORE_MARKER, isMarkedEventStoreLog } from './log-marker.js';
