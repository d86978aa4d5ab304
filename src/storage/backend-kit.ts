// The storage module's second entry: what other modules of src/ need beyond
// the public API (./index.ts) to implement a Log of their own (the in-memory
// log, the JetStream log) or to work beside log files (src/log-tools, the CLI,
// the projections' directory lock). Every other file of src/storage is private
// to it; test/architecture/module-boundaries.spec.ts fails the build on a deep import.
// Nothing here is part of the package's public API.

// The checks and errors of the Log methods, shared by every implementation so that they fail alike.
export {
  checkBackupArg,
  checkBlockingArgs,
  checkBlockingByKeyArgs,
  checkConsumeArgs,
  checkConsumeByKeyArgs,
  checkDeleteArgs,
  checkGcArg,
  checkGetArgs,
  checkKeyArg,
  checkSizeArg,
  checkStartArg,
  closedLog,
  noIndex,
  readonlyLog,
} from './log-contract.js';
// Errors with the codes every Log reports (LogError itself is public: ./index.ts).
export { corrupted, invalidArgument, invalidOffset, notFound } from './errors.js';
/** An open whose index options do not match the log's files: which option, and the value the log was created with. */
export { optionMismatchOf } from './errors.js';
export type { OptionMismatch } from './errors.js';
// Each module's part of KlevdbErrorCode, for its error classes (KlevdbError itself is public: ./index.ts).
export type {
  CliErrorCode,
  EventStoreErrorCode,
  JetStreamErrorCode,
  ProcessErrorCode,
  ProjectionErrorCode,
} from './errors.js';
// Checks of other arguments: each failure is an ERR_INVALID_ARGUMENT naming the argument.
export {
  checkCount,
  checkDate,
  checkKey,
  checkNonNegative,
  checkOffset,
  checkSignal,
  describeValue,
  refuseUnknownKeys,
} from './validate.js';

// Publish input: the messages checked and stamped with the log's clock, before anything is written.
export { prepareMessages } from './publish-input.js';
/** One identity per message key (null and empty alike), for maps keyed by key. */
export { keyId } from './retention-support.js';
/** The bytes a message takes in a log file, for a size() that answers as the log on disk. */
export { recordSize } from './format/message-format.js';

// Offset notification: the waits of consumeBlocking, woken as the next offset moves.
export { OffsetNotify } from './notify.js';
export type { WaitActivity } from './notify.js';

// Beside log files: the directory lock klevdb takes, a check beside a live writer, the segments of a
// directory, key hashes.
export { DirectoryLock } from './lock.js';
/** A lock file of one's own (klevdb/streams' one consumer per subscription name), with flock(2) as the directory lock. */
export { tryFlock, unflockAndClose } from './flock.js';
export { fsError } from './segment/segment-files.js';
export { checkHead, underReadLock } from './directory.js';
/** A check failure that the next open for writing repairs by itself (a writer killed mid-publish). */
export { repairedByNextOpen } from './segment/segment-check.js';
export type { HeadCheck } from './directory.js';
export { findSegments } from './segment/segment-files.js';
export type { SegmentFiles } from './segment/segment-files.js';
export { keyHash } from './format/key-hash.js';
