// consume --follow: tailing a log while other processes publish to it.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { expect } from 'chai';
import { BIN, Workspace, exited, nodeScript, ok } from './helpers.js';

interface Follower {
  child: ChildProcessWithoutNullStreams;
  messages: { offset: number; key: string; value: string }[];
  stderr: () => string;
  waitFor(count: number): Promise<void>;
}

function follow(args: string[]): Follower {
  const child = spawn(process.execPath, [BIN, 'consume', ...args, '--follow', '--json']);
  const messages: Follower['messages'] = [];
  let buffered = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const l of lines) messages.push(JSON.parse(l) as Follower['messages'][number]);
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const waitFor = (count: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`follower saw ${messages.length} of ${count} messages; stderr: ${stderr}`)),
        15_000,
      );
      const check = (): void => {
        if (messages.length >= count) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return { child, messages, stderr: () => stderr, waitFor };
}

describe('klevdb CLI: consume --follow', function () {
  const ws = new Workspace();
  after(() => ws.remove());

  it('prints what klevdb publish (another process) appends, then stops cleanly on SIGINT', async () => {
    const dir = ws.fresh('follow');
    await ok(['publish', dir, 'a', '1']);
    const f = follow([dir]);
    try {
      await f.waitFor(1);
      await ok(['publish', dir, 'b', '2']);
      await f.waitFor(2);
      await ok(['publish', dir], '{"key":"c","value":"3"}\n{"key":"d","value":"4"}\n');
      await f.waitFor(4);
      expect(f.messages.map((m) => [m.offset, m.key, m.value])).to.deep.equal([
        [0, 'a', '1'],
        [1, 'b', '2'],
        [2, 'c', '3'],
        [3, 'd', '4'],
      ]);
    } finally {
      f.child.kill('SIGINT');
    }
    expect(await exited(f.child)).to.equal(0);
    expect(f.stderr()).to.equal('');
  });

  it('--from newest skips what is already there', async () => {
    const dir = ws.fresh('newest');
    await ok(['publish', dir, 'old', '0']);
    const f = follow([dir, '--from', 'newest', '--max', '1']);
    // The follower's start is not observable, so publish until it has seen one message.
    for (let i = 1; f.messages.length === 0 && i < 100; i++) {
      await ok(['publish', dir, 'new', String(i)]);
      await Promise.race([f.waitFor(1), new Promise((resolve) => setTimeout(resolve, 300))]);
    }
    expect(await exited(f.child)).to.equal(0);
    expect(f.messages).to.have.length(1);
    expect(f.messages[0]!.key).to.equal('new');
    expect(f.messages[0]!.offset).to.be.greaterThan(0);
  });

  it('follows a long-lived writer process across segment rollovers, filtered by key, up to --max', async () => {
    const dir = ws.fresh('writer');
    await ok(['publish', dir, 'old', 'before the writer']);
    const writer = await nodeScript(`
      const log = await k.open(${JSON.stringify(dir)}, { rollover: 256 });
      console.log('ready');
      let i = 0;
      process.stdin.setEncoding('utf8').on('data', async (d) => {
        if (d.startsWith('close')) { await log.close(); process.exit(0); }
        // One message per publish, so the log rolls over to a new segment every few messages.
        for (let j = 0; j < 20; j++, i++) await log.publish([{ key: i % 2 ? 'odd' : 'even', value: 'm' + i }]);
        console.log('published');
      });
    `);
    const all = follow([dir, '--from', '1']);
    const odd = follow([dir, '--from', '1', '--key', 'odd', '--max', '15']);
    try {
      writer.child.stdin!.write('go\n');
      await all.waitFor(20);
      writer.child.stdin!.write('go\n');
      await all.waitFor(40);
      expect(all.messages.map((m) => m.value)).to.deep.equal(Array.from({ length: 40 }, (_, i) => `m${i}`));
      expect(all.messages.map((m) => m.offset)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(await exited(odd.child)).to.equal(0);
      expect(odd.messages.map((m) => m.value)).to.deep.equal(Array.from({ length: 15 }, (_, i) => `m${2 * i + 1}`));
      const st = JSON.parse(await ok(['stat', dir, '--json'])) as { segments: number };
      expect(st.segments).to.be.greaterThan(2);
    } finally {
      all.child.kill('SIGTERM');
      odd.child.kill('SIGTERM');
      writer.child.stdin!.write('close\n');
      await exited(writer.child);
    }
    expect(await exited(all.child)).to.equal(0);
  });
});
