// An append's data as a read will see it (through JSON), copied without the text: exactly what JSON gives.
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'chai';
import fc from 'fast-check';
import { jsonCopy } from '../../src/eventstore/json-copy.js';

function expectJsonCopy(value: unknown): void {
  const json = JSON.stringify(value);
  const copy = jsonCopy(value, json);
  const parsed: unknown = JSON.parse(json);
  // Strict: -0 is not 0, a null-prototype object is not a plain one.
  expect(isDeepStrictEqual(copy, parsed), `${json} copied as ${JSON.stringify(copy)}`).to.equal(true);
}

describe('jsonCopy', () => {
  it('gives JSON.parse(JSON.stringify(value)) for any value JSON can write', () => {
    const anything = fc.anything({
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      withUnicodeString: true,
      maxDepth: 4,
    });
    fc.assert(
      fc.property(fc.oneof(anything, fc.array(anything), fc.dictionary(fc.string(), anything)), (value) => {
        fc.pre(JSON.stringify(value) !== undefined);
        expectJsonCopy(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('copies what JSON changes as JSON changes it, and leaves the rest to JSON', () => {
    const deep: unknown[] = [];
    let inner = deep;
    for (let i = 0; i < 100; i++) inner.push((inner = []));
    for (const value of [
      { zero: -0, list: [-0, NaN, Infinity, -Infinity, undefined, () => 1, Symbol('s')], gone: undefined },
      [1, , 3], // eslint-disable-line no-sparse-arrays
      JSON.parse('{"__proto__": {"a": 1}, "b": [2]}') as unknown,
      { when: new Date(0), own: { toJSON: () => 'mine' } },
      Object.assign(Object.create(null) as object, { a: 1 }),
      { n: 1e21, small: 5e-324, big: Number.MAX_VALUE, text: 'a"\\\n\u2028\ud800' },
      deep,
    ])
      expectJsonCopy(value);
  });
});
