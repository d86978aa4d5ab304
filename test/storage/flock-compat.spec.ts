// The directory lock is flock(2) on <dir>/.lock, as Go klevdb takes it with
// gofrs/flock (LOCK_EX|LOCK_NB for a writer, LOCK_SH|LOCK_NB readonly): here
// util-linux's flock(1) stands for the Go process, taking and testing the
// same kind of lock from another process.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { open } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { requireFlockCommand } from '../helpers/external.js';
import { useTempDirs } from '../helpers/fs.js';
import { useOpenLogs } from '../helpers/open-logs.js';

describe('the directory lock is flock(2), as Go klevdb takes it', function () {
  this.timeout(30_000);
  let flock = '';
  before(function () {
    flock = requireFlockCommand(this);
  });
  const holders: ChildProcess[] = [];
  /** SIGKILLs the holder and its shell (its own process group). */
  const kill = (h: ChildProcess) => {
    try {
      process.kill(-h.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  afterEach(() => {
    for (const h of holders.splice(0)) kill(h);
  });
  const { openLog, closeLog } = useOpenLogs();
  const tempDir = useTempDirs('klevdb-flock-');

  /** Another process that takes flock(2) on the lock file and holds it until killed (--close: its shell child does not hold it too). */
  async function holdLock(dir: string, mode: '--exclusive' | '--shared'): Promise<ChildProcess> {
    const holder = spawn(flock, [mode, '--close', path.join(dir, '.lock'), '-c', 'echo locked; exec sleep 60'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    holders.push(holder);
    await new Promise<void>((resolve, reject) => {
      holder.once('error', reject);
      holder.once('exit', (code) => reject(new Error(`flock exited with ${code}`)));
      holder.stdout.once('data', () => resolve());
    });
    return holder;
  }
  /** Whether another process gets the lock without waiting (flock -n exits 1 when it cannot). */
  function othersCanTake(dir: string, mode: '--exclusive' | '--shared'): boolean {
    const r = spawnSync(flock, ['--nonblock', mode, path.join(dir, '.lock'), 'true']);
    expect(r.status === 0 || r.status === 1, `flock exit ${r.status}`).to.equal(true);
    return r.status === 0;
  }

  it('an exclusive lock in another process (a Go writer) locks out a writer and a plain reader; a follower opens; SIGKILL releases it', async () => {
    const dir = await tempDir();
    const w = await open(dir, {});
    await w.publish([{ value: 'x' }]);
    await w.close();
    const holder = await holdLock(dir, '--exclusive');
    await expectLogError(() => open(dir, {}), 'ERR_LOCKED');
    await expectLogError(() => open(dir, { readonly: true }), 'ERR_LOCKED');
    const follower = await openLog(dir, { readonly: true, followWriter: true });
    expect(await follower.nextOffset()).to.equal(1);
    kill(holder);
    await new Promise((r) => holder.once('exit', r));
    const again = await openLog(dir, {});
    expect(await again.publish([{ value: 'y' }])).to.equal(2);
  });

  it('a shared lock in another process (a Go readonly log) locks out a writer and shares with a readonly open', async () => {
    const dir = await tempDir();
    await (await open(dir, {})).close();
    await holdLock(dir, '--shared');
    await expectLogError(() => open(dir, {}), 'ERR_LOCKED');
    const reader = await openLog(dir, { readonly: true });
    expect(await reader.nextOffset()).to.equal(0);
  });

  it('a writer here holds LOCK_EX: another process gets neither lock until it closes', async () => {
    const dir = await tempDir();
    const w = await openLog(dir, {});
    expect(othersCanTake(dir, '--shared')).to.equal(false);
    expect(othersCanTake(dir, '--exclusive')).to.equal(false);
    await closeLog(w);
    expect(othersCanTake(dir, '--exclusive')).to.equal(true);
  });

  it('a readonly log here holds LOCK_SH: another process shares it but cannot take it exclusively', async () => {
    const dir = await tempDir();
    await (await open(dir, {})).close();
    const r = await openLog(dir, { readonly: true });
    expect(othersCanTake(dir, '--shared')).to.equal(true);
    expect(othersCanTake(dir, '--exclusive')).to.equal(false);
    await closeLog(r);
    expect(othersCanTake(dir, '--exclusive')).to.equal(true);
  });
});
