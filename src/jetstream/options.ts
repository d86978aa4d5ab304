/** Option checks and the connection that openJetStream and jetStreamProjectionStore share; each failure names the option. */
import { connect } from './nats.js';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { invalidArgument, describeValue } from '../storage/backend-kit.js';
import { toPublicError } from './errors.js';

export const positive = (name: string, v: unknown, dflt: number): number => {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw invalidArgument(`${name} must be a positive integer, got ${describeValue(v)}`);
  return v;
};

export const bool = (name: string, v: unknown, dflt: boolean): boolean => {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw invalidArgument(`${name} must be a boolean, got ${describeValue(v)}`);
  return v;
};

export function storageKind(name: string, v: unknown): 'file' | 'memory' | undefined {
  if (v !== undefined && v !== 'file' && v !== 'memory')
    throw invalidArgument(`${name} must be 'file' or 'memory', got ${describeValue(v)}`);
  return v;
}

export interface ConnectionOptions {
  /** Servers to connect to (default 127.0.0.1:4222); ignored when `connection` is given. */
  servers?: string | string[];
  /** An open connection to use; it is then left open on close. */
  connection?: NatsConnection;
  /** More options for the connection made here (user, token, tls, ...). */
  connectOptions?: Partial<NodeConnectionOptions>;
}

/** The given connection, or a new one to the servers; `owns` says whether closing it is the caller's job here. */
export async function connectWith(options: ConnectionOptions): Promise<{ nc: NatsConnection; owns: boolean }> {
  if (options.connection !== undefined) return { nc: options.connection, owns: false };
  const servers = options.servers ?? '127.0.0.1:4222';
  try {
    return { nc: await connect({ servers, ...options.connectOptions }), owns: true };
  } catch (err) {
    throw toPublicError(err, false, `connect to NATS (${String(servers)})`);
  }
}
