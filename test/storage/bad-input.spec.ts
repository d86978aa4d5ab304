// Bad input to every public function of the log and to open(): each is a
// LogError (ERR_INVALID_ARGUMENT unless documented otherwise) whose message
// names the argument, never a TypeError, a hang or a crash, and it changes
// nothing.
import { expect } from 'chai';
import { reportPassedTests } from '../helpers/figures.js';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OffsetOldest } from '../../src/index.js';
import type { Log, LogErrorCode, Options } from '../../src/index.js';
import { callExport, open } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { listLogFiles, makeTempDir, useTempDirs } from '../helpers/fs.js';
import { gen } from '../helpers/messages.js';

/** An ill-typed argument, as untyped JavaScript callers may pass. */
const bad = <T = never>(v: unknown): T => v as T;

const MAX_BODY = 64 * 1024 * 1024;
const IA: LogErrorCode = 'ERR_INVALID_ARGUMENT';
// klevdb answers relative offsets other than OffsetOldest/OffsetNewest with
// ErrInvalidOffset; rejecting them as bad arguments is as good.
const NEGATIVE: LogErrorCode[] = ['ERR_INVALID_ARGUMENT', 'ERR_INVALID_OFFSET'];

interface Case {
  name: string;
  call: (log: Log) => unknown;
  mentions: RegExp;
  codes?: LogErrorCode | LogErrorCode[];
}

const notNumbers: [string, unknown][] = [
  ['NaN', NaN],
  ['a fraction', 1.5],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['an unsafe integer', 2 ** 53],
  ['a numeric string', '1'],
  ['null', null],
  ['undefined', undefined],
  ['a bigint', 1n],
  ['an object', {}],
];
const notKeys: [string, unknown][] = [
  ['a number', 123],
  ['null', null],
  ['undefined', undefined],
  ['an object', { key: 'a' }],
  ['an array of numbers', [1, 2]],
  ['a boolean', true],
];
const notDates: [string, unknown][] = [
  ['an invalid Date', new Date(NaN)],
  ['a string', '2023-01-01T00:00:00Z'],
  ['a number', 1672531200000],
  ['null', null],
  ['undefined', undefined],
  ['an object', {}],
];

function logCases(): Case[] {
  const cases: Case[] = [];
  const add = (
    name: string,
    call: (log: Log) => unknown,
    mentions: RegExp,
    codes?: LogErrorCode | LogErrorCode[],
  ): void => {
    cases.push({ name, call, mentions, codes });
  };

  // publish
  for (const [what, v] of [
    ['null', null],
    ['undefined', undefined],
    ['a string', 'x'],
    ['an object', {}],
    ['a number', 42],
    ['a Set', new Set([{ value: 'x' }])],
  ] as [string, unknown][]) {
    add(`publish(${what})`, (log) => log.publish(bad(v)), /messages/i);
  }
  for (const [what, v] of [
    ['null', null],
    ['a number', 42],
    ['a string', 'm'],
    ['an array', []],
  ] as [string, unknown][]) {
    add(`publish([${what}])`, (log) => log.publish([bad(v)]), /messages/i);
  }
  for (const [what, v] of notKeys.filter(([, x]) => x !== null && x !== undefined)) {
    add(`publish key ${what}`, (log) => log.publish([{ key: bad(v), value: 'v' }]), /key/i);
    add(`publish value ${what}`, (log) => log.publish([{ key: 'k', value: bad(v) }]), /value/i);
  }
  for (const [what, v] of notDates.filter(([, x]) => x !== undefined)) {
    add(`publish time ${what}`, (log) => log.publish([{ value: 'v', time: bad(v) }]), /time/i);
  }
  for (const [what, v] of notNumbers.filter(([, x]) => x !== undefined)) {
    add(`publish timeMicros ${what}`, (log) => log.publish([{ value: 'v', timeMicros: bad(v) }]), /timeMicros/);
  }
  add('publish timeMicros -(2^53)', (log) => log.publish([{ value: 'v', timeMicros: -(2 ** 53) }]), /timeMicros/);
  add(
    'publish a message of 64 MiB + 1 (value)',
    (log) => log.publish([{ value: Buffer.alloc(MAX_BODY + 1) }]),
    /messages|value|size|64/i,
  );
  add(
    'publish a message of 64 MiB + 1 (key + value)',
    (log) => log.publish([{ key: Buffer.alloc(MAX_BODY / 2), value: Buffer.alloc(MAX_BODY / 2 + 1) }]),
    /messages|key|value|size|64/i,
  );
  add(
    'publish a good message then an oversized one (the batch is all or nothing)',
    (log) => log.publish([{ value: 'fine' }, { value: 'x'.repeat(MAX_BODY + 1) }]),
    /messages|value|size|64/i,
  );
  add(
    'publish a good message then a bad time',
    (log) =>
      log.publish([
        { value: 'fine', timeMicros: 1 },
        { value: 'bad', timeMicros: 0.5 },
      ]),
    /timeMicros/,
  );

  // consume / consumeByKey / get
  for (const [what, v] of notNumbers) {
    add(`consume offset ${what}`, (log) => log.consume(bad(v), 10), /offset/i);
    add(`consume maxCount ${what}`, (log) => log.consume(0, bad(v)), /maxCount/);
    add(`consumeByKey offset ${what}`, (log) => log.consumeByKey('k', bad(v), 10), /offset/i);
    add(`consumeByKey maxCount ${what}`, (log) => log.consumeByKey('k', 0, bad(v)), /maxCount/);
    add(`get offset ${what}`, (log) => log.get(bad(v)), /offset/i);
  }
  for (const v of [-3, -100, Number.MIN_SAFE_INTEGER]) {
    add(`consume offset ${v}`, (log) => log.consume(v, 10), /offset/i, NEGATIVE);
    add(`consumeByKey offset ${v}`, (log) => log.consumeByKey('k', v, 10), /offset/i, NEGATIVE);
    add(`get offset ${v}`, (log) => log.get(v), /offset/i, NEGATIVE);
  }
  for (const v of [0, -1]) {
    add(`consume maxCount ${v}`, (log) => log.consume(0, v), /maxCount/);
    add(`consumeByKey maxCount ${v}`, (log) => log.consumeByKey('k', 0, v), /maxCount/);
  }
  add('consume offset 2^52 (after the end)', (log) => log.consume(2 ** 52, 10), /offset/i, 'ERR_INVALID_OFFSET');
  add('get offset 2^52 (after the end)', (log) => log.get(2 ** 52), /offset/i, 'ERR_INVALID_OFFSET');

  // key lookups
  for (const [what, v] of notKeys) {
    add(`getByKey ${what}`, (log) => log.getByKey(bad(v)), /key/i);
    add(`offsetByKey ${what}`, (log) => log.offsetByKey(bad(v)), /key/i);
    add(`consumeByKey key ${what}`, (log) => log.consumeByKey(bad(v), OffsetOldest, 10), /key/i);
  }

  // time lookups
  for (const [what, v] of notDates) {
    add(`getByTime ${what}`, (log) => log.getByTime(bad(v)), /start|time/i);
    add(`offsetByTime ${what}`, (log) => log.offsetByTime(bad(v)), /start|time/i);
  }

  // delete
  for (const [what, v] of [
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an object', {}],
  ] as [string, unknown][]) {
    add(`delete(${what})`, (log) => log.delete(bad(v)), /offsets/i);
  }
  for (const [what, v] of notNumbers.filter(([, x]) => x !== undefined)) {
    add(`delete([${what}])`, (log) => log.delete([bad(v)]), /offset/i);
  }
  add('delete a string (iterates characters)', (log) => log.delete(bad('01')), /offset/i);
  add('delete([-1]) (relative offsets)', (log) => log.delete([-1]), /offset/i, NEGATIVE);

  // size (synchronous)
  for (const [what, v] of [
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a string', 'm'],
    ['a message with a numeric key', { offset: 0, key: 5, value: null }],
  ] as [string, unknown][]) {
    add(`size(${what})`, (log) => log.size(bad(v)), /m\b|message|key|size/i);
  }

  // backup, gc
  for (const [what, v] of [
    ['null', null],
    ['undefined', undefined],
    ['a number', 1],
    ['an empty string', ''],
    ['an object', {}],
  ] as [string, unknown][]) {
    add(`backup(${what})`, (log) => log.backup(bad(v)), /dir/i);
  }
  for (const [what, v] of [
    ['-1', -1],
    ['NaN', NaN],
    ['a string', '5'],
    ['null', null],
    ['-Infinity', -Infinity],
  ] as [string, unknown][]) {
    add(`gc(${what})`, (log) => log.gc(bad(v)), /unused/i);
  }
  return cases;
}

describe('bad input', function () {
  after(function () {
    reportPassedTests(
      this.test!.parent!,
      'bad input',
      'tests of the Log methods and maintenance functions (each over a table of wrong values)',
    );
  });
  this.timeout(20_000);
  const tempDir = useTempDirs('klevdb-bad-');

  describe('to the methods of a log', function () {
    let dir: string;
    let log: Log;
    before(async function () {
      dir = await makeTempDir('klevdb-bad-log-');
      log = await open(dir, { keyIndex: true, timeIndex: true, rollover: 1024 });
      await log.publish(gen(10));
    });
    after(async function () {
      await log?.close();
      await rm(dir, { recursive: true, force: true });
    });

    for (const c of logCases()) {
      it(`${c.name}: ${[c.codes ?? IA].flat().join(' or ')} naming the argument, nothing changes`, async function () {
        const before = { next: await log.nextOffset(), stat: await log.stat() };
        await expectLogError(() => c.call(log), c.codes ?? IA, c.mentions);
        expect(await log.nextOffset(), 'nextOffset unchanged').to.equal(before.next);
        expect(await log.stat(), 'stat unchanged').to.deep.equal(before.stat);
        expect((await log.get(9)).offset, 'the log still reads').to.equal(9);
      });
    }

    it('a message of exactly 64 MiB (key + value) is accepted and reads back', async function () {
      const next = await log.nextOffset();
      const value = Buffer.alloc(MAX_BODY - 3, 7);
      expect(await log.publish([{ key: 'big', value }])).to.equal(next + 1);
      const m = await log.get(next);
      expect(m.key?.toString()).to.equal('big');
      expect(m.value?.length).to.equal(MAX_BODY - 3);
      expect(m.value?.equals(value)).to.equal(true);
    });
  });

  describe('to open()', function () {
    const optionCases: [string, unknown, RegExp][] = [
      ['options a number', 42, /options/i],
      ['options a string', 'readonly', /options/i],
      ['options an array', [], /options/i],
      ['rollover -1', { rollover: -1 }, /rollover/],
      ['rollover NaN', { rollover: NaN }, /rollover/],
      ['rollover 1.5', { rollover: 1.5 }, /rollover/],
      ['rollover Infinity', { rollover: Infinity }, /rollover/],
      ['rollover a string', { rollover: '1024' }, /rollover/],
      ['version a string', { version: 'V2' }, /version/],
      ['newSegmentsVersion unknown', { version: { newSegmentsVersion: { name: 'V3' } } }, /newSegmentsVersion/],
      ['newSegmentsVersion a string', { version: { newSegmentsVersion: 'V2' } }, /newSegmentsVersion/],
      ...['createDirs', 'readonly', 'keyIndex', 'timeIndex', 'autoSync', 'check', 'recover', 'followWriter'].map(
        (name) => [`${name} a string`, { [name]: 'yes' }, new RegExp(name)] as [string, unknown, RegExp],
      ),
      ['keepRewriteVersion a number', { version: { keepRewriteVersion: 1 } }, /keepRewriteVersion/],
      ['eagerVersionMigrate a string', { version: { eagerVersionMigrate: 'true' } }, /eagerVersionMigrate/],
    ];
    for (const [name, opts, mentions] of optionCases) {
      it(`${name}: ERR_INVALID_ARGUMENT naming it, no files written`, async function () {
        const dir = await tempDir();
        await expectLogError(() => open(dir, bad<Options>(opts)), IA, mentions);
        expect((await listLogFiles(dir)).filter((f) => f.endsWith('.log') || f.endsWith('.index'))).to.deep.equal([]);
        const log = await open(dir, {});
        await log.close();
      });
    }

    for (const [what, v] of [
      ['null', null],
      ['undefined', undefined],
      ['a number', 7],
      ['an object', {}],
      ['an empty string', ''],
    ] as [string, unknown][]) {
      it(`dir ${what}: ERR_INVALID_ARGUMENT naming dir`, async function () {
        await expectLogError(() => callExport('open', v, {}), IA, /dir/i);
      });
    }

    it('the message says what was passed in plain words (never "a Object" or "a undefined")', async function () {
      const said: [unknown, string][] = [
        [undefined, 'got undefined'],
        [{}, 'got an object'],
        [new Map(), 'got a Map'],
        [true, 'got true'],
        [7, 'got 7'],
        ['', 'got an empty string'],
      ];
      for (const [v, words] of said)
        await expectLogError(() => callExport('open', v, {}), IA, new RegExp(`dir must be .*${words}$`));
      const dir = await tempDir();
      await expectLogError(
        () => open(dir, bad<Options>({ createDirs: 'yes' })),
        IA,
        /options\.createDirs must be a boolean, got the string "yes"/,
      );
      // A misspelt option would leave its default on without a word.
      await expectLogError(
        () => open(dir, bad<Options>({ createDirs: true, keyIndx: true })),
        IA,
        /^options\.keyIndx is not an option; the options are createDirs, readonly, keyIndex, /,
      );
      await expectLogError(
        () => open(dir, bad<Options>({ version: { newSegmentVersion: 1 } })),
        IA,
        /^options\.version\.newSegmentVersion is not an option; the options are newSegmentsVersion, /,
      );
    });

    it('a call on a closed log: ERR_CLOSED naming the log and saying to open it again', async function () {
      const dir = await tempDir();
      const log = await open(dir, {});
      await log.close();
      await expectLogError(() => log.publish(gen(1)), 'ERR_CLOSED', /is closed; open it again/);
      await expectLogError(
        () => log.consume(OffsetOldest, 1),
        'ERR_CLOSED',
        new RegExp(`log ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is closed`),
      );
    });

    it('a dir that does not exist: ERR_INVALID_ARGUMENT naming it', async function () {
      const dir = path.join(await tempDir(), 'no-such-dir');
      await expectLogError(() => open(dir, {}), IA, /no-such-dir|dir/i);
      await expectLogError(() => open(dir, { readonly: true }), IA, /no-such-dir|dir/i);
    });

    it('a dir that is a file: ERR_INVALID_ARGUMENT naming it', async function () {
      const file = path.join(await tempDir(), 'plain-file');
      await writeFile(file, 'not a directory');
      await expectLogError(() => open(file, {}), IA, /plain-file|dir/i);
      await expectLogError(() => open(file, { createDirs: true }), IA, /plain-file|dir/i);
      await expectLogError(() => open(path.join(file, 'below'), { createDirs: true }), IA, /plain-file|below|dir/i);
    });

    it('backup into a path that is a file: ERR_INVALID_ARGUMENT naming it', async function () {
      const dir = await tempDir();
      const file = path.join(dir, 'plain-file');
      await writeFile(file, 'not a directory');
      const log = await open(path.join(dir, 'log'), { createDirs: true });
      try {
        await log.publish(gen(1));
        await expectLogError(() => log.backup(file), IA, /plain-file|dir/i);
      } finally {
        await log.close();
      }
    });
  });
});
