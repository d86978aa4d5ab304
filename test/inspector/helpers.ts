// The inspector's test fixtures: a real log on disk (several segments, key
// and time indexes, JSON, text, binary, tombstone and hostile values),
// projection state written by the real runner, HTTP and SSE clients.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { open, openBlocking } from '../../src/index.js';
import type { BlockingLog, Log, PublishMessage } from '../../src/index.js';
import { ProjectionRunner } from '../../src/projections/index.js';
import type { ProjectionDefinition } from '../../src/projections/index.js';
import type { Message } from '../../src/index.js';

export const HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
/** 2024-05-01T12:00:00Z in microseconds: the time of the first message. */
export const BASE_MICROS = Date.parse('2024-05-01T12:00:00Z') * 1000;
export const MINUTE = 60_000_000;

/** When message i of the fixture was published: about a minute apart, in waves (so the chart has a shape), strictly increasing. */
export function timeOf(i: number): number {
  return BASE_MICROS + Math.round(MINUTE * (i + 10 * Math.sin(i / 12))) + i;
}
export const USERS = 7;
/** Messages in the fixture log: 240 events, then the special values. */
export const EVENTS = 240;

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `klevdb-inspector-${prefix}-`));
}

/** The i-th event of the fixture: a JSON counter event for user-(i % USERS). */
export function event(i: number): PublishMessage {
  return {
    key: `user-${i % USERS}`,
    value: JSON.stringify({ type: 'add', user: `user-${i % USERS}`, n: i }),
    timeMicros: timeOf(i),
  };
}

/**
 * The fixture log: EVENTS counter events in batches of 40 (small rollover,
 * so several segments), then a hostile value, a binary key and value, plain
 * text and a tombstone. Returns the offsets of the special messages.
 */
export async function writeFixtureLog(
  dir: string,
  opts: { keyIndex?: boolean; timeIndex?: boolean } = {},
): Promise<{ hostile: number; binary: number; text: number; tombstone: number; next: number }> {
  const log = await open(dir, {
    createDirs: true,
    keyIndex: opts.keyIndex ?? true,
    timeIndex: opts.timeIndex ?? true,
    rollover: 2048,
  });
  try {
    for (let i = 0; i < EVENTS; i += 40) {
      await log.publish(Array.from({ length: 40 }, (_, j) => event(i + j)));
    }
    const at = (k: number): number => timeOf(EVENTS + k);
    await log.publish([
      { key: 'xss', value: HOSTILE, timeMicros: at(0) },
      { key: Buffer.from([0, 1, 0xfe]), value: Buffer.from([0xff, 0x00, 0x10]), timeMicros: at(1) },
      { key: 'note', value: 'plain text, not JSON', timeMicros: at(2) },
      { key: 'gone', value: null, timeMicros: at(3) },
    ]);
    return {
      hostile: EVENTS,
      binary: EVENTS + 1,
      text: EVENTS + 2,
      tombstone: EVENTS + 3,
      next: await log.nextOffset(),
    };
  } finally {
    await log.close();
  }
}

/** Opens the fixture log to write beside the inspector (which follows it readonly). */
export function openWriter(dir: string): Promise<Log> {
  return open(dir, { keyIndex: true, timeIndex: true, rollover: 2048 });
}

export interface Totals {
  sum: number;
  count: number;
}

/** Sums per user of the counter events: the projection the tests inspect. */
export function totalsProjection(source: BlockingLog, name = 'totals'): ProjectionDefinition<Totals, Message> {
  return {
    name,
    source,
    key: (m) => {
      const key = m.key?.toString('utf8') ?? '';
      return key.startsWith('user-') ? key : null;
    },
    initialState: () => ({ sum: 0, count: 0 }),
    apply: (state, m) => {
      const e = JSON.parse(m.value!.toString('utf8')) as { n: number };
      return { sum: state.sum + e.n, count: state.count + 1 };
    },
  };
}

/** Expected totals after the first `events` fixture events. */
export function expectedTotals(events: number): Map<string, Totals> {
  const totals = new Map<string, Totals>();
  for (let i = 0; i < events; i++) {
    const key = `user-${i % USERS}`;
    const t = totals.get(key) ?? { sum: 0, count: 0 };
    totals.set(key, { sum: t.sum + i, count: t.count + 1 });
  }
  return totals;
}

/**
 * Runs the totals projection over the log at `source` until it has caught
 * up, then stops it, leaving its state under `stateDir`; then `extra` more
 * events are published to the source, which the projection has not seen
 * (its lag).
 */
export async function writeProjectionState(source: string, stateDir: string, extra: number): Promise<void> {
  const log = await openBlocking(source, { keyIndex: true, timeIndex: true, rollover: 2048 });
  try {
    const runner = new ProjectionRunner({ dir: stateDir });
    try {
      runner.add(totalsProjection(log));
      await runner.start();
      await runner.whenRunning({ timeoutMs: 20_000 });
    } finally {
      await runner.close();
    }
    // Published after the projection stopped: its lag.
    await log.publish(
      Array.from({ length: extra }, (_, i) => ({ ...event(EVENTS + i), timeMicros: timeOf(EVENTS + 4 + i) })),
    );
  } finally {
    await log.close();
  }
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
  text: string;
}

/** A GET (or other method) with real HTTP; `headers` may set Host and the like, which fetch does not allow. */
export function request<T = Record<string, unknown>>(
  url: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => {
        let body: unknown = undefined;
        if (text !== '' && (res.headers['content-type'] ?? '').startsWith('application/json')) body = JSON.parse(text);
        resolve({ status: res.statusCode!, headers: res.headers, body: body as T, text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

export async function getJson<T = Record<string, unknown>>(url: string, expectStatus = 200): Promise<T> {
  const r = await request<T>(url);
  if (r.status !== expectStatus) throw new Error(`GET ${url}: ${r.status}, expected ${expectStatus}: ${r.text}`);
  return r.body;
}

export interface SseEvent {
  event: string;
  id?: string;
  data: unknown;
}

/** A Server-Sent Events client reading one stream; `next(name)` waits for the next event of that name. */
export class SseClient {
  readonly events: SseEvent[] = [];
  private readonly req: http.ClientRequest;
  private buffer = '';
  private waiters: Array<() => void> = [];
  status: number | undefined;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.req = http.get(url, { headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
      this.status = res.statusCode;
      res.setEncoding('utf8').on('data', (d: string) => this.feed(d));
      res.on('error', () => undefined);
    });
    this.req.on('error', () => undefined);
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const e: Partial<SseEvent> & { lines: string[] } = { lines: [] };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') e.event = value;
        else if (field === 'id') e.id = value;
        else if (field === 'data') e.lines.push(value);
      }
      if (e.lines.length === 0) continue;
      this.events.push({
        event: e.event ?? 'message',
        ...(e.id !== undefined && { id: e.id }),
        data: JSON.parse(e.lines.join('\n')),
      });
    }
    for (const w of this.waiters.splice(0)) w();
  }

  /** The `n`-th event named `name` (1-based), waiting up to `ms`. */
  async nth(name: string, n: number, ms = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.filter((e) => e.event === name);
      if (found.length >= n) return found[n - 1]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${n}. "${name}" event within ${ms} ms; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.req.destroy();
  }
}
