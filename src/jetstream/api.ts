/**
 * The JetStream API as plain requests over a NATS connection. The JSON API is
 * used directly (not the client's managers) so that every feature the
 * backend needs works on nats-server 2.9 (e.g. next_by_subj on the leader's
 * message get) and every error comes back with its err_code.
 */
import type { Msg, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { ApiError, ErrCode, isConnectionClosed, isRetryable } from './errors.js';

export interface StreamState {
  messages: number;
  bytes: number;
  first_seq: number;
  last_seq: number;
  num_deleted?: number;
  num_subjects?: number;
  subjects?: Record<string, number>;
}

export interface StreamConfigJson {
  name: string;
  subjects: string[];
  retention?: 'limits' | 'interest' | 'workqueue';
  storage?: 'file' | 'memory';
  num_replicas?: number;
  discard?: 'old' | 'new';
  max_msgs?: number;
  max_bytes?: number;
  max_age?: number;
  max_msgs_per_subject?: number;
  max_msg_size?: number;
  duplicate_window?: number;
  allow_direct?: boolean;
  deny_delete?: boolean;
  deny_purge?: boolean;
  allow_rollup_hdrs?: boolean;
  sealed?: boolean;
  [more: string]: unknown;
}

export interface StreamInfoJson {
  config: StreamConfigJson;
  state: StreamState;
  cluster?: { name?: string; leader?: string; replicas?: Array<{ name: string; current: boolean }> };
  total?: number;
  offset?: number;
  limit?: number;
}

export interface ConsumerConfigJson {
  name?: string;
  ack_policy: 'none' | 'explicit' | 'all';
  deliver_policy: 'all' | 'last' | 'new' | 'by_start_sequence' | 'by_start_time' | 'last_per_subject';
  opt_start_seq?: number;
  opt_start_time?: string;
  filter_subject?: string;
  inactive_threshold?: number;
  mem_storage?: boolean;
  num_replicas?: number;
  max_waiting?: number;
  replay_policy?: 'instant';
}

export interface ConsumerInfoJson {
  name: string;
  num_pending: number;
  delivered: { consumer_seq: number; stream_seq: number };
}

/** A stored message as any read path returns it. */
export interface RawStored {
  subject: string;
  seq: number;
  data: Uint8Array;
  /** Our headers (Klevdb-Time, Klevdb-Index-Time), when the message has them. */
  time: string | undefined;
  indexTime: string | undefined;
  /** Bytes of the header block as stored (0 without headers). */
  headerBytes: number;
  /** The server's receive time of the message, in microseconds. */
  serverMicros: number;
}

export interface MsgQuery {
  seq?: number;
  last_by_subj?: string;
  next_by_subj?: string;
}

export const TIME_HEADER = 'Klevdb-Time';
export const INDEX_TIME_HEADER = 'Klevdb-Index-Time';
const NANOS_PER_MS = 1_000_000;
export const nanosOf = (ms: number): number => Math.round(ms * NANOS_PER_MS);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Api {
  constructor(
    readonly nc: NatsConnection,
    readonly timeoutMs: number,
    /** How long a request that timed out or found no leader is sent again (a cluster electing one). */
    readonly retryForMs = 0,
    readonly prefix = '$JS.API',
  ) {}

  /** Runs `fn` again while it fails in a way a leader election explains, up to retryForMs. */
  async retrying<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.retryForMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isRetryable(err) || isConnectionClosed(err) || this.nc.isClosed() || Date.now() >= deadline) throw err;
        await sleep(Math.min(1000, 25 * 2 ** attempt));
      }
    }
  }

  request<T>(subject: string, body: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    return this.retrying(() => this.#requestOnce<T>(subject, body, timeoutMs));
  }

  async #requestOnce<T>(subject: string, body: unknown, timeoutMs: number): Promise<T> {
    const m = await this.nc.request(`${this.prefix}.${subject}`, body === undefined ? '' : JSON.stringify(body), {
      timeout: timeoutMs,
    });
    const status = m.headers?.code ?? 0;
    if (status >= 400 || (status > 0 && m.data.length === 0))
      throw new ApiError(status, 0, m.headers?.description || `status ${status}`);
    const reply = JSON.parse(new TextDecoder().decode(m.data)) as T & {
      error?: { code: number; err_code?: number; description?: string };
    };
    if (reply.error)
      throw new ApiError(reply.error.code, reply.error.err_code ?? 0, reply.error.description ?? 'unknown error');
    return reply;
  }

  /** Stream info; with subjectsFilter, the per-subject counts too (all pages). */
  async streamInfo(stream: string, subjectsFilter?: string): Promise<StreamInfoJson> {
    if (subjectsFilter === undefined) return this.request<StreamInfoJson>(`STREAM.INFO.${stream}`, undefined);
    const first = await this.request<StreamInfoJson>(`STREAM.INFO.${stream}`, { subjects_filter: subjectsFilter });
    const subjects = { ...(first.state.subjects ?? {}) };
    let seen = Object.keys(subjects).length;
    while (first.total !== undefined && seen < first.total) {
      const page = await this.request<StreamInfoJson>(`STREAM.INFO.${stream}`, {
        subjects_filter: subjectsFilter,
        offset: seen,
      });
      const got = Object.keys(page.state.subjects ?? {});
      if (got.length === 0) break;
      Object.assign(subjects, page.state.subjects);
      seen += got.length;
    }
    first.state.subjects = subjects;
    return first;
  }

  streamCreate(config: StreamConfigJson): Promise<StreamInfoJson> {
    return this.request(`STREAM.CREATE.${config.name}`, config);
  }

  streamUpdate(config: StreamConfigJson): Promise<StreamInfoJson> {
    return this.request(`STREAM.UPDATE.${config.name}`, config);
  }

  async streamDelete(stream: string): Promise<void> {
    await this.request(`STREAM.DELETE.${stream}`, undefined);
  }

  /** Names of the streams holding subjects that overlap `subject` (all pages). */
  async streamNames(subject: string): Promise<string[]> {
    const names: string[] = [];
    for (;;) {
      const page = await this.request<{ total: number; streams: string[] | null }>('STREAM.NAMES', {
        subject,
        offset: names.length,
      });
      names.push(...(page.streams ?? []));
      if (!page.streams?.length || names.length >= page.total) return names;
    }
  }

  /** Purges; returns how many messages went. */
  async purge(stream: string, opts: { filter?: string; seq?: number; keep?: number } = {}): Promise<number> {
    const r = await this.request<{ purged: number }>(`STREAM.PURGE.${stream}`, opts);
    return r.purged;
  }

  /** Deletes one message; false when there was none at seq. */
  async deleteMsg(stream: string, seq: number): Promise<boolean> {
    try {
      await this.request(`STREAM.MSG.DELETE.${stream}`, { seq, no_erase: true });
      return true;
    } catch (err) {
      if (
        err instanceof ApiError &&
        (err.errCode === ErrCode.SequenceNotFound || err.errCode === ErrCode.NoMessageFound || err.status === 404)
      ) {
        return false;
      }
      throw err;
    }
  }

  /**
   * One stored message, or null when none matches. `direct` asks any replica
   * (fast, possibly behind the leader); otherwise the stream leader answers.
   */
  async getMsg(stream: string, query: MsgQuery, direct: boolean): Promise<RawStored | null> {
    if (direct) {
      const m = await this.retrying(() =>
        this.nc.request(`${this.prefix}.DIRECT.GET.${stream}`, JSON.stringify(query), { timeout: this.timeoutMs }),
      );
      const code = m.headers?.code ?? 0;
      if (code === 404) return null;
      if (code >= 400 || !m.headers) throw new ApiError(code, 0, m.headers?.description || 'direct get failed');
      return fromDirect(m, m.headers);
    }
    try {
      const r = await this.request<{
        message: { subject: string; seq: number; hdrs?: string; data?: string; time: string };
      }>(`STREAM.MSG.GET.${stream}`, query);
      return fromJsonMessage(r.message);
    } catch (err) {
      if (err instanceof ApiError && (err.errCode === ErrCode.NoMessageFound || err.status === 404)) return null;
      throw err;
    }
  }

  consumerCreate(stream: string, config: ConsumerConfigJson): Promise<ConsumerInfoJson> {
    return this.request(`CONSUMER.CREATE.${stream}`, { stream_name: stream, config });
  }

  async consumerDelete(stream: string, name: string): Promise<void> {
    await this.request(`CONSUMER.DELETE.${stream}.${name}`, undefined);
  }
}

const DIRECT_ADDED = [
  'Nats-Stream',
  'Nats-Subject',
  'Nats-Sequence',
  'Nats-Time-Stamp',
  'Nats-Last-Sequence',
  'Nats-Num-Pending',
];
const EMPTY_HEADER_BLOCK = 'NATS/1.0\r\n\r\n'.length;

/** Bytes of the header block as the stream stored it: what came, minus the headers the sender added. */
export function storedHeaderBytes(h: MsgHdrs | undefined, added: readonly string[] = []): number {
  if (!h) return 0;
  // nats.js's headers print as the wire block; the MsgHdrs interface does not declare toString.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  let n = Buffer.byteLength(h.toString());
  for (const k of added) for (const v of h.values(k)) n -= Buffer.byteLength(`${k}: ${v}\r\n`);
  return n <= EMPTY_HEADER_BLOCK ? 0 : n;
}

function fromDirect(m: Msg, h: MsgHdrs): RawStored {
  return {
    subject: h.get('Nats-Subject'),
    seq: Number(h.get('Nats-Sequence')),
    data: m.data,
    time: h.get(TIME_HEADER) || undefined,
    indexTime: h.get(INDEX_TIME_HEADER) || undefined,
    headerBytes: storedHeaderBytes(h, DIRECT_ADDED),
    serverMicros: rfc3339Micros(h.get('Nats-Time-Stamp')),
  };
}

function fromJsonMessage(j: { subject: string; seq: number; hdrs?: string; data?: string; time: string }): RawStored {
  const raw = j.hdrs ? Buffer.from(j.hdrs, 'base64').toString('latin1') : '';
  const headers = parseHeaderBlock(raw);
  return {
    subject: j.subject,
    seq: j.seq,
    data: j.data ? Buffer.from(j.data, 'base64') : new Uint8Array(0),
    time: headers.get(TIME_HEADER.toLowerCase()),
    indexTime: headers.get(INDEX_TIME_HEADER.toLowerCase()),
    headerBytes: raw.length,
    serverMicros: rfc3339Micros(j.time),
  };
}

/** A message a pull consumer delivered: the ack subject carries the stream sequence and time. */
export function fromDelivered(m: Msg): RawStored {
  const t = (m.reply ?? '').split('.');
  // $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending> (9 tokens), or since 2.10
  // $JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending>[.<token>]
  const at = t.length === 9 ? 5 : 7;
  const tm = t[at + 2] ?? '0';
  return {
    subject: m.subject,
    seq: Number(t[at]),
    data: m.data,
    time: m.headers?.get(TIME_HEADER) || undefined,
    indexTime: m.headers?.get(INDEX_TIME_HEADER) || undefined,
    headerBytes: storedHeaderBytes(m.headers),
    serverMicros: tm.length > 3 ? Number(tm.slice(0, -3)) : 0,
  };
}

/** Header names (lower case) to values of a raw "NATS/1.0\r\nK: v\r\n...\r\n\r\n" block. */
export function parseHeaderBlock(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = raw.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon > 0) out.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return out;
}

/** Microseconds since the epoch of an RFC 3339 time with up to nanosecond digits. */
export function rfc3339Micros(s: string | undefined): number {
  if (!s) return 0;
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return Math.round(Date.parse(s) * 1000) || 0;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return ms * 1000 + Number(frac);
}
