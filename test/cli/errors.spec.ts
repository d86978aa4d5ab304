// Bad input: one line on stderr naming what to do, and an exit code that means something.
import { writeFileSync, openSync, writeSync, closeSync, rmSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Workspace, exited, expectError, klevdb, nodeScript, ok, type Run } from './helpers.js';

/** A --json failure: the exit code, and stderr one line holding one JSON object {"error": {...}}. */
function jsonError(r: Run, exitCode: number, code: string, message: RegExp): Record<string, unknown> {
  expect(r.code, `exit code (stderr: ${r.stderr})`).to.equal(exitCode);
  expect(r.stderr.endsWith('\n') && r.stderr.trimEnd().split('\n').length === 1, `one line: ${r.stderr}`).to.equal(
    true,
  );
  const { error } = JSON.parse(r.stderr) as { error: Record<string, unknown> };
  expect(error).to.include({ code, exitCode });
  expect(error.message).to.be.a('string').and.match(message);
  expect(error.message as string).not.to.match(/^klevdb: /);
  return error;
}

describe('klevdb CLI: errors and exit codes', function () {
  const ws = new Workspace();
  after(() => ws.remove());

  it('a missing log directory is exit 2 for every command that needs one', async () => {
    const missing = path.join(ws.root, 'no-such-log');
    const commands = [
      ['stat', missing],
      ['consume', missing],
      ['get', missing, '--offset', '0'],
      ['delete', missing, '1'],
      ['trim', missing, '--count', '1'],
      ['compact', missing],
      ['check', missing],
      ['recover', missing],
      ['backup', missing, path.join(ws.root, 'bk')],
      ['migrate', missing, '--to', 'V2'],
    ];
    const runs = await Promise.all(commands.map((c) => klevdb(c)));
    runs.forEach((r, i) => {
      expectError(r, 2, new RegExp(`no log at ${missing}: the directory does not exist; check the path`));
      expect(r.stdout, commands[i]!.join(' ')).to.equal('');
    });
    expect(readdirSync(ws.root)).to.not.include('no-such-log');
  });

  it('a file instead of a directory, and bad offsets, are usage errors (exit 1)', async () => {
    const file = path.join(ws.root, 'plain-file');
    writeFileSync(file, 'x');
    const dir = ws.sample('v2-plain');
    const [notDir, from, max, offset] = await Promise.all([
      klevdb(['stat', file]),
      klevdb(['consume', dir, '--from', 'middle']),
      klevdb(['consume', dir, '--max', '0']),
      klevdb(['get', dir, '--offset', '1.5']),
    ]);
    expectError(notDir, 1, /plain-file is not a directory/);
    expectError(from, 1, /--from must be an offset \(a whole number >= 0\), 'oldest' or 'newest', got 'middle'/);
    expectError(max, 1, /--max must be a whole number >= 1, got '0'/);
    expectError(offset, 1, /--offset must be a whole number >= 0, got '1\.5'/);
  });

  it('unknown commands and options point at --help (exit 1); --help lists the exit codes', async () => {
    const dir = ws.sample('v2-plain');
    expectError(await klevdb(['stats', dir]), 1, /unknown command 'stats'.*see `klevdb --help`/);
    expectError(await klevdb(['stat', dir, '--bogus']), 1, /unknown option '--bogus'; see `klevdb stat --help`/);
    expectError(await klevdb(['get']), 1, /missing required argument 'dir'/);
    const help = await ok(['--help']);
    for (const line of ['0  ok', '2  not found', '3  corrupted', '4  locked']) expect(help).to.include(line);
  });

  it('a corrupted segment is exit 3, for reads and for check', async () => {
    const badHead = ws.sample('v2-bad-crc');
    expectError(await klevdb(['consume', badHead]), 3, /is corrupted: log corrupted: crc failed/);
    // A segment whose header is garbage.
    const dir = ws.sample('v2-plain');
    const fd = openSync(path.join(dir, '00000000000000000000.log'), 'r+');
    writeSync(fd, Buffer.from('garbage!'), 0, 8, 0);
    closeSync(fd);
    const r = await klevdb(['stat', dir]);
    expectError(r, 3, /is corrupted: .*magic prefix not found/);
    expectError(await klevdb(['check', dir]), 3, /is corrupted/);
  });

  it('index options that do not match the log are explained (exit 1); a V1 log without index files needs them', async () => {
    expectError(
      await klevdb(['stat', ws.sample('v2-keys-times'), '--no-key-index']),
      1,
      /was created with a key index; pass --key-index, or leave both index options out to detect them/,
    );
    expectError(
      await klevdb(['consume', ws.sample('v1-keys-times'), '--no-key-index', '--no-time-index']),
      1,
      /has V1 index items of a log created with --key-index --time-index, not --no-key-index --no-time-index/,
    );
    const v1 = ws.sample('v1-keys-times');
    rmSync(path.join(v1, '00000000000000000000.index'));
    expectError(
      await klevdb(['consume', v1]),
      1,
      /has V1 segments, whose index files do not record .*pass --key-index or --no-key-index, and --time-index or --no-time-index/,
    );
    const out = await ok(['consume', v1, '--key-index', '--time-index', '--json', '--max', '2']);
    expect(out.trim().split('\n')).to.have.length(2);
  });

  it('a log held by a writer in another process: writes are exit 4, reads work beside it', async () => {
    const dir = ws.sample('v2-plain');
    const writer = await nodeScript(`
      const log = await k.open(${JSON.stringify(dir)}, {});
      console.log('ready');
      process.stdin.on('data', async () => { await log.close(); process.exit(0); });
    `);
    try {
      const [pub, del, rec, trim] = await Promise.all([
        klevdb(['publish', dir, 'k', 'v']),
        klevdb(['delete', dir, '1']),
        klevdb(['recover', dir]),
        klevdb(['trim', dir, '--count', '1']),
      ]);
      for (const r of [pub, del, rec, trim]) {
        expectError(
          r,
          4,
          new RegExp(`log ${dir} is locked by another process that has it open for writing; stop that process first`),
        );
      }
      expect((await ok(['consume', dir, '--json'])).trim().split('\n')).to.have.length(10);
      const bk = JSON.parse(await ok(['backup', dir, ws.fresh('bk'), '--json'])) as {
        besideWriter: boolean;
        messages: number;
      };
      expect(bk).to.include({ besideWriter: true, messages: 10 });
    } finally {
      writer.child.stdin!.write('close\n');
      await exited(writer.child);
    }
    expect(await ok(['publish', dir, 'k', 'v'])).to.match(/at offset 10/);
  });

  it('with --json, every failure is one JSON object on stderr with a stable code and the same exit code', async () => {
    const missing = path.join(ws.root, 'no-such-log-json');
    const dir = ws.sample('v2-plain');
    const [gone, badOffset, unknown, notThere, corrupted, afterDashes] = await Promise.all([
      klevdb(['stat', missing, '--json']),
      klevdb(['get', dir, '--offset', '1.5', '--json']),
      klevdb(['stat', dir, '--bogus', '--json']),
      klevdb(['get', dir, '--offset', '99', '--json']),
      klevdb(['consume', ws.sample('v2-bad-crc'), '--json']),
      klevdb(['stat', missing, '--', '--json']),
    ]);
    jsonError(gone, 2, 'ERR_NOT_FOUND', /no log at .*no-such-log-json: the directory does not exist; check the path/);
    expect(gone.stdout).to.equal('');
    jsonError(badOffset, 1, 'ERR_USAGE', /--offset must be a whole number >= 0, got '1\.5'/);
    jsonError(unknown, 1, 'ERR_USAGE', /unknown option '--bogus'; see `klevdb stat --help`/);
    jsonError(notThere, 2, 'ERR_NOT_FOUND', /offset 99 is not in .*; run `klevdb stat/);
    // The underlying LogError's code comes along as `cause`.
    expect(jsonError(corrupted, 3, 'ERR_CORRUPTED', /is corrupted/)).to.have.property('cause', 'ERR_CORRUPTED');
    // After `--`, --json is an operand, not the option: the plain line.
    expect(afterDashes.code).to.not.equal(0);
    expect(afterDashes.stderr).to.match(/^klevdb: /);
  });
});
