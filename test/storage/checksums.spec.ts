// The two hashes of the format: CRC-32C (native, with a pure-JS fallback that
// must agree) and FNV-1a 64 of keys, against independent references.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { crc32c, crc32cImplementation, crc32cPortable, crc32cRange } from '../../src/storage/format/crc32c.js';
import { keyHash, keyHashHex } from '../../src/storage/format/key-hash.js';
import { manifest } from '../helpers/samples.js';

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
