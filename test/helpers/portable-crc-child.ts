// A child process with KLEVDB_PORTABLE_CRC=1 (set by its parent): writes a
// log whose every record's CRC the pure-JS CRC-32C computed, then prints the
// implementation it ran on so the parent knows the fallback was in use, and
// how many records it read back by get (each twice: from a cold read cache,
// then checked in place in the cache) with the same CRC.
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
const reader = await open(dir!, { readonly: true });
let readBack = 0;
for (let offset = 0; offset < count; offset++) {
  for (let pass = 0; pass < 2; pass++) {
    const m = await reader.get(offset);
    if (m.key?.toString() !== `k${offset}` || !(m.value ?? Buffer.alloc(0)).equals(bodyOfLength(offset)))
      throw new Error(`offset ${offset} read back wrong (pass ${pass})`);
  }
  readBack++;
}
await reader.close();
process.stdout.write(`${crc32cImplementation}, read back ${readBack}`);
