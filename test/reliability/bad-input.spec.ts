// Bad input to the public functions test/storage/bad-input.spec.ts does not
// cover: the directory functions (check, recover, backup, migrate), the
// blocking and typed wrappers and their methods, the retention helpers'
// numbers, the codecs, and the klevdb/streams options. Wrong types,
// NaN/negative/fractional/huge numbers, values beyond the 64 MiB message
// limit, paths that do not exist or are files, unreadable files: each is a
// LogError (ERR_INVALID_ARGUMENT unless documented otherwise) whose message
// names the argument, never a TypeError, a hang or a crash, and nothing on
// disk changes.
import { expect } from 'chai';
import { chmod, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lastValueFrom, of, toArray } from 'rxjs';
import { z } from 'zod';
import {
  compactUpdatesMultiOffsets,
  deleteMulti,
  deleteMultiOffsets,
  deleteMultiWithWait,
  findByOffset,
  jsonCodec,
  migrate,
  OffsetOldest,
  openBlocking,
  openTyped,
  openTypedBlocking,
  stringCodec,
  stringOptCodec,
  trimBySize,
  trimBySizeMultiOffsets,
  V1,
  varintBigCodec,
  varintCodec,
  wrapBlocking,
  wrapTyped,
  wrapTypedBlocking,
  zodCodec,
} from '../../src/index.js';
import type { Codec, Log, LogErrorCode, TLog } from '../../src/index.js';
import {
  fromLog,
  fromLogBatches,
  fromLogWithStatus,
  fromTypedLog,
  fromTypedLogBatches,
  fromTypedLogWithStatus,
  toLog,
} from '../../src/streams/index.js';
import { backup, check, open, recover } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { reportPassedTests } from '../helpers/figures.js';
import { fingerprintDir } from '../helpers/fs.js';
import { startChild, unprivilegedUser, useFastTempDirs } from '../helpers/reliability-fork.js';
import type { UnreadableReport } from '../helpers/reliability-unreadable-child.js';

const IA: LogErrorCode = 'ERR_INVALID_ARGUMENT';
const MAX_BODY = 64 * 1024 * 1024;
/** An ill-typed argument, as untyped JavaScript callers may pass. */
const bad = <T = never>(v: unknown): T => v as T;

/** Not a non-empty string, for the path arguments. */
const NOT_PATHS: [string, unknown][] = [
  ['null', null],
  ['undefined', undefined],
  ['a number', 7],
  ['an empty string', ''],
  ['an object', {}],
  ['an array', ['/tmp']],
];
/** Not an offset or count: NaN, fractions, infinities, unsafe integers, strings, bigints. */
const NOT_INTEGERS: [string, unknown][] = [
  ['NaN', NaN],
  ['1.5', 1.5],
  ['Infinity', Infinity],
  ['2^53', 2 ** 53],
  ['-(2^53)', -(2 ** 53)],
  ['"1"', '1'],
  ['1n', 1n],
];

describe('bad input beyond the log methods', function () {
  after(function () {
    reportPassedTests(
      this.test!.parent!,
      'bad input',
      'tests of paths, options, wrappers and streams (each over a table of wrong values)',
    );
  });
  this.timeout(30_000);
  const logs: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const l of logs.splice(0)) await l.close().catch(() => undefined);
  });
  const tempDir = useFastTempDirs('klevdb-badin-');

  /** A closed log directory with three messages. */
  async function logDir(): Promise<string> {
    const dir = path.join(await tempDir(), 'log');
    const log = await open(dir, { createDirs: true, keyIndex: true, timeIndex: true });
    await log.publish([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
      { key: 'a', value: '3' },
    ]);
    await log.close();
    return dir;
  }
  async function openLog(): Promise<Log> {
    const log = await open(await logDir(), { keyIndex: true, timeIndex: true });
    logs.push(log);
    return log;
  }
  /** Expects a LogError of `code` naming the argument, and the log (if any) unchanged. */
  async function rejects(
    log: Log | null,
    fn: () => unknown,
    mentions: RegExp,
    code: LogErrorCode | LogErrorCode[] = IA,
  ): Promise<void> {
    const before = log ? await log.stat() : null;
    await expectLogError(fn, code, mentions);
    if (log) expect(await log.stat(), 'the log is unchanged').to.deep.equal(before);
  }

  describe('check, recover, backup and migrate', function () {
    const dirFns: [string, (dir: unknown) => Promise<unknown>, RegExp][] = [
      ['check', (d) => check(bad(d)), /\bdir\b/],
      ['recover', (d) => recover(bad(d)), /\bdir\b/],
      ['migrate', (d) => migrate(bad(d), {}, V1), /\bdir\b/],
      ['backup (src)', (d) => backup(bad(d), '/nonexistent-klevdb-dst'), /\bsrc\b/],
    ];
    for (const [name, fn, mentions] of dirFns) {
      it(`${name}: a path that is not a non-empty string is ERR_INVALID_ARGUMENT naming it`, async function () {
        for (const [, v] of NOT_PATHS) await rejects(null, () => fn(v), mentions);
      });
    }

    it('backup: a dst that is not a non-empty string, or is a file, is ERR_INVALID_ARGUMENT naming it; nothing is written', async function () {
      const dir = await logDir();
      const before = await fingerprintDir(dir);
      for (const [, v] of NOT_PATHS) await rejects(null, () => backup(dir, bad(v)), /\bdst\b/);
      const file = path.join(path.dirname(dir), 'a-file');
      await writeFile(file, 'x');
      await rejects(null, () => backup(dir, file), /a-file|dir/);
      expect(await fingerprintDir(dir)).to.deep.equal(before);
    });

    it('check, recover and migrate: bad options and versions are ERR_INVALID_ARGUMENT naming them; nothing is written', async function () {
      const dir = await logDir();
      const before = await fingerprintDir(dir);
      for (const [opts, mentions] of [
        ['fast', /options/],
        [{ rollover: -1 }, /rollover/],
        [{ rollover: 2 ** 53 }, /rollover/],
        [{ keyIndex: 'yes' }, /keyIndex/],
        [{ version: { newSegmentsVersion: 'V2' } }, /newSegmentsVersion/],
      ] as [unknown, RegExp][]) {
        await rejects(null, () => check(dir, bad(opts)), mentions);
        await rejects(null, () => recover(dir, bad(opts)), mentions);
        await rejects(null, () => migrate(dir, bad(opts), V1), mentions);
      }
      for (const v of [null, undefined, 'V1', { name: 'V3' }, 1])
        await rejects(null, () => migrate(dir, {}, bad(v)), /version/);
      expect(await fingerprintDir(dir)).to.deep.equal(before);
    });

    it('a directory that does not exist is an empty log, as in klevdb: they succeed and create nothing', async function () {
      const parent = await tempDir();
      const missing = path.join(parent, 'missing', 'deeper');
      await check(missing);
      await recover(missing);
      await migrate(missing, {}, V1);
      await backup(missing, path.join(parent, 'copy'));
      expect(await readdir(parent), 'nothing was created').to.deep.equal([]);
    });

    for (const [name, fn] of [
      ['check', (f: string) => check(f)],
      ['recover', (f: string) => recover(f)],
      ['migrate', (f: string) => migrate(f, {}, V1)],
      ['backup', (f: string) => backup(f, `${f}-copy`)],
    ] as [string, (f: string) => Promise<void>][]) {
      it(`${name} of a path that is a file: ERR_INVALID_ARGUMENT naming it, the file unchanged`, async function () {
        const dir = await logDir();
        const file = path.join(dir, '00000000000000000000.log');
        const before = await fingerprintDir(dir);
        await expectLogError(() => fn(file), IA, /0000\.log|dir/);
        expect(await fingerprintDir(dir), 'nothing changed').to.deep.equal(before);
        expect(await readdir(path.dirname(dir))).to.deep.equal(['log']);
      });
    }
  });

  describe('unreadable files (as an unprivileged user)', function () {
    const root = process.getuid?.() === 0;
    for (const what of ['the head log file', 'the head index file', 'the directory'] as const) {
      it(`${what} unreadable: each open, read, check, recover and backup fails naming it, or reads it right; nothing changes`, async function () {
        const dir = await logDir();
        const parent = path.dirname(dir);
        // The child (maybe another user) must reach the directory and write a backup beside it.
        for (const p of [path.dirname(parent), parent, dir]) await chmod(p, 0o777);
        for (const name of await readdir(dir)) await chmod(path.join(dir, name), 0o666);
        const target =
          what === 'the directory'
            ? dir
            : path.join(dir, `00000000000000000000.${what === 'the head log file' ? 'log' : 'index'}`);
        const before = await fingerprintDir(dir);
        await chmod(target, 0);
        const run = async (as: { uid: number; gid: number } | null): Promise<UnreadableReport | null> => {
          const child = startChild<UnreadableReport>(
            'reliability-unreadable-child.js',
            [dir, path.join(parent, 'copy')],
            20_000,
            as ?? {},
          );
          const done = await child.done;
          // Another user may not be allowed to read this checkout: then run as ourselves.
          if (as && done.reports.length === 0) return null;
          expect(
            { code: done.code, signal: done.signal, reports: done.reports.length },
            'the child exits cleanly',
          ).to.deep.equal({ code: 0, signal: null, reports: 1 });
          return done.reports[0]!;
        };
        let report: UnreadableReport;
        try {
          const user = unprivilegedUser();
          report = (await run(user)) ?? (await run(null))!;
          await chmod(target, what === 'the directory' ? 0o777 : 0o666);
          expect(await fingerprintDir(dir), 'nothing changed').to.deep.equal(before);
        } finally {
          await chmod(target, what === 'the directory' ? 0o777 : 0o666).catch(() => undefined);
        }
        if (root && report.uid === 0) {
          // Root reads whatever the mode: what is true is that every call reads the log right.
          expect(
            report.outcomes.filter((o) => !o.ok),
            'calls that failed as root',
          ).to.deep.equal([]);
          for (const o of report.outcomes) if (o.ok!.length) expect(o.ok, o.call).to.deep.equal([0, 1, 2]);
          return;
        }
        expect(report.uid, 'the child runs unprivileged').to.not.equal(0);
        const failed = report.outcomes.filter((o) => o.error);
        for (const o of report.outcomes) {
          if (o.ok) {
            // A call that succeeds reads everything right (an index can be rebuilt from the log).
            if (o.ok.length) expect(o.ok, `${o.call} read`).to.deep.equal([0, 1, 2]);
            continue;
          }
          expect(o.error!.name, `${o.call}: ${o.error!.message}`).to.not.equal('TypeError');
          expect(o.error!.message, `${o.call} names the unreadable path`).to.contain(target);
        }
        expect(failed.length, 'the unreadable file stops the calls that need it').to.be.greaterThan(0);
        const notLogErrors = failed.filter((o) => !o.error!.logError);
        const described = notLogErrors.map((o) => `${o.call}: ${o.error!.name} ${o.error!.code}: ${o.error!.message}`);
        expect(described, 'calls failing without a LogError').to.deep.equal([]);
      });
    }
  });

  describe('blocking and typed wrappers', function () {
    it('openBlocking, openTyped and openTypedBlocking: bad dirs, options and codecs are ERR_INVALID_ARGUMENT naming them', async function () {
      const parent = await tempDir();
      const file = path.join(parent, 'a-file');
      await writeFile(file, 'x');
      const opens: [string, (dir: unknown, opts?: unknown, codec?: unknown) => Promise<unknown>][] = [
        ['openBlocking', (d, o) => openBlocking(bad(d), bad(o))],
        ['openTyped', (d, o, c = stringCodec) => openTyped(bad(d), bad(o ?? {}), bad(c), stringCodec)],
        ['openTypedBlocking', (d, o, c = stringCodec) => openTypedBlocking(bad(d), bad(o ?? {}), bad(c), stringCodec)],
      ];
      for (const [name, fn] of opens) {
        for (const [what, v] of NOT_PATHS)
          await expectLogError(() => fn(v), IA, /\bdir\b|keyCodec/).catch((e: Error) =>
            expect.fail(`${name}(${what}): ${e.message}`),
          );
        await expectLogError(() => fn(path.join(parent, 'missing')), IA, /missing/);
        await expectLogError(() => fn(file), IA, /a-file/);
        await expectLogError(() => fn(parent, { rollover: NaN }), IA, /rollover/);
        await expectLogError(() => fn(parent, { readonly: 1 }), IA, /readonly/);
        if (name !== 'openBlocking') {
          for (const c of [null, {}, { encode: () => null }, stringCodec.encode])
            await expectLogError(() => fn(parent, {}, c), IA, /keyCodec/);
        }
      }
      expect(await readdir(parent), 'nothing was created').to.deep.equal(['a-file']);
    });

    it('wrapTyped and wrapTypedBlocking: what is not a log or codec is ERR_INVALID_ARGUMENT naming it', async function () {
      const log = await openLog();
      for (const v of [null, undefined, 5, 'log', {}]) {
        await expectLogError(() => wrapTyped(bad(v), stringCodec, stringCodec), IA, /\blog\b/);
        await expectLogError(() => wrapTypedBlocking(bad(v)), IA, /\blog\b/);
        if (v !== undefined) await expectLogError(() => wrapTyped(log, bad(v), stringCodec), IA, /keyCodec/);
      }
      await expectLogError(() => wrapBlocking(log, { followDir: bad(5) }), IA, /followDir/);
    });

    for (const [name, call] of [
      ['wrapBlocking(log, null)', async (log: Log) => wrapBlocking(log, bad(null))],
      [
        'wrapTypedBlocking(typed, null)',
        async (log: Log) => wrapTypedBlocking(wrapTyped(log, stringCodec, stringCodec), bad(null)),
      ],
    ] as [string, (log: Log) => Promise<unknown>][]) {
      it(`${name}: ERR_INVALID_ARGUMENT naming options`, async function () {
        const log = await openLog();
        await expectLogError(() => call(log), IA, /options/);
      });
    }

    it("a typed log's methods: bad numbers, dates, offsets and empty flags are ERR_INVALID_ARGUMENT naming them; nothing changes", async function () {
      const raw = await openLog();
      const log: TLog<string, string> = wrapTyped(raw, stringCodec, stringCodec);
      for (const [, v] of [...NOT_INTEGERS, ['-3', -3] as [string, unknown]]) {
        await rejects(raw, () => log.consume(bad(v), 1), /offset/, v === -3 ? [IA, 'ERR_INVALID_OFFSET'] : IA);
        await rejects(raw, () => log.consume(0, bad(v)), /maxCount/);
        await rejects(
          raw,
          () => log.consumeByKey('a', false, bad(v), 1),
          /offset/,
          v === -3 ? [IA, 'ERR_INVALID_OFFSET'] : IA,
        );
        await rejects(raw, () => log.consumeByKey('a', false, 0, bad(v)), /maxCount/);
        if (v !== -3) await rejects(raw, () => log.get(bad(v)), /offset/);
        await rejects(raw, () => log.delete([bad(v)]), /offset/, v === -3 ? [IA, 'ERR_INVALID_OFFSET'] : IA);
      }
      for (const v of [-1, NaN, -Infinity, '1', null]) await rejects(raw, () => log.gc(bad(v)), /unusedForMs/);
      for (const v of [new Date(NaN), '2024-01-01', 0, null]) {
        await rejects(raw, () => log.getByTime(bad(v)), /start/);
        await rejects(raw, () => log.offsetByTime(bad(v)), /start/);
        await rejects(raw, () => log.publish([{ key: 'k', value: 'v', time: bad(v) }]), /messages\[0\]\.time/);
      }
      for (const v of [1.5, NaN, 2 ** 53, '5'])
        await rejects(
          raw,
          () => log.publish([{ key: 'k', value: 'v', timeMicros: bad(v) }]),
          /messages\[0\]\.timeMicros/,
        );
      for (const v of ['no', 1, null]) {
        await rejects(raw, () => log.getByKey('a', bad(v)), /empty/);
        await rejects(raw, () => log.consumeByKey('a', bad(v), 0, 1), /empty/);
        await rejects(raw, () => log.publish([{ key: 'k', keyEmpty: bad(v) }]), /keyEmpty/);
        await rejects(raw, () => log.publish([{ value: 'v', valueEmpty: bad(v) }]), /valueEmpty/);
      }
      await rejects(raw, () => log.delete(bad(null)), /offsets/);
      await rejects(raw, () => log.backup(bad(5)), /\bdir\b/);
      expect((await log.get(2)).value).to.equal('3');
    });

    it('a typed publish whose encoded value is over 64 MiB is ERR_INVALID_ARGUMENT naming the message; exactly 64 MiB is stored', async function () {
      const raw = await openLog();
      const log = wrapTyped(raw, stringCodec, stringCodec);
      await rejects(raw, () => log.publish([{ key: 'k', value: 'x'.repeat(MAX_BODY) }]), /messages\[0\].*64 MiB/);
      // A JSON value: its quotes take it over.
      await rejects(
        raw,
        () => wrapTyped(raw, stringCodec, stringOptCodec).publish([{ key: '', value: 'y'.repeat(MAX_BODY - 1) }]),
        /messages\[0\].*64 MiB/,
      );
      expect(await log.publish([{ key: 'kk', value: 'z'.repeat(MAX_BODY - 2) }])).to.equal(4);
      expect((await log.get(3)).value.length).to.equal(MAX_BODY - 2);
    });

    it('a typed blocking log refuses a bad key flag before waiting', async function () {
      const log = await wrapTypedBlocking(wrapTyped(await openLog(), stringCodec, stringCodec));
      logs.push(log);
      for (const v of ['no', 0, undefined])
        await expectLogError(() => log.consumeByKeyBlocking('a', bad(v), 10, 1), IA, /empty/);
      for (const [, v] of NOT_INTEGERS)
        await expectLogError(() => log.consumeByKeyBlocking('a', false, bad(v), 1), IA, /offset/);
    });
  });

  describe('retention helpers: numbers', function () {
    it('deleteMulti and deleteMultiOffsets: offsets that are not safe integers are ERR_INVALID_ARGUMENT; relative ones as log.delete', async function () {
      const log = await openLog();
      for (const [, v] of NOT_INTEGERS) {
        await rejects(log, () => deleteMulti(log, [bad(v)]), /offsets/);
        await rejects(log, () => deleteMultiOffsets(log, new Set([0, bad(v)])), /offsets/);
      }
      await rejects(log, () => deleteMultiOffsets(log, [-1]), /offset/, [IA, 'ERR_INVALID_OFFSET']);
      await rejects(log, () => deleteMulti(log, [OffsetOldest, 1]), /offset/, [IA, 'ERR_INVALID_OFFSET']);
    });

    it('trimBySize, findByOffset and compactUpdatesMultiOffsets: infinite, huge and NaN arguments are ERR_INVALID_ARGUMENT naming them', async function () {
      const log = await openLog();
      for (const v of [Infinity, NaN, 2 ** 53, -0.5]) {
        await rejects(log, () => trimBySize(log, v), /size/);
        await rejects(log, () => trimBySizeMultiOffsets(log, v), /size/);
        await rejects(log, () => findByOffset(log, v), /before/);
      }
      await rejects(log, () => compactUpdatesMultiOffsets(log, bad('2024'), undefined, undefined), /before/);
      await rejects(log, () => compactUpdatesMultiOffsets(log, new Date(), undefined, bad(AbortSignal)), /signal/);
    });

    it('deleteMultiWithWait: a backoff given a signal that is not an AbortSignal rejects with ERR_INVALID_ARGUMENT', async function () {
      const backoff = deleteMultiWithWait(2 ** 40);
      for (const v of ['stop', {}, 1]) await expectLogError(() => backoff(bad(v)), IA, /signal/);
    });
  });

  describe('codecs', function () {
    const codecs: [string, Codec<unknown>][] = [
      ['stringCodec', stringCodec],
      ['stringOptCodec', stringOptCodec],
      ['varintCodec', varintCodec],
      ['varintBigCodec', varintBigCodec],
      ['jsonCodec', jsonCodec<unknown>()],
      ['zodCodec', zodCodec(z.object({ a: z.number() }))],
    ];
    for (const [name, codec] of codecs) {
      it(`${name}: decode of what is not a Buffer or null, and encode with an empty flag that is not a boolean, are ERR_INVALID_ARGUMENT naming the argument`, async function () {
        for (const v of ['01', 1, new Uint8Array([1]), [1], {}, undefined])
          await expectLogError(() => codec.decode(bad(v)), IA, new RegExp(`${name}\\.decode: b must be a Buffer`));
        for (const v of ['no', 0, null, undefined])
          await expectLogError(
            () => codec.encode(bad(undefined), bad(v)),
            IA,
            new RegExp(`${name}\\.encode: empty must be a boolean`),
          );
      });
    }
  });

  describe('klevdb/streams', function () {
    const sources = { fromLog, fromLogBatches, fromLogWithStatus } as const;
    const typedSources = { fromTypedLog, fromTypedLogBatches, fromTypedLogWithStatus } as const;
    const badOptions: [string, unknown, string][] = [
      ['offset NaN', { offset: NaN }, 'offset'],
      ['offset 2^53', { offset: 2 ** 53 }, 'offset'],
      ['offset -Infinity', { offset: -Infinity }, 'offset'],
      ['batchSize Infinity', { batchSize: Infinity }, 'batchSize'],
      ['batchSize 2^53', { batchSize: 2 ** 53 }, 'batchSize'],
      ['batchSize -1', { batchSize: -1 }, 'batchSize'],
      ['signal not an AbortSignal', { signal: { aborted: false } }, 'signal'],
      ['options a string', 'live', 'options'],
    ];
    it('every source refuses bad options with ERR_INVALID_ARGUMENT naming the option, before subscribing', async function () {
      const log = await wrapBlocking(await openLog());
      const typed = await wrapTypedBlocking(wrapTyped(log, stringCodec, stringCodec));
      logs.push(typed);
      for (const [name, source] of [...Object.entries(sources), ...Object.entries(typedSources)]) {
        const target = name.startsWith('fromTyped') ? typed : log;
        for (const [what, opts, option] of badOptions) {
          await expectLogError(
            () => (source as (l: unknown, o: unknown) => unknown)(target, opts),
            IA,
            new RegExp(option),
          ).catch((e: Error) => expect.fail(`${name} ${what}: ${e.message}`));
        }
      }
      for (const v of ['yes', 1, null])
        await expectLogError(() => fromTypedLog(typed, { keyEmpty: bad(v) }), IA, /keyEmpty/);
      for (const v of [5, null, { k: 1 }]) await expectLogError(() => fromLog(log, { key: bad(v) }), IA, /key/);
    });

    it("toLog refuses bad maxCount and maxWait with ERR_INVALID_ARGUMENT naming them; a publish over 64 MiB errors the stream with the log's ERR_INVALID_ARGUMENT", async function () {
      const log = await openLog();
      for (const v of [NaN, 1.5, 2 ** 53, Infinity, '10', -1])
        await expectLogError(() => toLog(log, { maxCount: bad(v) }), IA, /maxCount/);
      for (const v of [NaN, Infinity, '10', -1])
        await expectLogError(() => toLog(log, { maxWait: bad(v) }), IA, /maxWait/);
      const before = await log.stat();
      await expectLogError(
        () =>
          lastValueFrom(
            of({ value: 'ok' }, { value: Buffer.alloc(MAX_BODY + 1) }).pipe(toLog(log, { maxCount: 2 }), toArray()),
          ),
        IA,
        /messages\[1\].*64 MiB/,
      );
      await expectLogError(() => lastValueFrom(of({ value: bad(5) }).pipe(toLog(log))), IA, /messages\[0\]\.value/);
      expect(await log.stat(), 'nothing was published').to.deep.equal(before);
    });

    for (const [name, subscribe] of [
      ['fromLog(null)', () => lastValueFrom(fromLog(bad(null), { live: false }))],
      ['fromTypedLog({})', () => lastValueFrom(fromTypedLog(bad({}), { live: false }))],
      ['toLog(null)', () => lastValueFrom(of({ value: 'x' }).pipe(toLog(bad(null))))],
      ['toLog({})', () => lastValueFrom(of({ value: 'x' }).pipe(toLog(bad({}))))],
    ] as [string, () => Promise<unknown>][]) {
      it(`${name}: ERR_INVALID_ARGUMENT naming the log`, async function () {
        await expectLogError(subscribe, IA, /\blog\b/);
      });
    }

    it('toLog with options that are not an object, or a maxWait a timer cannot hold: ERR_INVALID_ARGUMENT naming them', async function () {
      const log = await openLog();
      await expectLogError(() => toLog(log, bad('x')), IA, /options/);
      await expectLogError(() => toLog(log, { maxWait: 2 ** 31 }), IA, /maxWait/);
    });
  });
});
