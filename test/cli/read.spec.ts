// klevdb stat / consume / get on copies of the format samples.
import { expect } from 'chai';
import { compact, open } from '../../src/index.js';
import { Workspace, expectError, jsonLines, klevdb, manifest, ok, okJson, sample } from './helpers.js';

interface JsonMsg {
  offset: number;
  time: string;
  timeMicros: number;
  key: string | null;
  value: string | null;
}

// Samples every record of which reads (the corrupted ones are in maintenance.spec).
const READABLE = manifest.samples.filter((s) => s.expected.check.ok && !s.expected.readErrors).map((s) => s.name);

describe('klevdb CLI: stat, consume, get', function () {
  const ws = new Workspace();
  after(() => ws.remove());

  it('consume --json --base64 gives every sample message, exactly (offsets, microsecond times, key and value bytes)', async () => {
    expect(READABLE.length).to.be.greaterThan(10);
    await Promise.all(
      READABLE.map(async (name) => {
        const s = sample(name);
        const got = jsonLines<JsonMsg>(await ok(['consume', ws.sample(name), '--json', '--base64']));
        expect(got, name).to.deep.equal(
          s.messages.map((m) => ({
            offset: m.offset,
            time: m.time,
            timeMicros: m.unixMicro,
            key: m.key,
            value: m.value,
          })),
        );
      }),
    );
  });

  it('stat --json reports the counts and detects the index options each sample was created with', async () => {
    await Promise.all(
      READABLE.filter((n) => n !== 'v2-missing-index').map(async (name) => {
        const s = sample(name);
        const st = await okJson<{
          messages: number;
          nextOffset: number;
          keyIndex: boolean;
          timeIndex: boolean;
          indexFrom: string;
        }>(['stat', ws.sample(name)]);
        expect(st.messages, name).to.equal(s.messages.length);
        expect(st.nextOffset, name).to.equal(s.nextOffset);
        expect({ keyIndex: st.keyIndex, timeIndex: st.timeIndex }, name).to.deep.equal({
          keyIndex: s.options.keyIndex,
          timeIndex: s.options.timeIndex,
        });
        expect(st.indexFrom, name).to.equal(name === 'v1-keys-times' ? 'inferred' : 'header');
      }),
    );
  });

  it('stat prints a human summary and a segment table', async () => {
    const out = await ok(['stat', ws.sample('v2-multi-segment')]);
    expect(out).to.match(/^messages\s+60 \(offsets 0\.\.59\)$/m);
    expect(out).to.match(/^indexes\s+key, time \(from the index header\)$/m);
    expect(out).to.match(/^SEGMENT\s+LOG\s+LOG SIZE\s+INDEX\s+INDEX SIZE$/m);
    expect(out.match(/^000000000000000000\d\d\s+V2/gm)).to.have.length(5);
  });

  it('consume prints a table: UTF-8 text when printable, hex otherwise, tombstones and missing keys marked', async () => {
    const uni = await ok(['consume', ws.sample('unicode')]);
    const lines = uni.trimEnd().split('\n');
    expect(lines[0]).to.match(/^OFFSET\s+TIME\s+KEY\s+VALUE$/);
    expect(lines).to.have.length(9);
    expect(lines[1]).to.match(/^\s+0 {2}2023-01-01T00:00:00\.000000Z {2}ключ\s+значение 💾$/);
    // A value with a newline inside is not printable: hex of "line1\nline2".
    expect(uni).to.include(`hex:${Buffer.from('line1\nline2').toString('hex')}`);
    const tomb = await ok(['consume', ws.sample('tombstones-and-empty')]);
    expect(tomb).to.match(/^\s+4 .*\ba\s+\(tombstone\)$/m);
    expect(tomb).to.match(/^\s+2 .*\(no key\)\s+no key$/m);
  });

  it('consume --from / --max / --key, with and without a key index', async () => {
    const multi = ws.sample('v2-multi-segment');
    const from = jsonLines<JsonMsg>(await ok(['consume', multi, '--from', '25', '--max', '20', '--json']));
    expect(from.map((m) => m.offset)).to.deep.equal(Array.from({ length: 20 }, (_, i) => 25 + i));
    expect(await ok(['consume', multi, '--from', 'newest'])).to.equal('');
    const s = sample('v2-multi-segment');
    const key = Buffer.from(s.messages[7]!.key!, 'base64').toString();
    const want = s.messages.filter((m) => m.key === s.messages[7]!.key).map((m) => m.offset);
    const byKey = jsonLines<JsonMsg>(await ok(['consume', multi, '--key', key, '--json']));
    expect(byKey.map((m) => m.offset)).to.deep.equal(want);
    expect(want.length).to.be.greaterThan(1);
    // v2-plain has no key index: the CLI filters a plain consume.
    const plain = jsonLines<JsonMsg>(
      await ok(['consume', ws.sample('v2-plain'), '--key', 'key-1', '--max', '2', '--json']),
    );
    expect(plain.map((m) => [m.offset, m.key])).to.deep.equal([
      [1, 'key-1'],
      [5, 'key-1'],
    ]);
  });

  it('consume --json shows non-UTF-8 bytes as {"base64": ...}', async () => {
    const dir = ws.fresh('binary');
    await ok(['publish', dir, 'AP8=', 'gA==', '--base64']);
    const [m] = jsonLines<{ key: unknown; value: unknown }>(await ok(['consume', dir, '--json']));
    expect(m.key).to.deep.equal({ base64: 'AP8=' });
    expect(m.value).to.deep.equal({ base64: 'gA==' });
    expect(await ok(['consume', dir])).to.match(/hex:00ff\s+hex:80$/m);
  });

  it('get --offset / --key / --time, with index lookups and without (plain log)', async () => {
    const kt = ws.sample('v2-keys-times');
    const s = sample('v2-keys-times');
    const byOffset = await okJson<JsonMsg & { size: number }>(['get', kt, '--offset', '3']);
    expect(byOffset).to.include({ offset: 3, timeMicros: s.messages[3]!.unixMicro, key: 'alpha' });
    expect(byOffset.size).to.be.greaterThan(36);
    // getByKey: the latest message of the key.
    expect((await okJson<JsonMsg>(['get', kt, '--key', 'alpha'])).offset).to.equal(10);
    // The first message at or after the time (sub-millisecond exact).
    expect((await okJson<JsonMsg>(['get', kt, '--time', '2023-01-01T00:00:02.000124Z'])).offset).to.equal(3);
    expect((await okJson<JsonMsg>(['get', kt, '--time', '2023-01-01T00:00:02.0002Z'])).offset).to.equal(4);
    const plain = ws.sample('v2-plain');
    expect((await okJson<JsonMsg>(['get', plain, '--key', 'key-2'])).offset).to.equal(6);
    expect((await okJson<JsonMsg>(['get', plain, '--time', '2023-01-01T00:00:04.5Z'])).offset).to.equal(5);
    const human = await ok(['get', kt, '--offset', '0']);
    expect(human).to.match(/^offset\s+0$/m);
    expect(human).to.match(/^value\s+\{"n":0,"k":"alpha"\}$/m);
  });

  it('get --time, get --offset and stat after compaction emptied the head (issue 14: "no message at or after 2000-01-01")', async () => {
    const dir = ws.fresh('compacted');
    const log = await open(dir, { createDirs: true, keyIndex: true, timeIndex: true });
    const t0 = Date.parse('2024-05-01T12:00:00Z') * 1000;
    await log.publish([
      { key: 'a', value: 'A', timeMicros: t0 },
      { key: 'b', value: 'B', timeMicros: t0 + 1 },
    ]);
    await log.publish([{ key: 'b', value: null, timeMicros: t0 + 2 }]);
    await compact(log, 0);
    // Beside the live writer (the CLI follows it) and after it closed.
    for (const close of [false, true]) {
      if (close) await log.close();
      expect(await okJson<JsonMsg>(['get', dir, '--time', '2000-01-01'])).to.include({
        offset: 0,
        key: 'a',
        value: 'A',
      });
      expect((await okJson<JsonMsg>(['get', dir, '--time', '2024-05-01T12:00:00Z'])).offset).to.equal(0);
      expectError(
        await klevdb(['get', dir, '--time', '2024-05-01T12:00:00.000001Z']),
        2,
        /no message at or after 2024-05-01T12:00:00\.000001Z/,
      );
      expectError(await klevdb(['get', dir, '--offset', '2']), 2, /offset 2 was deleted/);
      expect(await okJson(['stat', dir])).to.include({ messages: 1, segments: 2, firstOffset: 0, nextOffset: 3 });
      expect(jsonLines<JsonMsg>(await ok(['consume', dir, '--json'])).map((m) => m.offset)).to.deep.equal([0]);
    }
  });

  it('reads a V1 log, inferring its index options from the index items', async () => {
    const v1 = ws.sample('v1-keys-times');
    expect((await okJson<JsonMsg>(['get', v1, '--key', 'gamma'])).offset).to.equal(8);
    expect(await ok(['stat', v1])).to.match(/^indexes\s+key, time \(inferred from V1 index items\)$/m);
  });

  it('get answers a missing key, time, or offset with exit code 2', async () => {
    const kt = ws.sample('v2-keys-times');
    const [key, time, past, bad] = await Promise.all([
      klevdb(['get', kt, '--key', 'nope']),
      klevdb(['get', kt, '--time', '2030-01-01T00:00:00Z']),
      klevdb(['get', kt, '--offset', '12']),
      klevdb(['get', kt, '--offset', '-1']),
    ]);
    expectError(key, 2, /no message with key "nope" in .*; run `klevdb consume /);
    expectError(time, 2, /no message at or after 2030-01-01T00:00:00\.000000Z/);
    expectError(past, 2, /offset 12 is not in .* \(next offset 12\)/);
    expectError(bad, 1, /--offset must be a whole number >= 0, got '-1'/);
  });

  it('consume --from past the end is exit 2 naming the next offset; --from the next offset prints nothing', async () => {
    const kt = ws.sample('v2-keys-times');
    const [past, atEnd] = await Promise.all([
      klevdb(['consume', kt, '--from', '100']),
      klevdb(['consume', kt, '--from', '12', '--json']),
    ]);
    expectError(past, 2, /offset 100 is past the end of .* \(next offset 12\); run `klevdb stat .*--follow to wait/);
    expect(atEnd.code).to.equal(0);
    expect(atEnd.stdout).to.equal('');
  });
});
