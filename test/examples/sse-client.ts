// A minimal Server-Sent-Events client over node:http, for the http example's tests.
import http from 'node:http';

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

export interface SseClient {
  /** Resolves once the server has sent its first bytes (the feed is subscribed). */
  connected: Promise<void>;
  events: SseEvent[];
  /** Resolves with the first `n` events, waiting for them at most `ms`. */
  take(n: number, ms?: number): Promise<SseEvent[]>;
  close(): void;
}

export function sse(url: string, headers: Record<string, string> = {}): SseClient {
  const events: SseEvent[] = [];
  const waiters: Array<() => void> = [];
  let buffer = '';
  let onConnected!: () => void;
  let onError!: (err: Error) => void;
  const connected = new Promise<void>((resolve, reject) => {
    onConnected = resolve;
    onError = reject;
  });
  const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    if (res.statusCode !== 200) onError(new Error(`status ${res.statusCode}`));
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      onConnected();
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { data: '' };
        let hasData = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') {
            event.data += (hasData ? '\n' : '') + value;
            hasData = true;
          } else if (field === 'id' || field === 'event') event[field] = value;
        }
        if (hasData) events.push(event);
      }
      for (const wake of waiters.splice(0)) wake();
    });
  });
  req.on('error', (err) => onError(err));
  return {
    connected,
    events,
    async take(n, ms = 5000) {
      const deadline = Date.now() + ms;
      while (events.length < n) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`only ${events.length} of ${n} events within ${ms} ms: ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => (clearTimeout(timer), resolve()));
        });
      }
      return events.slice(0, n);
    },
    close: () => req.destroy(),
  };
}
