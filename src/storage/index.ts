// The storage module's public face: exactly what the package root (`klevdb`)
// exports (docs/api/storage.md describes it). Other modules of src/ import
// storage through this file or, for what a Log backend or a tool over log
// files needs beyond the public API, through ./backend-kit.ts; every other
// file of src/storage is private to it (test/architecture/module-boundaries.spec.ts
// fails the build on a deep import).
export * from './types.js';
export { KLEVDB_ERROR_CODES, KlevdbError, LogError, isKlevdbError, isLogError } from './errors.js';
export type { KlevdbErrorCode, LogErrorCode } from './errors.js';
export { open } from './log.js';
export { check, recover, backup, migrate } from './directory.js';
export { jsonCodec, stringCodec, stringOptCodec, varintBigCodec, varintCodec, zodCodec } from './codecs.js';
export type { Codec } from './codecs.js';
export { openBlocking, wrapBlocking } from './blocking.js';
export type { BlockingOptions } from './blocking.js';
export { openTyped, openTypedBlocking, wrapTyped, wrapTypedBlocking } from './typed.js';
export type { TBlockingLog, TConsumeResult, TDeleteResult, TLog, TMessage } from './typed.js';
export { deleteMulti, deleteMultiOffsets, deleteMultiWithWait, partialResult } from './delete-multi.js';
export type { DeleteMultiBackoff, FindOptions, MultiOptions } from './delete-multi.js';
export {
  findByAge,
  findByCount,
  findByOffset,
  findBySize,
  trimByAge,
  trimByAgeMulti,
  trimByAgeMultiOffsets,
  trimByCount,
  trimByCountMulti,
  trimByCountMultiOffsets,
  trimByOffset,
  trimByOffsetMulti,
  trimByOffsetMultiOffsets,
  trimBySize,
  trimBySizeMulti,
  trimBySizeMultiOffsets,
} from './trim.js';
export {
  compact,
  findDeletes,
  findUpdates,
  compactDeletes,
  compactDeletesMulti,
  compactDeletesMultiOffsets,
  compactUpdates,
  compactUpdatesMulti,
  compactUpdatesMultiOffsets,
} from './compact.js';
