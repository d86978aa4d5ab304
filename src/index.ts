// The package root: the public API of klevdb (docs/api/storage.md describes it).
// The declarations use Node's types (Buffer, AbortSignal): this keeps them
// compiling in a project whose tsconfig lists no types (`types: []`).
/// <reference types="node" preserve="true" />
export * from './storage/types.js';
export { LogError, isLogError } from './storage/errors.js';
export type { LogErrorCode } from './storage/errors.js';
export { open } from './storage/log.js';
export { check, recover, backup, migrate } from './storage/directory.js';
export { jsonCodec, stringCodec, stringOptCodec, varintBigCodec, varintCodec, zodCodec } from './storage/codecs.js';
export type { Codec } from './storage/codecs.js';
export { openBlocking, wrapBlocking } from './storage/blocking.js';
export type { BlockingOptions } from './storage/blocking.js';
export { openTyped, openTypedBlocking, wrapTyped, wrapTypedBlocking } from './storage/typed.js';
export type { TBlockingLog, TConsumeResult, TDeleteResult, TLog, TMessage } from './storage/typed.js';
export { deleteMulti, deleteMultiOffsets, deleteMultiWithWait, partialResult } from './storage/delete-multi.js';
export type { DeleteMultiBackoff, FindOptions, MultiOptions } from './storage/delete-multi.js';
export {
  findByAge, findByCount, findByOffset, findBySize,
  trimByAge, trimByAgeMulti, trimByAgeMultiOffsets,
  trimByCount, trimByCountMulti, trimByCountMultiOffsets,
  trimByOffset, trimByOffsetMulti, trimByOffsetMultiOffsets,
  trimBySize, trimBySizeMulti, trimBySizeMultiOffsets,
} from './storage/trim.js';
export {
  compact, findDeletes, findUpdates,
  compactDeletes, compactDeletesMulti, compactDeletesMultiOffsets,
  compactUpdates, compactUpdatesMulti, compactUpdatesMultiOffsets,
} from './storage/compact.js';
