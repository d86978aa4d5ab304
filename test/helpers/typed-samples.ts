// The typed samples of shared/format (typed-string-varint, typed-stringopt,
// typed-json): what each record decodes to and was published as.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FORMAT_DIR, sample } from './samples.js';
import type { SampleMessage } from './samples.js';

export interface TypedParts {
  key: unknown;
  keyEmpty: boolean;
  value: unknown;
  valueEmpty: boolean;
}
export type TypedSampleMessage = SampleMessage & { typed: TypedParts & { published: TypedParts } };

export const typedMessages = (name: string): TypedSampleMessage[] => sample(name).messages as TypedSampleMessage[];

/** The parts of a typed message that tests compare. */
export const typedParts = (m: TypedParts): TypedParts => ({
  key: m.key,
  keyEmpty: m.keyEmpty,
  value: m.value,
  valueEmpty: m.valueEmpty,
});

/** Key and value bytes of every record of a V2 segment (layout: shared/format/README.md). */
function readV2Records(file: string): { offset: number; key: Buffer | null; value: Buffer | null }[] {
  const data = readFileSync(file);
  expect(data.subarray(0, 8).toString('hex'), `${file} header`).to.equal('ff6b6c6576730100');
  const records = [];
  for (let pos = 8; pos < data.length;) {
    const keyLength = data.readUInt32BE(pos + 20);
    const valueLength = data.readUInt32BE(pos + 24);
    const body = pos + 28;
    records.push({
      offset: Number(data.readBigInt64BE(pos + 4)),
      key: keyLength === 0 ? null : Buffer.from(data.subarray(body, body + keyLength)),
      value: valueLength === 0 ? null : Buffer.from(data.subarray(body + keyLength, body + keyLength + valueLength)),
    });
    pos += 36 + keyLength + valueLength;
  }
  return records;
}

/** Each record of a one-segment typed sample, read straight from its file, with its manifest entry. */
export function typedRecords(name: string) {
  const messages = typedMessages(name);
  const records = readV2Records(path.join(FORMAT_DIR, name, '00000000000000000000.log'));
  expect(records.map((r) => r.offset)).to.deep.equal(messages.map((m) => m.offset));
  return records.map((record, i) => ({ ...record, typed: messages[i]!.typed }));
}
