// One base class for every error klevdb throws on purpose: LogError is a
// KlevdbError and keeps its contract; isKlevdbError tells klevdb's errors from
// everything else, including other errors with a `code` field.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { KLEVDB_ERROR_CODES, KlevdbError, LogError, isKlevdbError, isLogError, open } from '../../src/index.js';
import type { KlevdbErrorCode, LogErrorCode } from '../../src/index.js';
import { caught, expectLogError } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';

const LOG_CODES: LogErrorCode[] = [
  'ERR_INVALID_OFFSET',
  'ERR_NOT_FOUND',
  'ERR_NO_INDEX',
  'ERR_READONLY',
  'ERR_CORRUPTED',
  'ERR_LOCKED',
  'ERR_CLOSED',
  'ERR_ABORTED',
  'ERR_INVALID_ARGUMENT',
  'ERR_RANGE',
];

describe('errors: KlevdbError, the base of every klevdb error', () => {
  const tempDir = useTempDirs();

  it('LogError is a KlevdbError for each of its codes and keeps its contract (name, code, isLogError, cause)', () => {
    const cause = new Error('underneath');
    for (const code of LOG_CODES) {
      const err = new LogError(code, `a ${code}`, { cause });
      expect(err).to.be.instanceOf(KlevdbError).and.instanceOf(LogError).and.instanceOf(Error);
      expect(err).to.include({ name: 'LogError', code, message: `a ${code}`, cause });
      expect(isKlevdbError(err), code).to.equal(true);
      expect(isKlevdbError(err, code), code).to.equal(true);
      expect(isLogError(err, code), code).to.equal(true);
      expect(isKlevdbError(err, code === 'ERR_RANGE' ? 'ERR_CLOSED' : 'ERR_RANGE')).to.equal(false);
    }
    expect([...KLEVDB_ERROR_CODES.storage]).to.deep.equal(LOG_CODES);
  });

  it('every code belongs to exactly one module', () => {
    const all = Object.values(KLEVDB_ERROR_CODES).flat();
    expect(all.length).to.be.greaterThan(LOG_CODES.length);
    expect(new Set(all).size, 'duplicate codes').to.equal(all.length);
    for (const code of all) expect(code).to.match(/^ERR_[A-Z_]+$/);
  });

  it('a real failure of the log, caught as "any klevdb error" and switched on by code', async () => {
    const log = await open(path.join(await tempDir(), 'log'), { createDirs: true }); // no key index
    try {
      const err = await caught(() => log.getByKey('user-1'));
      if (!isKlevdbError(err)) expect.fail(`not a klevdb error: ${String(err)}`);
      let handled: string;
      switch (err.code) {
        case 'ERR_NO_INDEX':
          handled = 'open the log with a key index';
          break;
        case 'ERR_NOT_FOUND':
          handled = 'no such key';
          break;
        default:
          handled = `unexpected ${err.code}`;
      }
      expect(handled).to.equal('open the log with a key index');
      expect(err).to.be.instanceOf(LogError);
      expect(isKlevdbError(err, 'ERR_NO_INDEX')).to.equal(true);
    } finally {
      await log.close();
    }
  });

  it('narrows by code at compile time', () => {
    const err: unknown = new LogError('ERR_CLOSED', 'closed');
    if (isKlevdbError(err, 'ERR_CLOSED')) {
      const code: 'ERR_CLOSED' = err.code; // would not compile unless narrowed
      expect(code).to.equal('ERR_CLOSED');
    } else {
      expect.fail('a LogError ERR_CLOSED is a klevdb error with that code');
    }
    const any: KlevdbErrorCode = LOG_CODES[0]!; // every LogErrorCode is a KlevdbErrorCode
    expect(any).to.equal('ERR_INVALID_OFFSET');
  });

  it('is false for anything klevdb did not throw: values, plain errors, errors with a code field, look-alikes', async () => {
    const enoent = await caught(() => readFile(path.join(process.cwd(), 'no-such-file-here')));
    expect((enoent as NodeJS.ErrnoException).code).to.equal('ENOENT');
    const coded = Object.assign(new Error('a foreign error'), { code: 'ERR_NOT_FOUND' });
    const lookAlike = Object.assign(new Error('LogError-shaped'), { name: 'LogError', code: 'ERR_CORRUPTED' });
    const values: unknown[] = [
      undefined,
      null,
      0,
      'ERR_NOT_FOUND',
      Symbol('x'),
      {},
      [],
      () => undefined,
      { name: 'LogError', code: 'ERR_NOT_FOUND', message: 'a plain object' },
      new Error('plain'),
      new TypeError('type'),
      enoent,
      coded,
      lookAlike,
    ];
    for (const v of values) {
      expect(isKlevdbError(v), what(v)).to.equal(false);
      expect(isKlevdbError(v, 'ERR_NOT_FOUND')).to.equal(false);
      expect(isLogError(v)).to.equal(false);
    }
  });

  it("a code that is no klevdb code is the caller's mistake: ERR_INVALID_ARGUMENT naming code, not false forever", async () => {
    const err = new LogError('ERR_NOT_FOUND', 'x');
    for (const bad of ['ERR_NOTFOUND', 'ENOENT', '', 42, null]) {
      await expectLogError(
        () => isKlevdbError(err, bad as KlevdbErrorCode),
        'ERR_INVALID_ARGUMENT',
        /code must be a klevdb error code/,
      );
    }
    expect(isKlevdbError(err, undefined)).to.equal(true);
  });
});

function what(v: unknown): string {
  return v instanceof Error
    ? `${v.name}: ${v.message}`
    : typeof v === 'symbol'
      ? 'a symbol'
      : (JSON.stringify(v) ?? typeof v);
}
