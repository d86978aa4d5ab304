/** openJetStream: the one line that changes when a log moves from a directory to a NATS cluster. */
import { invalidArgument, describeValue } from '../storage/backend-kit.js';
import { Api, type StreamConfigJson, type StreamInfoJson, nanosOf } from './api.js';
import { ApiError, ErrCode, toPublicError } from './errors.js';
import { JetStreamLog } from './log.js';
import { limitsConfig, type StreamLimits } from './log-retention.js';
import { bool, connectWith, positive, storageKind, type ConnectionOptions } from './options.js';
import { checkStreamName, checkSubjectPrefix, Subjects } from './subjects.js';

export interface JetStreamOptions extends ConnectionOptions {
  /** The stream holding the log. */
  stream: string;
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
  /**
   * This log is the stream's only writer (default false): each publish
   * expects the stream to end where this log's own last write (or the open)
   * left it, so one made after another writer's publish is refused by the
   * server with ERR_LOCKED and stores nothing. The projection store uses it
   * to fence off a runner that lost its projection to another.
   */
  singleWriter?: boolean;
}

/** Opens (and by default creates) the log in a JetStream stream. */
export async function openJetStream(options: JetStreamOptions): Promise<JetStreamLog> {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument(`options must be an object, got ${describeValue(options)}`);
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
  const singleWriter = bool('options.singleWriter', options.singleWriter, false);
  const storage = storageKind('options.storage', options.storage);
  if (options.timeLookup !== undefined && options.timeLookup !== 'message' && options.timeLookup !== 'server') {
    throw invalidArgument(`options.timeLookup must be 'message' or 'server', got ${describeValue(options.timeLookup)}`);
  }
  const limits = options.limits === undefined ? {} : limitsConfig(options.limits);
  const subjects = new Subjects(prefix, maxKeyBytes);

  const { nc, owns } = await connectWith(options);
  try {
    const api = new Api(nc, timeoutMs, retryForMs);
    let info: StreamInfoJson;
    try {
      info = await api.streamInfo(stream);
    } catch (err) {
      if (!(err instanceof ApiError && err.errCode === ErrCode.StreamNotFound)) throw err;
      if (!create) {
        throw invalidArgument(
          `JetStream stream ${stream} does not exist; create it or pass create: true${readonly ? ' (a readonly open never creates)' : ''}`,
        );
      }
      const config: StreamConfigJson = {
        name: stream,
        subjects: [subjects.all],
        retention: 'limits',
        storage: storage ?? 'file',
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
      singleWriter,
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
