/** Rewrites a segment in another format version (Go: Segment.Migrate). */
import fs from 'node:fs';
import type { IndexParams } from '../format/index-format.js';
import type { FormatVersion } from '../format/message-format.js';
import { openLogForRead } from './log-scanner.js';
import { discardRewrite, rewriteSegment } from './rewrite.js';
import { type SegmentFiles, removeIfExists, syncDir } from './segment-files.js';

/** Returns false when the log already is in `version` (klevdb leaves those alone). */
export function migrateSegment(seg: SegmentFiles, version: FormatVersion, params: IndexParams): boolean {
  const log = openLogForRead(seg.logPath, seg.offset);
  const current = log.version;
  fs.closeSync(log.fd);
  if (current === version) return false;
  const rs = rewriteSegment(seg, new Set(), params, version, version);
  try {
    // The index goes first: a crash then leaves the old log with no index (rebuilt on open) or the new one.
    removeIfExists(seg.indexPath);
    fs.renameSync(rs.tmpLog, seg.logPath);
    fs.renameSync(rs.tmpIndex, seg.indexPath);
  } catch (err) {
    discardRewrite(rs);
    throw err;
  }
  syncDir(seg.dir);
  return true;
}
