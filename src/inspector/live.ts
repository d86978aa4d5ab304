/**
 * The live tail: new messages pushed to the page as Server-Sent Events while
 * they are published (also by another process: the log follows its writer).
 *
 *   event: ready     data: {"nextOffset": n}      the tail follows from n
 *   event: message   data: <ShownMessage>         id: <offset>
 *   event: failed    data: {"error": "..."}       the tail stopped
 *
 * Each event's id is its offset, so a browser that reconnects (sending
 * Last-Event-ID) resumes after the last message it saw, without a gap.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { OffsetNewest, isLogError } from '../storage/index.js';
import type { BlockingLog } from '../storage/index.js';
import type { TailFailed } from './browser/api-types.js';
import { errorReply, HttpError } from './http.js';
import { showMessage } from './render.js';

const BATCH = 100;
const HEARTBEAT_MS = 15_000;
/** Most tails open at once (each holds a connection and a wait on the log). */
export const MAX_TAILS = 32;

export class Tails {
  private readonly open = new Set<AbortController>();
  private readonly running = new Set<Promise<void>>();

  get count(): number {
    return this.open.size;
  }

  /** Streams messages from `from` (OffsetNewest: only new ones) until the client goes or close() is called. */
  async serve(req: IncomingMessage, res: ServerResponse, log: BlockingLog, from: number): Promise<void> {
    if (this.open.size >= MAX_TAILS)
      throw new HttpError(503, `too many live tails open (${MAX_TAILS}); close some tabs`);
    const resume = lastEventId(req);
    let offset = resume !== undefined ? resume + 1 : from === OffsetNewest ? await log.nextOffset() : from;
    const controller = new AbortController();
    this.open.add(controller);
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    this.running.add(done);
    const stop = (): void => controller.abort();
    req.on('close', stop);
    res.on('close', stop);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    try {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      await send(res, 'ready', { nextOffset: offset });
      while (!controller.signal.aborted) {
        let r;
        try {
          r = await log.consumeBlocking(offset, BATCH, controller.signal);
        } catch (err) {
          if (isLogError(err, 'ERR_ABORTED')) break;
          throw err;
        }
        for (const m of r.messages) await send(res, 'message', showMessage(log, m), m.offset);
        const stuck = r.messages.length === 0 && r.nextOffset <= offset;
        offset = r.nextOffset;
        // Woken without anything new (a rewrite by another process): look again shortly.
        if (stuck) await sleep(50, undefined, { signal: controller.signal }).catch(() => undefined);
      }
    } catch (err) {
      if (!res.writableEnded && !res.destroyed) {
        const { code, message } = errorReply(err);
        const failed: TailFailed = { error: message, code };
        await send(res, 'failed', failed).catch(() => undefined);
      }
    } finally {
      clearInterval(heartbeat);
      req.off('close', stop);
      this.open.delete(controller);
      res.end();
      this.running.delete(done);
      finished();
    }
  }

  /** Ends every tail (the server is closing); resolves once they have stopped reading. */
  async close(): Promise<void> {
    for (const c of this.open) c.abort();
    await Promise.all(this.running);
  }
}

function lastEventId(req: IncomingMessage): number | undefined {
  const v = req.headers['last-event-id'];
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v)) return undefined;
  return Number(v);
}

/** One event; waits while the connection's buffer is full, so a slow page slows the reads. */
async function send(res: ServerResponse, event: string, data: unknown, id?: number): Promise<void> {
  if (res.destroyed || res.writableEnded) return;
  // JSON.stringify never emits a raw newline, so the data is one line.
  const ok = res.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  if (!ok) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
    });
  }
}
