// A writer in a child process that never stops on its own: it publishes
// deterministic() messages in small batches, rolling over often, and with
// `rewrite` set it also deletes from its head now and then (the newest
// message, or the head's first ones), so the head's files are replaced
// under a reader. Usage: fork(churn-child.js, [dir, JSON options, rewrite, paced]).
// Reports {type:'opened'}, then {type:'published', nextOffset} every 50
// batches; SIGKILL or SIGTERM ends it. With `paced` it publishes only up to
// the offset the last {cmd:'allow', upTo} message allowed (nothing before the
// first), reports where it stopped and waits for the next: the log then grows
// with what the test asked for, not with the time its steps take.
import { open } from './api.js';
import type { Options } from '../../src/index.js';
import { deterministic } from './messages.js';

const send = (msg: object): Promise<void> =>
  new Promise((resolve, reject) => process.send?.(msg, undefined, {}, (err) => (err ? reject(err) : resolve())));

/** Resolves once publishing past `next` is allowed: at once unless paced. */
function pacer(paced: boolean): (next: number) => Promise<void> {
  if (!paced) return async () => undefined;
  let upTo = 0;
  let wake: (() => void) | undefined;
  process.on('message', (m: { cmd?: string; upTo?: number }) => {
    if (m.cmd !== 'allow' || typeof m.upTo !== 'number') return;
    upTo = Math.max(upTo, m.upTo);
    wake?.();
  });
  return async (next) => {
    if (next >= upTo) await send({ type: 'published', nextOffset: next });
    while (next >= upTo) await new Promise<void>((resolve) => (wake = resolve));
  };
}

async function main(): Promise<void> {
  const [dir, optsJson, rewrite, paced] = process.argv.slice(2);
  const allowed = pacer(paced === 'paced');
  const log = await open(dir, JSON.parse(optsJson) as Options);
  await send({ type: 'opened', pid: process.pid });
  process.on('SIGTERM', () => void log.close().then(() => process.exit(0)));
  for (let next = 0, round = 0; ; round++) {
    await allowed(next);
    const batch = Array.from({ length: 1 + (round % 4) }, (_, j) => deterministic(next + j));
    next = await log.publish(batch);
    if (rewrite === 'rewrite' && round % 7 === 6) {
      // Alternately the newest message (a new empty head) and a message in the head (rewritten in place).
      await log.delete([round % 14 === 6 ? next - 1 : next - 2]);
    }
    if (round % 50 === 0) await send({ type: 'published', nextOffset: next });
    await new Promise((r) => setTimeout(r, 1));
  }
}

main().catch(async (err) => {
  await send({ type: 'failed', message: String(err) });
  process.exit(1);
});
