// A process killed between decide and append, or in the middle of a run of
// appends, leaves no command half-written; after a restart every command can
// be retried with its id and ends up applied exactly once.
import { expect } from 'chai';
import { reportFigure } from '../helpers/figures.js';
import { fork } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandHandler } from '../../src/aggregates/index.js';
import { openEventStore } from '../../src/eventstore/index.js';
import { account, accountEvents } from './fixtures/account.js';

/** Kills of the command loop (npm run torture sets more). */
const ROUNDS = Number(process.env.KLEVDB_COMMAND_CRASH_ROUNDS ?? 4);

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'crash-child.js');

const open = (dir: string) =>
  openEventStore(path.join(dir, 'events'), { events: accountEvents, log: { recover: true } });

async function waitForFile(file: string, alive: () => boolean, ms = 60_000): Promise<string> {
  for (const deadline = Date.now() + ms; Date.now() < deadline && alive(); await new Promise((r) => setTimeout(r, 5))) {
    const content = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (content) return content;
  }
  throw new Error(`${path.basename(file)} did not appear within ${ms} ms${alive() ? '' : ': the child exited first'}`);
}

/** Runs the child until `when` resolves, then SIGKILLs it; a child that dies on its own fails with its stderr. */
async function killChild(
  dir: string,
  mode: 'pause' | 'loop' | 'group',
  when: (alive: () => boolean) => Promise<unknown>,
): Promise<void> {
  const child = fork(CHILD, [dir, mode], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let running = true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve(void (running = false))));
  try {
    await when(() => running);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${stderr}`, { cause: err });
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

/** ROUNDS runs of the child, each SIGKILLed at a random moment once it made progress; the highest progress any reported. */
async function killAtRandom(dir: string, mode: 'loop' | 'group'): Promise<number> {
  let highest = -1;
  for (let round = 0; round < ROUNDS; round++) {
    await fs.rm(path.join(dir, 'progress'), { force: true });
    await killChild(dir, mode, async (alive) => {
      await waitForFile(path.join(dir, 'progress'), alive);
      await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 150)));
    });
    highest = Math.max(highest, Number(await fs.readFile(path.join(dir, 'progress'), 'utf8')));
  }
  return highest;
}

describe('crash between decide and append', function () {
  this.timeout(300_000);
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klevdb-es-crash-'));
    const store = await open(dir);
    await commandHandler(account, store)('acc', { type: 'Open', owner: 'ann' });
    await store.close();
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('writes nothing when the process dies after deciding, and the command can be retried', async () => {
    await killChild(dir, 'pause', (alive) => waitForFile(path.join(dir, 'decided'), alive));
    const store = await open(dir);
    try {
      expect(await store.streamVersion('acc')).to.equal(1);
      const handle = commandHandler(account, store);
      const retried = await handle('acc', { type: 'Deposit', amount: 5 }, { commandId: 'crash-me' });
      expect(retried).to.include({ alreadyApplied: false, nextExpectedVersion: 2 });
      const again = await handle('acc', { type: 'Deposit', amount: 5 }, { commandId: 'crash-me' });
      expect(again.alreadyApplied).to.equal(true);
      expect((await store.readStream('acc')).events.map((e) => e.type)).to.deep.equal(['AccountOpened', 'Deposited']);
    } finally {
      await store.close();
    }
  });

  it('leaves every command whole when killed at random moments, and retries apply each once', async () => {
    const highest = await killAtRandom(dir, 'loop');
    const store = await open(dir);
    try {
      const check = async () => {
        const { events, version } = await store.readStream('acc');
        expect(events.map((e) => e.meta.streamVersion)).to.deep.equal(Array.from({ length: version }, (_, i) => i + 1));
        const perCommand = new Map<string, number>();
        for (const e of events.slice(1))
          perCommand.set(e.meta.commandId!, (perCommand.get(e.meta.commandId!) ?? 0) + 1);
        for (const [id, count] of perCommand) expect(count, id).to.equal(3);
        return perCommand;
      };
      expect((await check()).size).to.be.greaterThan(highest);
      // Every child restarted from c0, so its ids were already applied: retries are no-ops.
      const handle = commandHandler(account, store);
      const retry = await handle('acc', { type: 'Deposit', amount: 0 }, { commandId: 'c0' });
      expect(retry.alreadyApplied).to.equal(true);
      expect(retry.events).to.have.length(3);
      await check();
      reportFigure(
        'crash',
        'SIGKILLs of a process running commands, every command left whole and applied once',
        ROUNDS,
      );
    } finally {
      await store.close();
    }
  });

  it('leaves every command whole when killed while appends to 8 streams share publishes', async () => {
    const highest = await killAtRandom(dir, 'group');
    const store = await open(dir);
    try {
      for (let k = 0; k < 8; k++) {
        const { events, version } = await store.readStream(`acc-${k}`);
        expect(events.map((e) => e.meta.streamVersion)).to.deep.equal(Array.from({ length: version }, (_, i) => i + 1));
        const perCommand = new Map<string, number>();
        for (const e of events) perCommand.set(e.meta.commandId!, (perCommand.get(e.meta.commandId!) ?? 0) + 1);
        for (const [id, count] of perCommand) expect(count, `acc-${k} ${id}`).to.equal(3);
        // Every command any round acknowledged on every stream is there.
        expect(perCommand.size, `acc-${k}`).to.be.greaterThan(highest);
      }
      const retry = await commandHandler(account, store)('acc-3', { type: 'Deposit', amount: 0 }, { commandId: 'c0' });
      expect(retry.alreadyApplied).to.equal(true);
      expect(retry.events).to.have.length(3);
    } finally {
      await store.close();
    }
  });
});
