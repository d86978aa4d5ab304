/** Validates open() options and fills in klevdb's defaults. */
import { invalidArgument } from './errors.js';
import type { FormatVersion } from './format/message-format.js';
import type { IndexParams } from './format/index-format.js';
import type { Options, ProgressCallback, Version } from './types.js';
import { DEFAULT_READ_CACHE_SIZE } from './segment/read-cache.js';
import { describeValue, refuseUnknownKeys } from './validate.js';

export const DEFAULT_ROLLOVER = 1024 * 1024;

export interface ResolvedOptions {
  createDirs: boolean;
  readonly: boolean;
  followWriter: boolean;
  params: IndexParams;
  autoSync: boolean;
  rollover: number;
  check: boolean;
  recover: boolean;
  newSegmentsVersion: FormatVersion;
  keepRewriteVersion: boolean;
  eagerVersionMigrate: boolean;
  onProgress?: ProgressCallback;
  /** Bytes; 0: no read cache. */
  readCacheSize: number;
}

export function checkVersion(name: string, v: unknown): FormatVersion {
  const n = (v as Version | null)?.name;
  if (typeof v !== 'object' || v === null || (n !== 'V1' && n !== 'V2')) {
    throw invalidArgument(`${name} must be V1 or V2 (exported by klevdb), got ${describeValue(v)}`);
  }
  return n;
}

function bool(opts: Record<string, unknown>, name: string, prefix = 'options.'): boolean {
  const v = opts[name];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalidArgument(`${prefix}${name} must be a boolean, got ${describeValue(v)}`);
  return v;
}

const OPTION_NAMES = [
  'createDirs',
  'readonly',
  'keyIndex',
  'timeIndex',
  'autoSync',
  'rollover',
  'check',
  'recover',
  'version',
  'followWriter',
  'onProgress',
  'readCacheSize',
];
const VERSION_OPTION_NAMES = ['newSegmentsVersion', 'keepRewriteVersion', 'eagerVersionMigrate'];

export function resolveOptions(opts: unknown): ResolvedOptions {
  if (opts === undefined || opts === null) opts = {};
  if (typeof opts !== 'object' || Array.isArray(opts))
    throw invalidArgument(`options must be an object, got ${describeValue(opts)}`);
  const o = opts as Record<string, unknown> & Options;
  refuseUnknownKeys(o, OPTION_NAMES, 'options');
  let rollover = DEFAULT_ROLLOVER;
  if (o.rollover !== undefined) {
    if (typeof o.rollover !== 'number' || !Number.isSafeInteger(o.rollover) || o.rollover < 0) {
      throw invalidArgument(
        `options.rollover must be a non-negative integer number of bytes (0 means 1 MiB), got ${describeValue(o.rollover)}`,
      );
    }
    if (o.rollover > 0) rollover = o.rollover;
  }
  const readCacheSize = o.readCacheSize ?? DEFAULT_READ_CACHE_SIZE;
  if (typeof readCacheSize !== 'number' || !Number.isSafeInteger(readCacheSize) || readCacheSize < 0) {
    throw invalidArgument(
      `options.readCacheSize must be a non-negative integer number of bytes (0: no cache), got ${describeValue(o.readCacheSize)}`,
    );
  }
  const version = (o.version ?? {}) as Record<string, unknown>;
  if (typeof version !== 'object' || version === null)
    throw invalidArgument(`options.version must be an object, got ${describeValue(o.version)}`);
  refuseUnknownKeys(version, VERSION_OPTION_NAMES, 'options.version');
  const newSegmentsVersion =
    version.newSegmentsVersion === undefined
      ? 'V2'
      : checkVersion('options.version.newSegmentsVersion', version.newSegmentsVersion);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function')
    throw invalidArgument(`options.onProgress must be a function, got ${describeValue(o.onProgress)}`);
  const resolved: ResolvedOptions = {
    createDirs: bool(o, 'createDirs'),
    readonly: bool(o, 'readonly'),
    followWriter: bool(o, 'followWriter'),
    params: { keys: bool(o, 'keyIndex'), times: bool(o, 'timeIndex') },
    autoSync: bool(o, 'autoSync'),
    rollover,
    check: bool(o, 'check'),
    recover: bool(o, 'recover'),
    newSegmentsVersion,
    keepRewriteVersion: bool(version, 'keepRewriteVersion', 'options.version.'),
    eagerVersionMigrate: bool(version, 'eagerVersionMigrate', 'options.version.'),
    onProgress: o.onProgress,
    readCacheSize,
  };
  if (resolved.followWriter && !resolved.readonly) {
    throw invalidArgument('options.followWriter needs options.readonly: true (a follower never writes)');
  }
  return resolved;
}
