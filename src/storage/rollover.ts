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
      { writeBackAt: writeBackAt(state.opts), expectedItems: old.index.count },
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

/**
 * Where a head starts its dirty pages towards the disk, unawaited
 * (HeadOptions.writeBackAt): once it is half full, so the rollover's two
 * synchronous fdatasync calls find half the segment left to write (under
 * load those calls took 19-40% of a publish run), and again once it is
 * full (over `rollover`: the next publish rolls over), so both files' last
 * pages are on their way together before the rollover syncs them one after
 * the other. Each call wakes a pool thread and costs the disk a journal
 * commit. Never with autoSync, where every publish syncs, nor below a 512
 * KiB rollover, whose syncs have little to write anyway.
 */
export function writeBackAt(opts: ResolvedOptions): number[] {
  return opts.autoSync || opts.rollover < 512 * 1024 ? [] : [Math.floor(opts.rollover / 2), opts.rollover + 1];
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
