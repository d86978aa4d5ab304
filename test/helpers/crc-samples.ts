// Bytes for the CRC-32C tests: a slow, obviously right CRC-32C and record
// bodies of any length that differ from one another.

/** Bit by bit, the polynomial's definition: the reference the table loops are checked against. */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** `length` bytes that depend on the length (so records of nearby lengths differ). */
export function bodyOfLength(length: number): Buffer {
  const body = Buffer.alloc(length);
  for (let i = 0; i < length; i++) body[i] = (i * 151 + length * 7 + 13) & 0xff;
  return body;
}
