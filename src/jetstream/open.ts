/** openJetStream: the one line that changes when a log moves from a directory to a NATS cluster. */
import { connect } from '@nats-io/transport-node';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { invalidArgument } from '../storage/errors.js';
import { describeValue } from '../storage/validate.js';
import { Api, type StreamConfigJson, type StreamInfoJson, nanosOf } from './api.js';
import { ApiError, ErrCode, toPublicError } from './errors.js';
import { JetStreamLog, limitsConfig, type StreamLimits } from './log.js';
import { checkStreamName, checkSubjectPrefix, Subjects } from './subjects.js';

export interface JetStreamOptions {
  /** The stream holding the log. */
  stream: string;
  /** Servers to connect to (default 127.0.0.1:4222); ignored when `connection` is given. */
  servers?: string | string[];
  /** An open connection to use; close() then leaves it open. */
  connection?: NatsConnection;
  /** More options for the connection this function makes (user, token, tls, ...). */
  connectOptions?: Partial<NodeConnectionOptions>;
  /** Subjects are `<subjectPrefix>.<key token>`; default `klevdb.<stream>`. */
  subjectPrefix?: string;
  /** Create the stream when it does not exist (default true; never when readonly). */
  create?: boolean;
  /** Replicas of a stream this call creates (default 1; 3 or 5 on a cluster). */
  replicas?: number;
  /** Storage of a stream this call creates (default 'file'). */
  storage?: 'file' | 'memory';
  /** Retention limits of a stream this call creates (JetStream applies them itself). */
  limits?: StreamLimits;
  /** Publish and delete are ERR_READONLY. */
  readonly?: boolean;
  /** Key lookups (default true: on JetStream they need no index of ours). false: ERR_NO_INDEX as locally. */
  keyIndex?: boolean;
  /** Time lookups (default true). false: ERR_NO_INDEX as locally. */
  timeIndex?: boolean;
  /**
   * getByTime / offsetByTime search 'message' times (default: the times
   * published, as the local log) or the 'server' receive times.
   */
  timeLookup?: 'message' | 'server';
  /** The longest key, in bytes (default 2048; the subject must fit the server's max_control_line). */
  maxKeyBytes?: number;
  /** How long the server remembers message ids to drop resent duplicates (default 2 minutes, for streams this call creates). */
  duplicateWindowMs?: number;
  /** How long one request may take (default 5000 ms). */
  timeoutMs?: number;
  /** How long a publish keeps resending what the server did not acknowledge (default 30000 ms). */
  retryForMs?: number;
  /** Messages of a publish in flight at once (default 1024). */
  publishWindow?: number;
  /**
   * Reads ask the stream leader (consistent: a read after an acknowledged
   * publish sees it) rather than any replica. Default: true when the stream
   * has more than one replica.
   */
  consistentReads?: boolean;
}

const positive = (name: string, v: unknown, dflt: number): number => {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw invalidArgument(`${name} must be a positive integer, got ${describeValue(v)}`);
  return v;
};

const bool = (name: string, v: unknown, dflt: boolean): boolean => {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw invalidArgument(`${name} must be a boolean, got ${describeValue(v)}`);
  return v;
};

/** Opens (and by default creates) the log in a JetStream stream. */
export async function openJetStream(options: JetStreamOptions): Promise<JetStreamLog> {
  if (typeof options !== 'object' || options === null) throw invalidArgument(`options must be an object, got ${describeValue(options)}`);
  const stream = checkStreamName('options.stream', options.stream);
  const prefix = checkSubjectPrefix('options.subjectPrefix', options.subjectPrefix ?? `klevdb.${stream}`);
  const readonly = bool('options.readonly', options.readonly, false);
  const create = bool('options.create', options.create, true) && !readonly;
  const replicas = positive('options.replicas', options.replicas, 1);
  const timeoutMs = positive('options.timeoutMs', options.timeoutMs, 5000);
  const retryForMs = positive('options.retryForMs', options.retryForMs, 30_000);
  const publishWindow = positive('options.publishWindow', options.publishWindow, 1024);
  const maxKeyBytes = positive('options.maxKeyBytes', options.maxKeyBytes, 2048);
  const duplicateWindowMs = positive('options.duplicateWindowMs', options.duplicateWindowMs, 120_000);
  const keyIndex = bool('options.keyIndex', options.keyIndex, true);
  const timeIndex = bool('options.timeIndex', options.timeIndex, true);
  if (options.storage !== undefined && options.storage !== 'file' && options.storage !== 'memory') {
    throw invalidArgument(`options.storage must be 'file' or 'memory', got ${describeValue(options.storage)}`);
  }
  if (options.timeLookup !== undefined && options.timeLookup !== 'message' && options.timeLookup !== 'server') {
    throw invalidArgument(`options.timeLookup must be 'message' or 'server', got ${describeValue(options.timeLookup)}`);
  }
  const limits = options.limits === undefined ? {} : limitsConfig(options.limits);
  const subjects = new Subjects(prefix, maxKeyBytes);

  const owns = options.connection === undefined;
  let nc: NatsConnection;
  try {
    nc = options.connection ?? (await connect({ servers: options.servers ?? '127.0.0.1:4222', ...options.connectOptions }));
  } catch (err) {
    throw toPublicError(err, false, `connect to NATS (${String(options.servers ?? '127.0.0.1:4222')})`);
  }
  try {
    const api = new Api(nc, timeoutMs, retryForMs);
    let info: StreamInfoJson;
    try {
      info = await api.streamInfo(stream);
    } catch (err) {
      if (!(err instanceof ApiError && err.errCode === ErrCode.StreamNotFound)) throw err;
      if (!create) {
        throw invalidArgument(`JetStream stream ${stream} does not exist; create it or pass create: true${readonly ? ' (a readonly open never creates)' : ''}`);
      }
      const config: StreamConfigJson = {
        name: stream,
        subjects: [subjects.all],
        retention: 'limits',
        storage: options.storage ?? 'file',
        num_replicas: replicas,
        discard: 'old',
        duplicate_window: nanosOf(duplicateWindowMs),
        allow_direct: true,
        ...limits,
      };
      info = await createOrAdopt(api, config);
    }
    if (!info.config.subjects?.includes(subjects.all)) {
      throw invalidArgument(
        `JetStream stream ${stream} holds subjects ${JSON.stringify(info.config.subjects)}, not ${subjects.all}; pass the subjectPrefix it was created with`,
      );
    }
    return new JetStreamLog({
      api,
      ownsConnection: owns,
      stream,
      subjects,
      storage: info.config.storage === 'memory' ? 'memory' : 'file',
      replicas: info.config.num_replicas ?? 1,
      readonly,
      keyIndex,
      timeIndex,
      timeLookup: options.timeLookup ?? 'message',
      consistentReads: bool('options.consistentReads', options.consistentReads, (info.config.num_replicas ?? 1) > 1),
      publishWindow,
      retryForMs,
      lastSeq: info.state.last_seq,
    });
  } catch (err) {
    if (owns) await nc.close().catch(() => undefined);
    throw toPublicError(err, false, `open JetStream stream ${stream}`);
  }
}

/** Creates the stream; when another process created it first, uses theirs. */
async function createOrAdopt(api: Api, config: StreamConfigJson): Promise<StreamInfoJson> {
  try {
    return await api.streamCreate(config);
  } catch (err) {
    // 10058: stream name already in use (with a different configuration)
    if (err instanceof ApiError && err.errCode === 10058) return api.streamInfo(config.name);
    throw err;
  }
}
