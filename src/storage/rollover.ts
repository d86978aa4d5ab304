/** The head's rollover (Go: Publish's rollover): a new head at the next offset, the old one sealed. */
import type { ResolvedOptions } from './log-options.js';
import type { SegmentState } from './segment-state.js';
import { type SegmentFiles, removeIfExists, segmentFiles } from './segment/segment-files.js';
import { SegmentReader } from './segment/segment-reader.js';
import { SegmentWriter } from './segment/segment-writer.js';

/**
 * Starts a new head at the next offset and seals the old one (Go:
 * Publish's rollover). The old head is on disk before the new one exists
 * (after a power loss, only the last segment may be cut short), and the
 * new one is opened before the old is sealed: when that fails (a full
 * disk), its files go and the old head stays the head, unchanged.
 */
export function rollover(state: SegmentState, old: SegmentWriter): SegmentWriter {
  old.syncNow();
  const files = segmentFiles(state.dir, old.nextOffset);
  const reader = new SegmentReader(files, state.opts.params, true, {
    rebuildVersion: state.opts.newSegmentsVersion,
    persistRebuilt: true,
  });
  let next: SegmentWriter;
  try {
    next = SegmentWriter.open(
      files,
      state.opts.params,
      state.opts.newSegmentsVersion,
      old.index.lastTimestamp,
      reader,
      writeBackEvery(state.opts),
    );
  } catch (err) {
    removeNewSegment(files);
    throw err;
  }
  old.seal();
  state.noteSealed(old.reader);
  state.append(reader, next);
  state.retire(old);
  return next;
}

/** Early write-backs are at least this far apart: each costs the disk a journal commit. */
const WRITE_BACK_MIN = 256 * 1024;

/**
 * How often the head starts its dirty pages towards the disk, unawaited
 * (SegmentWriter.open): every quarter of the rollover size, so the
 * rollover's two synchronous fdatasync calls find at most a quarter of the
 * segment left to write (under load they took 19-40% of a publish run).
 * None with autoSync, where every publish syncs, or when the rollover is
 * too small for a write-back to come before it.
 */
export function writeBackEvery(opts: ResolvedOptions): number {
  if (opts.autoSync) return 0;
  const every = Math.max(Math.floor(opts.rollover / 4), WRITE_BACK_MIN);
  return every < opts.rollover ? every : 0;
}

/** Removes the files of a head that could not be started; they hold no message. */
function removeNewSegment(files: SegmentFiles): void {
  try {
    removeIfExists(files.logPath);
    removeIfExists(files.indexPath);
  } catch {
    // The error that stopped the rollover says more; an empty leftover head is harmless.
  }
}
