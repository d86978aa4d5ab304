// klevdb publish and delete.
import { expect } from 'chai';
import { Workspace, expectError, jsonLines, klevdb, ok, okJson, sample } from './helpers.js';

interface JsonMsg {
  offset: number;
  time: string;
  timeMicros: number;
  key: unknown;
  value: unknown;
}

describe('klevdb CLI: publish, delete', function () {
  const ws = new Workspace();
  after(() => ws.remove());

  it('publish <key> <value> creates the log and appends; --time is kept to the microsecond', async () => {
    const dir = ws.fresh('args');
    expect(await ok(['publish', dir, 'k1', 'hello'])).to.match(
      /^published 1 message to .* at offset 0 \(next offset 1\)\n$/,
    );
    const r = await okJson(['publish', dir, 'k2', 'world', '--time', '2024-05-01T12:00:00.123456Z']);
    expect(r).to.deep.equal({ published: 1, firstOffset: 1, nextOffset: 2 });
    await ok(['publish', dir, 'k1', '--tombstone']);
    const got = jsonLines<JsonMsg>(await ok(['consume', dir, '--json']));
    expect(got.map((m) => [m.offset, m.key, m.value])).to.deep.equal([
      [0, 'k1', 'hello'],
      [1, 'k2', 'world'],
      [2, 'k1', null],
    ]);
    expect(got[1]!.time).to.equal('2024-05-01T12:00:00.123456Z');
    expect(got[1]!.timeMicros).to.equal(Date.UTC(2024, 4, 1, 12) * 1000 + 123456);
    // A new log gets klevdb's default options: no indexes.
    expect(await okJson(['stat', dir])).to.include({ keyIndex: false, timeIndex: false, indexFrom: 'header' });
  });

  it('publish --key-index --time-index creates a log with both indexes', async () => {
    const dir = ws.fresh('indexed');
    await ok(['publish', dir, 'a', '1', '--key-index', '--time-index']);
    expect(await okJson(['stat', dir])).to.include({ keyIndex: true, timeIndex: true });
    // Opening it later needs no options: they come from the index header.
    await ok(['publish', dir, 'a', '2']);
    expect(await okJson(['get', dir, '--key', 'a'])).to.include({ offset: 1, value: '2' });
  });

  it('publish reads JSON lines from stdin: strings, {"base64"}, null, time and timeMicros', async () => {
    const dir = ws.fresh('stdin');
    const input = [
      JSON.stringify({ key: 'a', value: 'x', time: '2020-01-01T00:00:00.000001Z' }),
      JSON.stringify({ key: { base64: 'AP8=' }, value: null, timeMicros: 1 }),
      '',
      JSON.stringify({ value: 'no key' }),
    ].join('\n');
    expect(await okJson(['publish', dir], input)).to.deep.equal({ published: 3, firstOffset: 0, nextOffset: 3 });
    const got = jsonLines<JsonMsg>(await ok(['consume', dir, '--json']));
    expect(got.map((m) => [m.key, m.value, m.timeMicros])).to.deep.equal([
      ['a', 'x', Date.UTC(2020, 0, 1) * 1000 + 1],
      [{ base64: 'AP8=' }, null, 1],
      [null, 'no key', got[2]!.timeMicros],
    ]);
    expect(Math.abs(got[2]!.timeMicros / 1000 - Date.now())).to.be.lessThan(60_000);
  });

  it('consume --json piped into publish copies a log exactly (binary keys and values, times)', async () => {
    const src = ws.sample('unicode');
    const copy = ws.fresh('copy');
    const dump = await ok(['consume', src, '--json']);
    await ok(['publish', copy], dump);
    const [a, b] = await Promise.all([
      ok(['consume', src, '--json', '--base64']),
      ok(['consume', copy, '--json', '--base64']),
    ]);
    expect(b).to.equal(a);
    expect(jsonLines(a)).to.have.length(sample('unicode').messages.length);
  });

  it('a bad stdin line stops publish with exit 1 naming the line and what was published', async () => {
    const dir = ws.fresh('badline');
    const r = await klevdb(
      ['publish', dir],
      `{"key":"a","value":"1"}\n{"key":"b","value":"2"}\nnot json\n{"key":"c"}\n`,
    );
    expectError(r, 1, /stdin line 3: not JSON .*the 2 messages before it were published \(offsets 0\.\.1\)/);
    expect(jsonLines(await ok(['consume', dir, '--json']))).to.have.length(2);
    expectError(await klevdb(['publish', dir], '{"key":1}\n'), 1, /stdin line 1: "key" must be a string/);
    expectError(
      await klevdb(['publish', dir], '{"key":"a","time":"yesterday"}\n'),
      1,
      /"time" must be an ISO 8601 time/,
    );
    expectError(await klevdb(['publish', dir, 'k']), 1, /give a value after the key, or --tombstone/);
  });

  it('delete removes offsets across segments and reports the ones not there with exit 2', async () => {
    const dir = ws.sample('v2-multi-segment');
    const r = await okJson<{ deleted: number[]; deletedSize: number; notFound: number[] }>([
      'delete',
      dir,
      '3',
      '12-14',
      '50',
    ]);
    expect(r.deleted).to.deep.equal([3, 12, 13, 14, 50]);
    expect(r.deletedSize).to.be.greaterThan(5 * 36);
    expect(r.notFound).to.deep.equal([]);
    const left = jsonLines<JsonMsg>(await ok(['consume', dir, '--json'])).map((m) => m.offset);
    expect(left).to.have.length(55);
    expect(left).to.not.include.members([3, 12, 13, 14, 50]);
    const again = await klevdb(['delete', dir, '3', '4', '99']);
    expectError(again, 2, /offsets 3, 99 not in .*\(past the end or already deleted\); the other one was deleted/);
    expect(again.stdout).to.match(/^deleted 1 message .*: offsets 4$/m);
    expectError(await klevdb(['delete', dir, 'x']), 1, /offset must be a whole number >= 0, got 'x'/);
  });
});
