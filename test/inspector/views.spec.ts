// The pieces behind the API: how bytes are shown, and the timeline of a large log (sampled).
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { open } from '../../src/index.js';
import { timeline } from '../../src/inspector/log-views.js';
import { showBytes } from '../../src/inspector/render.js';
import { tempDir, timeOf, writeFixtureLog } from './helpers.js';

describe('inspector views', () => {
  describe('showing bytes', () => {
    it('JSON objects, arrays and strings as JSON; numbers and words as text', () => {
      expect(showBytes(Buffer.from('{"a":[1,2]}'))).to.deep.equal({
        kind: 'json',
        text: '{\n  "a": [\n    1,\n    2\n  ]\n}',
        bytes: 11,
      });
      expect(showBytes(Buffer.from('{"a":[1,2]}'), Infinity, false).text).to.equal('{"a":[1,2]}');
      expect(showBytes(Buffer.from('"quoted"')).kind).to.equal('json');
      expect(showBytes(Buffer.from('42'))).to.deep.equal({ kind: 'text', text: '42', bytes: 2 });
      expect(showBytes(Buffer.from('{not json')).kind).to.equal('text');
      expect(showBytes(null)).to.deep.equal({ kind: 'none', text: '', bytes: 0 });
      expect(showBytes(Buffer.alloc(0)).kind).to.equal('none');
    });

    it('text with invisible or direction-changing characters as hex; inside JSON, escaped', () => {
      expect(showBytes(Buffer.from('line one\nline two\ttab'))).to.include({ kind: 'text' });
      expect(showBytes(Buffer.from('evil\u202Etxt.exe'))).to.include({
        kind: 'hex',
        text: Buffer.from('evil\u202Etxt.exe').toString('hex'),
      });
      expect(showBytes(Buffer.from('bell\u0007'))).to.include({ kind: 'hex' });
      const json = showBytes(Buffer.from(JSON.stringify({ name: 'evil\u202Etxt.exe', zw: 'a\u200Bb' })));
      expect(json.kind).to.equal('json');
      expect(json.text).to.include('evil\\u202etxt.exe');
      expect(json.text).to.include('a\\u200bb');
      expect(JSON.parse(json.text)).to.deep.equal({ name: 'evil\u202Etxt.exe', zw: 'a\u200Bb' });
    });

    it('binary as hex; previews cut short and say so, never inside a surrogate pair', () => {
      expect(showBytes(Buffer.from([0xff, 0x00]))).to.deep.equal({ kind: 'hex', text: 'ff00', bytes: 2 });
      expect(showBytes(Buffer.alloc(100, 0xff), 10)).to.deep.equal({
        kind: 'hex',
        text: 'ff'.repeat(5),
        bytes: 100,
        truncated: true,
      });
      const long = showBytes(Buffer.from('x'.repeat(50)), 10);
      expect(long).to.deep.equal({ kind: 'text', text: 'x'.repeat(10), bytes: 50, truncated: true });
      const emoji = showBytes(Buffer.from('abcdefghi😀😀'), 10);
      expect(emoji.text).to.equal('abcdefghi');
    });
  });

  describe('timeline', () => {
    const root = tempDir('views');
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it('counts every message of a small log, and samples a large one, scaled to its count', async () => {
      const dir = path.join(root, 'events');
      const special = await writeFixtureLog(dir);
      const log = await open(dir, { readonly: true, keyIndex: true, timeIndex: true });
      try {
        const exact = await timeline(log, 0, special.next, special.next, 10_000);
        expect(exact.sampled).to.equal(false);
        expect(exact.counts.reduce((a, b) => a + b, 0)).to.equal(special.next);
        expect(exact.fromMicros).to.equal(timeOf(0));
        // Told it holds 100 times as many messages, it reads a sample and scales it.
        const sampled = await timeline(log, 0, special.next, special.next * 100, 10_000);
        expect(sampled.sampled).to.equal(true);
        expect(sampled.counts.reduce((a, b) => a + b, 0)).to.be.closeTo(special.next * 100, 60);
        const empty = await timeline(log, null, 0, 0, 0);
        expect(empty).to.include({ sampled: false, firstTime: null });
        expect(empty.counts).to.deep.equal([]);
      } finally {
        await log.close();
      }
    });
  });
});
