// A child process with KLEVDB_PORTABLE_CRC=1 (set by its parent): writes a
// log whose every record's CRC the pure-JS CRC-32C computed, then prints the
// implementation it ran on so the parent knows the fallback was in use.
// Usage: node portable-crc-child.js <dir> <count>
import { open } from '../../src/index.js';
import { crc32cImplementation } from '../../src/storage/format/crc32c.js';
import { bodyOfLength } from './crc-samples.js';

const [dir, countArg] = process.argv.slice(2);
const log = await open(dir!, { rollover: 64 * 1024 });
const count = Number(countArg);
for (let n = 0; n < count; n += 50) {
  await log.publish(
    Array.from({ length: Math.min(50, count - n) }, (_, j) => ({
      key: `k${n + j}`,
      value: bodyOfLength(n + j),
    })),
  );
}
await log.close();
process.stdout.write(crc32cImplementation);
