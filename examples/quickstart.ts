// klevdb's README example, in TypeScript: publish two messages under one key,
// consume from the oldest, and read the last message for the key.
// Runs on a local data directory (./data/quickstart, or the first argument); no server.
import path from 'node:path';
import { OffsetOldest, open } from '../src/index.js';

const dir = process.argv[2] ?? path.join(process.cwd(), 'data', 'quickstart');
const db = await open(dir, { createDirs: true, keyIndex: true, timeIndex: true });
try {
  const publishNext = await db.publish([
    { key: 'key1', value: 'val1' },
    { key: 'key1', value: 'val2' },
  ]);
  console.log('published, next offset:', publishNext);

  const { nextOffset, messages } = await db.consume(OffsetOldest, 1);
  console.log(
    'consumed:',
    messages[0]!.offset,
    messages[0]!.time.toISOString(),
    'value:',
    messages[0]!.value?.toString(),
  );
  console.log('next consume offset:', nextOffset);

  const msg = await db.getByKey('key1');
  console.log('got:', msg.offset, 'value:', msg.value?.toString());

  const stats = await db.stat();
  console.log(
    `log ${dir}: ${stats.messages} messages in ${stats.segments} segment(s), ${stats.size} bytes (run again to append more)`,
  );
} finally {
  await db.close();
}
