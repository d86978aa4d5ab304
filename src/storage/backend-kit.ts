// The storage module's second entry: what other modules of src/ need beyond
// the public API (./index.ts) to implement a Log of their own (the in-memory
// log, the JetStream log) or to work beside log files (src/log-tools, the CLI, the
// projections' directory lock). Every other file of src/storage is private to
// it; test/storage/module-boundary.spec.ts fails the build on a deep import.
// Nothing here is part of the package's public API.

// Errors: the codes and messages every Log reports alike.
export { LogError, isLogError, corrupted, invalidArgument, invalidOffset, notFound } from './errors.js';
export type { LogErrorCode } from './errors.js';

// Argument checks: each failure is an ERR_INVALID_ARGUMENT naming the argument.
export {
  checkBodySize, checkCount, checkDate, checkInteger, checkKey, checkNonNegative, checkOffset, checkSignal, checkString,
  checkTimeMicros, describeValue, toBytes,
} from './validate.js';
export { checkBlockingArgs } from './blocking.js';

// Publish and delete input: messages checked and stamped with the log's clock, offsets collected.
export { collectOffsets, nowMicros, prepareMessages } from './publish-input.js';
export type { PreparedMessage } from './segment/segment-writer.js';
/** One identity per message key (null and empty alike), for maps keyed by key. */
export { keyId } from './retention-support.js';
export { recordSize } from './format/message-format.js';

// Offset notification: the waits of consumeBlocking, woken as the next offset moves.
export { OffsetNotify } from './notify.js';
export type { WaitActivity } from './notify.js';

// Beside log files: the directory lock klevdb takes, a check beside a live writer, the segments of a
// directory, key hashes.
export { DirectoryLock } from './lock.js';
export { checkHead, underReadLock } from './directory.js';
export type { HeadCheck } from './directory.js';
export { findSegments } from './segment/segment-files.js';
export type { SegmentFiles } from './segment/segment-files.js';
export { keyHash } from './format/key-hash.js';
