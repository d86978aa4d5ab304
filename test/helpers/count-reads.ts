// Counting the storage's file reads (fs.readSync: the segment reader's pread) while a test's code runs.
import fs from 'node:fs';

/** Counts fs.readSync calls while `fn` runs. */
export async function countingReads<T>(fn: () => Promise<T>): Promise<{ result: T; reads: number }> {
  const original = fs.readSync;
  let reads = 0;
  fs.readSync = ((...args: Parameters<typeof fs.readSync>) => (reads++, original(...args))) as typeof fs.readSync;
  try {
    return { result: await fn(), reads };
  } finally {
    fs.readSync = original;
  }
}
