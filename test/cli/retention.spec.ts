// klevdb trim and compact.
import { expect } from 'chai';
import { Workspace, expectError, jsonLines, klevdb, ok, okJson } from './helpers.js';

interface TrimJson {
  dryRun: boolean;
  deleted: number;
  deletedSize: number | null;
  firstOffset: number | null;
  lastOffset: number | null;
  messages: number;
  size: number;
}

const offsets = async (dir: string): Promise<number[]> =>
  jsonLines<{ offset: number }>(await ok(['consume', dir, '--json'])).map((m) => m.offset);

describe('klevdb CLI: trim, compact', function () {
  const ws = new Workspace();
  after(() => ws.remove());

  it('trim --count keeps the newest messages over several segments; --dry-run deletes nothing', async () => {
    const dir = ws.sample('v2-multi-segment');
    const dry = await okJson<TrimJson>(['trim', dir, '--count', '20', '--dry-run']);
    expect(dry).to.include({
      dryRun: true,
      deleted: 40,
      firstOffset: 0,
      lastOffset: 39,
      messages: 60,
      deletedSize: null,
    });
    expect(await offsets(dir)).to.have.length(60);
    const out = await ok(['trim', dir, '--count', '20']);
    expect(out).to.match(
      /^trimmed 40 messages \(.*\) beyond the newest 20 from .*: offsets 0\.\.39; 20 messages remain\n$/,
    );
    expect(await offsets(dir)).to.deep.equal(Array.from({ length: 20 }, (_, i) => 40 + i));
  });

  it('trim --offset, --age and --size', async () => {
    const plain = ws.sample('v2-plain');
    expect(await okJson<TrimJson>(['trim', plain, '--offset', '4'])).to.include({
      deleted: 4,
      firstOffset: 0,
      lastOffset: 3,
      messages: 6,
    });
    expect(await offsets(plain)).to.deep.equal([4, 5, 6, 7, 8, 9]);

    // Sample times are in 2023: an ISO cut-off trims up to it, a short age trims everything.
    const kt = ws.sample('v2-keys-times');
    const byTime = await okJson<TrimJson>(['trim', kt, '--age', '2023-01-01T00:00:01Z']);
    expect(byTime).to.include({ deleted: 2, firstOffset: 0, lastOffset: 1 });
    expect(await okJson<TrimJson>(['trim', kt, '--age', '1d'])).to.include({ deleted: 10, messages: 0 });

    const multi = ws.sample('v2-multi-segment');
    const before = await okJson<{ size: number }>(['stat', multi]);
    const bySize = await okJson<TrimJson>(['trim', multi, '--size', '3k']);
    expect(bySize.size).to.be.lessThan(3072);
    expect(bySize.deleted).to.be.greaterThan(0);
    expect(before.size - bySize.size).to.be.greaterThan(0);
    expect(bySize.firstOffset).to.equal(0);
  });

  it('trim needs exactly one rule and valid values', async () => {
    const dir = ws.sample('v2-plain');
    const [none, two, badAge, badSize] = await Promise.all([
      klevdb(['trim', dir]),
      klevdb(['trim', dir, '--count', '1', '--offset', '2']),
      klevdb(['trim', dir, '--age', 'soon']),
      klevdb(['trim', dir, '--size', '10 parsecs']),
    ]);
    expectError(none, 1, /trim needs exactly one of --age/);
    expectError(two, 1, /trim needs exactly one of --age/);
    expectError(badAge, 1, /--age must be a duration like 30s, 2h or 7d, or an ISO 8601 time, got 'soon'/);
    expectError(badSize, 1, /--size must be a size like 4096/);
    expect(await offsets(dir)).to.have.length(10);
  });

  it('compact keeps the latest value of each key and drops old tombstones', async () => {
    const dir = ws.sample('tombstones-and-empty');
    const r = await okJson<{
      removed: number;
      messagesBefore: number;
      messages: number;
      sizeBefore: number;
      size: number;
    }>(['compact', dir]);
    expect(r.messagesBefore).to.equal(12);
    expect(r.removed).to.equal(r.messagesBefore - r.messages);
    expect(r.size).to.be.lessThan(r.sizeBefore);
    const left = jsonLines<{ key: string | null; value: string | null }>(await ok(['consume', dir, '--json']));
    const keys = left.map((m) => m.key);
    expect(new Set(keys).size, 'one message per key').to.equal(keys.length);
    expect(
      left.every((m) => m.value !== null),
      'no tombstones',
    ).to.equal(true);
    // --age: only messages older than that are compacted; nothing is 100000 weeks old.
    const kt = ws.sample('v2-keys-times');
    expect(await okJson(['compact', kt, '--age', '100000w'])).to.include({ removed: 0, messages: 12 });
    expect(await okJson(['compact', kt, '--age', '1h'])).to.include({ removed: 5, messages: 7 });
  });
});
