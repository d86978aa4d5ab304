// The two hashes of the format: CRC-32C (native, with a pure-JS fallback that
// must agree) and FNV-1a 64 of keys, against independent references.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { OffsetOldest, check, open } from '../../src/index.js';
import {
  crc32c,
  crc32cImplementation,
  crc32cPortable,
  crc32cRange,
  crc32cTable,
  crc32cWords,
} from '../../src/storage/format/crc32c.js';
import { keyHash, keyHashHex } from '../../src/storage/format/key-hash.js';
import { bodyOfLength, crc32cBitwise } from '../helpers/crc-samples.js';
import { manifest } from '../helpers/samples.js';

const PORTABLE_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/portable-crc-child.js');

/** FNV-1a 64 with BigInt: slow and obviously right. */
function fnv1a64(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

describe('checksums and key hashes', function () {
  it('loads the native CRC-32C here, and both implementations give the reference value', function () {
    expect(crc32cImplementation).to.equal('native');
    expect(crc32c(Buffer.from('123456789'))).to.equal(0xe3069283);
    expect(crc32cPortable(Buffer.from('123456789'))).to.equal(0xe3069283);
    expect(crc32cPortable(Buffer.alloc(0))).to.equal(0);
  });

  it('the pure-JS fallback agrees with the native CRC-32C on any bytes, at any alignment', function () {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(7), (bytes, skip) => {
        const view = Buffer.from(bytes).subarray(Math.min(skip, bytes.length));
        return crc32cPortable(view) === crc32c(view);
      }),
      { numRuns: 500 },
    );
    const big = randomBytes(1 << 20);
    expect(crc32cPortable(big)).to.equal(crc32c(big));
  });

  it("crc32cRange (the record scans' form) agrees with the native CRC-32C of the same bytes, short or long", function () {
    expect(crc32cRange(Buffer.from('x123456789y'), 1, 10)).to.equal(0xe3069283);
    expect(crc32cRange(Buffer.alloc(4), 2, 2)).to.equal(0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), fc.nat(1200), fc.nat(1200), (bytes, a, b) => {
        const buf = Buffer.from(bytes);
        const start = Math.min(a, b, buf.length);
        const end = Math.min(Math.max(a, b), buf.length);
        return crc32cRange(buf, start, end) === crc32c(buf.subarray(start, end));
      }),
      { numRuns: 500 },
    );
  });

  it('every length 0..64 and 120..200 (where word loads start) at every start 0..7 gives the bitwise reference, in all four forms', function () {
    const bytes = randomBytes(200 + 8 + 8);
    // A Uint8Array whose byteOffset is odd, so word loads start at every phase of the underlying buffer.
    const odd = new Uint8Array(bytes.buffer, bytes.byteOffset + 1, 200 + 8 + 7);
    const lengths = [...Array.from({ length: 65 }, (_, n) => n), ...Array.from({ length: 81 }, (_, n) => 120 + n)];
    let checked = 0;
    for (const data of [bytes, odd]) {
      for (let start = 0; start < 8; start++) {
        for (const length of lengths) {
          const range = data.subarray(start, start + length);
          const want = crc32cBitwise(range);
          const where = `length ${length} at ${start} (byteOffset ${data.byteOffset})`;
          expect(crc32c(range), `native, ${where}`).to.equal(want);
          expect(crc32cPortable(range), `portable, ${where}`).to.equal(want);
          expect(crc32cTable(data, start, start + length), `table, ${where}`).to.equal(want);
          expect(crc32cRange(data, start, start + length), `range, ${where}`).to.equal(want);
          checked++;
        }
      }
    }
    expect(checked).to.equal(2 * 8 * (65 + 81));
  });

  it('the table loop agrees with the native CRC-32C around the switch between them (200..800 bytes), on random bytes', function () {
    const buf = randomBytes(4096);
    for (let length = 200; length <= 800; length += 3) {
      for (const start of [0, 1, 2, 3, 5, 8]) {
        const want = crc32c(buf.subarray(start, start + length));
        expect(crc32cTable(buf, start, start + length), `length ${length} at ${start}`).to.equal(want);
        expect(crc32cRange(buf, start, start + length), `length ${length} at ${start}`).to.equal(want);
      }
    }
  });

  it("crc32cWords (the read cache's form, with the slab's word view) gives the bitwise reference at every start and length 0..900", function () {
    // A slab as the read cache allocates it: its own buffer, words from byte 0.
    const slab = Buffer.allocUnsafeSlow(1024);
    randomBytes(1024).copy(slab);
    const words = new Int32Array(slab.buffer, slab.byteOffset, slab.length >>> 2);
    let checked = 0;
    for (let start = 0; start < 8; start++) {
      for (let length = 0; length <= 900; length += length < 140 ? 1 : 7) {
        const want = crc32cBitwise(slab.subarray(start, start + length));
        expect(crc32cWords(slab, words, start, start + length), `length ${length} at ${start}`).to.equal(want);
        checked++;
      }
    }
    expect(checked).to.equal(8 * (140 + 109));
  });

  it('gives the same CRC for views of any kind of buffer, alternating between them, and after one shrinks', function () {
    const sources: Uint8Array[] = [];
    const plain = randomBytes(300);
    sources.push(plain);
    const small = new Uint8Array(48); // small typed arrays start on V8's heap, without a separate buffer
    small.set(plain.subarray(0, 48));
    sources.push(small);
    const shared = new Uint8Array(new SharedArrayBuffer(300));
    shared.set(plain);
    sources.push(shared);
    // ES2024's resizable buffer (Node 20 has it; the project's lib is ES2023).
    const Resizable = ArrayBuffer as unknown as new (
      n: number,
      o: { maxByteLength: number },
    ) => ArrayBuffer & {
      resize(n: number): void;
    };
    const resizable = new Resizable(300, { maxByteLength: 600 });
    const inResizable = new Uint8Array(resizable);
    inResizable.set(plain);
    sources.push(inResizable);
    for (let round = 0; round < 3; round++) {
      for (const data of sources) {
        for (const [start, end] of [
          [0, data.length],
          [3, data.length - 1],
          [1, 41],
        ] as const) {
          const want = crc32cBitwise(data.subarray(start, end));
          expect(crc32cRange(data, start, end), `${data.buffer.constructor.name} [${start}, ${end})`).to.equal(want);
          expect(crc32cPortable(data.subarray(start, end))).to.equal(want);
        }
      }
    }
    resizable.resize(100);
    expect(crc32cRange(inResizable, 2, 90)).to.equal(crc32cBitwise(plain.subarray(2, 90)));
  });

  it('a log written with the pure-JS CRC-32C (KLEVDB_PORTABLE_CRC=1, in a child) reads back under the native one, every record checked', async function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'klevdb-portable-crc-'));
    try {
      const count = 700; // values of 0..699 bytes, on both sides of the switch to the native call
      const ran = execFileSync(process.execPath, [PORTABLE_CHILD, dir, String(count)], {
        env: { ...process.env, KLEVDB_PORTABLE_CRC: '1' },
        encoding: 'utf8',
      });
      // The child also read every record back by get (the read cache's in-place check, on the portable CRC).
      expect(ran).to.equal(`portable, read back ${count}`);
      await check(dir);
      const log = await open(dir);
      try {
        let seen = 0;
        for (let next = OffsetOldest; seen < count;) {
          const { nextOffset, messages } = await log.consume(next, count);
          expect(messages.length, `consume from ${next}`).to.be.greaterThan(0);
          for (const m of messages) {
            expect(m.offset).to.equal(seen++);
            expect(m.key?.toString()).to.equal(`k${m.offset}`);
            expect(m.value ?? Buffer.alloc(0)).to.deep.equal(bodyOfLength(m.offset));
          }
          next = nextOffset;
        }
        expect(seen).to.equal(count);
      } finally {
        await log.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('FNV-1a 64 of keys matches a BigInt reference, and the empty key hashes to the offset basis', function () {
    expect(keyHashHex(keyHash(null))).to.equal('cbf29ce484222325');
    expect(keyHashHex(keyHash(Buffer.alloc(0)))).to.equal('cbf29ce484222325');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (key) => keyHashHex(keyHash(key)) === fnv1a64(key)),
      { numRuns: 1000 },
    );
  });

  it("FNV-1a 64 gives the key hashes of the format samples' manifest", function () {
    let checked = 0;
    for (const sample of manifest.samples) {
      for (const m of sample.messages) {
        if (m.keyHash === undefined) continue;
        const key = m.key === null ? null : Buffer.from(m.key, 'base64');
        expect(keyHashHex(keyHash(key)), `${sample.name} offset ${m.offset}`).to.equal(m.keyHash);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(50);
  });
});
