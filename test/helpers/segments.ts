// What a log directory holds, read straight from the files: which segments,
// in which format version, and whether temporary files were left behind.
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { segmentFile } from './fs.js';

export type FileVersion = 'V1' | 'V2';

const LOG_MAGIC = 'ff6b6c6576730100'; // \xFF "klevs" 1 0
const INDEX_MAGIC = 'ff6b6c657669'; // \xFF "klevi", then version 1 and the flags

/** First offsets of the segments of `dir` (by their `.log` files), ascending. */
export async function segmentOffsets(dir: string): Promise<number[]> {
  return (await readdir(dir))
    .filter((n) => /^\d{20}\.log$/.test(n))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
}

async function head(file: string): Promise<Buffer | null> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const b = Buffer.alloc(8);
    const { bytesRead } = await fh.read(b, 0, 8, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The format of a segment file from its first bytes (null when missing); no header is V1. */
export async function fileVersion(file: string, kind: 'log' | 'index'): Promise<FileVersion | null> {
  const h = await head(file);
  if (h === null) return null;
  const hex = h.toString('hex');
  if (kind === 'log') return hex === LOG_MAGIC ? 'V2' : 'V1';
  return hex.length === 16 && hex.startsWith(INDEX_MAGIC) && hex.slice(12, 14) === '01' ? 'V2' : 'V1';
}

export interface SegmentVersions {
  offset: number;
  log: FileVersion | null;
  index: FileVersion | null;
}

/** Every segment of `dir` with the version of its log and index files. */
export async function segmentVersions(dir: string): Promise<SegmentVersions[]> {
  const out: SegmentVersions[] = [];
  for (const offset of await segmentOffsets(dir)) {
    out.push({
      offset,
      log: await fileVersion(path.join(dir, segmentFile(offset, 'log')), 'log'),
      index: await fileVersion(path.join(dir, segmentFile(offset, 'index')), 'index'),
    });
  }
  return out;
}

/** Log versions only, oldest segment first (Go's segmentLogVersions). */
export async function logVersions(dir: string): Promise<(FileVersion | null)[]> {
  return (await segmentVersions(dir)).map((s) => s.log);
}

/** Files a rewrite, recover, migrate or removal leaves while it runs (and must not leave after). */
export async function leftoverFiles(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((n) => /\.(rewrite\.|recover$|migrate$|removed$)|^\.rewrite-commit$/.test(n))
    .sort();
}
