// A log in a child process, driven over IPC by test/helpers/child.ts.
// Usage: fork(log-child.js, [dir, JSON options]). It opens the log and reports
// {type:'opened'} or {type:'error', code, message}; then it obeys commands:
//   {cmd:'publish', from, count, batch}  deterministic(from..from+count-1) in batches,
//                                        yielding to the event loop between them
//   {cmd:'delete', offsets}              deletes them; reports {type:'deleted', count}
//   {cmd:'close'}                        closes the log and exits
import { open } from './api.js';
import type { Log, Options } from '../../src/index.js';
import { deterministic } from './messages.js';

type Command =
  | { cmd: 'publish'; from: number; count: number; batch: number }
  | { cmd: 'delete'; offsets: number[] }
  | { cmd: 'close' };

const send = (msg: object): Promise<void> =>
  new Promise((resolve, reject) => process.send?.(msg, undefined, {}, (err) => (err ? reject(err) : resolve())));

async function main(): Promise<void> {
  const [dir, optsJson] = process.argv.slice(2);
  let log: Log;
  try {
    log = await open(dir, JSON.parse(optsJson) as Options);
  } catch (err) {
    const e = err as { code?: string; message?: string; constructor?: { name?: string } };
    await send({ type: 'error', code: e.code, message: e.message, name: e.constructor?.name });
    process.exit(0);
  }
  await send({ type: 'opened', pid: process.pid });

  process.on('message', (command: Command) => {
    void (async () => {
      try {
        if (command.cmd === 'publish') {
          let next = command.from;
          const end = command.from + command.count;
          while (next < end) {
            const n = Math.min(command.batch, end - next);
            const batch = Array.from({ length: n }, (_, j) => deterministic(next + j));
            const got = await log.publish(batch);
            if (got !== next + n) throw new Error(`publish returned ${got}, expected ${next + n}`);
            next = got;
            await new Promise((r) => setTimeout(r, next % 3));
          }
          await send({ type: 'published', nextOffset: next, stat: await log.stat() });
        } else if (command.cmd === 'delete') {
          const { deleted } = await log.delete(command.offsets);
          await send({ type: 'deleted', count: deleted.length });
        } else if (command.cmd === 'close') {
          await log.close();
          await send({ type: 'closed' });
          process.exit(0);
        }
      } catch (err) {
        await send({ type: 'failed', message: String(err) });
        process.exit(1);
      }
    })();
  });
}

void main();
