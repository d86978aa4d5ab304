/**
 * How an event store's log directory is recognised: a small JSON file beside
 * the segments, written when the store opens the log for writing. Go klevdb
 * and this package's storage only look at `<offset>.log` / `.index` files
 * (and `.lock`), so the marker changes nothing for them; it is for tools
 * such as the klevdb CLI, whose destructive commands refuse a marked log.
 */
import fs from 'node:fs';
import path from 'node:path';

export const EVENT_STORE_MARKER = 'klevdb-eventstore.json';

const CONTENT = `${JSON.stringify(
  {
    kind: 'klevdb event store',
    version: 1,
    note:
      "This log holds an event store's streams. Deleting events (klevdb compact, trim, delete) destroys history " +
      'the store needs to rebuild state: the klevdb CLI refuses unless given --force.',
  },
  null,
  2,
)}\n`;

/** Writes the marker unless it is there; an existing one is left as it is. */
export async function markEventStoreLog(dir: string): Promise<void> {
  try {
    await fs.promises.writeFile(path.join(dir, EVENT_STORE_MARKER), CONTENT, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

export function isMarkedEventStoreLog(dir: string): boolean {
  return fs.existsSync(path.join(dir, EVENT_STORE_MARKER));
}
