/**
 * What the CLI and the inspector share to look at a log: its files without
 * opening it, opening it to read beside a writer, time parsing and
 * formatting. Failures are LogErrors; each caller maps their codes to its
 * own exit codes or HTTP statuses.
 */
export { asUtf8, formatSize, formatTimeMicros } from './format.js';
export { describeFlags, fileSizeOrNull, fileVersion, indexMismatch, listSegments, resolveIndex } from './log-files.js';
export type { IndexOptions, IndexSource, ResolvedIndex } from './log-files.js';
export { openLogReader, readerOptions, requireLogDir } from './open.js';
export type { Opened } from './open.js';
export { parseTimeMicros } from './time.js';
