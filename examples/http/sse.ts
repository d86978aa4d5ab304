// A live Server-Sent-Events feed of the event log. Each event goes out with
// its log position as the SSE id, so a client that reconnects (browsers do
// it on their own, sending Last-Event-ID) resumes with no gap and no
// duplicate. `?from=<position>` starts anywhere; by default the feed starts
// at the end of the log (only new events).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventStore } from '../../src/eventstore/index.js';
import type { BankEvent } from '../bank/events.js';
import { HttpError, queryInteger } from './http-io.js';

const HEARTBEAT_MS = 15_000;

export async function streamEvents(
  store: EventStore<BankEvent>,
  head: () => Promise<number>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const lastEventId = req.headers['last-event-id'];
  let from = queryInteger(url, 'from');
  if (typeof lastEventId === 'string' && lastEventId !== '') {
    const last = Number(lastEventId);
    if (!Number.isSafeInteger(last) || last < 0)
      throw new HttpError(400, `Last-Event-ID must be an event position, got ${lastEventId}`);
    from = last + 1;
  }
  from ??= await head();

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  // Tells the client it is connected, and from where.
  res.write(`: feed from position ${from}\n\n`);
  const subscription = store.subscribeToAll({ fromPosition: from }).subscribe({
    next: (event) => {
      const data = JSON.stringify({
        type: event.type,
        data: event.data,
        streamId: event.meta.streamId,
        version: event.meta.streamVersion,
        position: event.meta.position,
        recordedAt: event.meta.recordedAt,
      });
      res.write(`id: ${event.meta.position}\nevent: ${event.type}\ndata: ${data}\n\n`);
    },
    error: (err: unknown) => {
      res.write(
        `event: error\ndata: ${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n\n`,
      );
      res.end();
    },
  });
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
  res.on('close', () => {
    clearInterval(heartbeat);
    subscription.unsubscribe();
  });
}
