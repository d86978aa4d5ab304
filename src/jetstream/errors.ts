/**
 * Errors of the JetStream backend. What the local log would reject is a
 * LogError with the same code; what only a network service can do (not
 * answer, lose its leader, drop the connection) is a JetStreamError, which is
 * not a LogError: the Log contract has no code for "the server is away", and
 * a caller must treat it as "may or may not have happened". Both are
 * KlevdbErrors (ERR_JETSTREAM; ERR_JETSTREAM_API for a raw API error, which
 * toPublicError turns into a JetStreamError before it reaches a caller).
 */
import { ClosedConnectionError, NoRespondersError, RequestError, TimeoutError } from './nats.js';
import { KlevdbError, LogError } from '../storage/index.js';
import { closedLog } from '../storage/backend-kit.js';

/** A JetStream API error response ({"error": {code, err_code, description}}). */
export class ApiError extends KlevdbError<'ERR_JETSTREAM_API'> {
  constructor(
    readonly status: number,
    readonly errCode: number,
    readonly description: string,
  ) {
    super('ERR_JETSTREAM_API', `JetStream API error ${status}/${errCode}: ${description}`);
    this.name = 'ApiError';
  }
}

/** JetStream's err_code values this module reacts to. */
export const ErrCode = {
  StreamNotFound: 10059,
  ConsumerNotFound: 10014,
  NoMessageFound: 10037,
  SequenceNotFound: 10057,
  WrongLastMsgId: 10070,
  WrongLastSequence: 10071,
  ClusterNotAvailable: 10008,
  StreamOffline: 10118,
  InsufficientResources: 10023,
  MessageTooLarge: 10054,
  NoSuitablePeers: 10005,
} as const;

/** What to do about an API error, where its description alone does not say. */
function hintFor(err: ApiError): string {
  if (err.errCode === ErrCode.NoSuitablePeers)
    return '; the stream asks for more replicas than the cluster has servers up and routed: start them (a cluster that just started may need a moment) or open it with fewer options.replicas';
  return '';
}

/**
 * The server could not be reached or did not answer in time, or answered
 * with an error this module has no LogError for. `cause` holds the original.
 * For a publish, `stored` says how many messages of the batch are known to
 * be stored (a prefix of it, in order); the rest may or may not be.
 */
export class JetStreamError extends KlevdbError<'ERR_JETSTREAM'> {
  constructor(
    message: string,
    options?: { cause?: unknown },
    readonly stored?: number,
  ) {
    super('ERR_JETSTREAM', message, options);
    this.name = 'JetStreamError';
  }
}

/** Whether a failed request may succeed when sent again (leader election, restart, slow server). */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ApiError) {
    return (
      err.status === 503 ||
      err.status === 408 ||
      err.errCode === ErrCode.ClusterNotAvailable ||
      err.errCode === ErrCode.StreamOffline
    );
  }
  return (
    err instanceof TimeoutError ||
    err instanceof NoRespondersError ||
    (err instanceof RequestError && (err.isNoResponders() || err.cause instanceof TimeoutError)) ||
    (err instanceof Error && /timeout|no responders/i.test(err.message))
  );
}

/** A request nobody was subscribed to receive. */
export function isNoResponders(err: unknown): boolean {
  return err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders());
}

export function isConnectionClosed(err: unknown): boolean {
  return (
    err instanceof ClosedConnectionError ||
    (err instanceof Error && /connection closed|CONNECTION_CLOSED/i.test(err.message))
  );
}

/** Turns anything a call failed with into what the Log contract says it fails with. */
export function toPublicError(err: unknown, closed: boolean, what: string): Error {
  if (err instanceof LogError || err instanceof JetStreamError) return err;
  if (closed || isConnectionClosed(err)) return closedLog(what);
  if (err instanceof ApiError)
    return new JetStreamError(`${what}: ${err.description} (JetStream ${err.status}/${err.errCode})${hintFor(err)}`, {
      cause: err,
    });
  if (isRetryable(err))
    return new JetStreamError(`${what}: the JetStream server did not answer (${(err as Error).message})`, {
      cause: err,
    });
  return new JetStreamError(`${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
