// What a consumer should have seen, against what it did see.
import { lastValueFrom, toArray } from 'rxjs';
import type { BlockingLog } from '../../src/index.js';
import { fromLog } from '../../src/streams/index.js';

export interface Verdict {
  inOrder: boolean;
  missing: number;
  duplicates: number;
}

/** The offsets the log holds from `from` to `lastOffset`, with `key` when given. */
export async function expectedOffsets(
  log: BlockingLog,
  from: number,
  lastOffset: number,
  key?: string,
): Promise<number[]> {
  if (from > lastOffset) return [];
  const messages = await lastValueFrom(fromLog(log, { offset: from, key, live: false }).pipe(toArray()));
  return messages.map((m) => m.offset).filter((o) => o <= lastOffset);
}

export function verify(seen: readonly number[], expected: readonly number[]): Verdict {
  const unique = new Set(seen);
  return {
    inOrder: seen.every((offset, i) => i === 0 || offset > seen[i - 1]!),
    missing: expected.filter((o) => !unique.has(o)).length,
    duplicates: seen.length - unique.size,
  };
}
