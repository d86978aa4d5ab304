/**
 * CRC-32C of one record's range, the table loop against the native call
 * (a subarray plus the N-API crossing), in ns per range: the figures behind
 * SHORT_RANGE in src/storage/format/crc32c.ts, where crc32cRange switches.
 *
 *   node dist/bench/crc.js            # 20 to 1000 bytes, best of 7 bursts
 *
 * Ranges start at every alignment, as records do in a write buffer or a read
 * chunk. Each burst is timed by the CPU time it used (a busy machine
 * stretches wall time, not work) and the best burst counts; still, only the
 * ratio on one line means much.
 */
import os from 'node:os';
import { crc32c, crc32cTable } from '../src/storage/format/crc32c.js';

const SIZES = [20, 64, 128, 172, 256, 400, 512, 1000];
const CALLS = 200_000;
const BURSTS = 7;

type RangeCrc = (data: Buffer, start: number, end: number) => number;

function nsPerCall(fn: RangeCrc, size: number): number {
  const buf = Buffer.alloc(256 * 1024, 0x5a);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 131 + 7) & 0xff;
  let best = Infinity;
  let sink = 0;
  for (let burst = 0; burst < BURSTS; burst++) {
    const started = process.cpuUsage();
    let at = 1;
    for (let i = 0; i < CALLS; i++) {
      if (at + size > buf.length) at = (at & 7) + 1;
      sink ^= fn(buf, at, at + size);
      at += size + 3;
    }
    const used = process.cpuUsage(started);
    best = Math.min(best, ((used.user + used.system) * 1000) / CALLS);
  }
  if (sink === 0.5) console.log('unreachable');
  return best;
}

const table: RangeCrc = crc32cTable;
const native: RangeCrc = (data, start, end) => crc32c(data.subarray(start, end));
console.log(`CRC-32C ns of CPU per range (best of ${BURSTS} bursts of ${CALLS}), load ${os.loadavg()[0].toFixed(1)}`);
console.log('bytes | table | native | table/native');
for (const size of SIZES) {
  const t = nsPerCall(table, size);
  const n = nsPerCall(native, size);
  console.log(
    `${String(size).padStart(5)} | ${t.toFixed(0).padStart(5)} | ${n.toFixed(0).padStart(6)} | ${(t / n).toFixed(2)}`,
  );
}
