// The package root: the public API of klevdb (see ../shared/API.md).
export * from './storage/types.js';
export { LogError, isLogError } from './storage/errors.js';
export type { LogErrorCode } from './storage/errors.js';
export { open } from './storage/log.js';
export { check, recover, backup, migrate } from './storage/directory.js';
