// The same questions klevgo answers, asked of this library: what it reads,
// and its key and time lookups in the shape `klevgo read -lookups` prints.
import { open } from '../../src/index.js';
import type { Log, Options, PublishMessage } from '../../src/index.js';
import { consumeAll, views } from '../helpers/messages.js';
import type { GoReadResult } from './go-log.js';

async function offsetOr(p: Promise<{ offset: number }>): Promise<number> {
  try {
    return (await p).offset;
  } catch {
    return -1;
  }
}

/** Reads `dir` with a readonly open: every message, nextOffset, stat and (with lookups) getByKey/getByTime answers. */
export async function nodeRead(dir: string, opts: Options, lookups = false): Promise<Omit<GoReadResult, 'raw'>> {
  const log = await open(dir, { ...opts, readonly: true });
  try {
    const all = await consumeAll(log);
    const result: Omit<GoReadResult, 'raw'> = { messages: views(all), nextOffset: await log.nextOffset(), stats: await log.stat() };
    if (lookups && opts.keyIndex) {
      result.byKey = {};
      for (const m of all) {
        const k = (m.key ?? Buffer.alloc(0)).toString('base64');
        if (!(k in result.byKey)) result.byKey[k] = await offsetOr(log.getByKey(m.key ?? Buffer.alloc(0)));
      }
    }
    if (lookups && opts.timeIndex) {
      result.byTime = [];
      for (const m of all) result.byTime.push([m.timeMicros, await offsetOr(log.getByTime(new Date(Math.floor(m.timeMicros / 1000))))]);
    }
    return result;
  } finally {
    await log.close();
  }
}

/** Opens `dir` with `opts`, publishes each batch, closes. */
export async function nodeWrite(dir: string, opts: Options, batches: PublishMessage[][]): Promise<number> {
  const log: Log = await open(dir, { createDirs: true, ...opts });
  try {
    for (const b of batches) await log.publish(b);
    return await log.nextOffset();
  } finally {
    await log.close();
  }
}
