/**
 * Optional peer dependencies: packages only one subpath needs (the NATS
 * client for klevdb/jetstream, OpenTelemetry's API), left out of a plain
 * install so that embedded users do not download them. A subpath that needs
 * its peer loads it here, once, when it is first imported; a peer that is not
 * installed is a MissingPeerError that names the command installing it.
 * (Telemetry, which is optional even where it is used, does without: see
 * telemetry/otel.ts.)
 */
import { KlevdbError } from './storage/index.js';

/** One optional peer: the packages, the feature that needs them, and how to install them. */
export interface OptionalPeer {
  /** The package loaded (the one a missing install fails on). */
  readonly name: string;
  /** What needs it, e.g. `klevdb/jetstream`. */
  readonly feature: string;
  /** The exact command that installs versions this klevdb works with. */
  readonly install: string;
  /** Why those versions, when that is worth saying (engines, ...). */
  readonly note?: string;
}

/** An optional peer dependency is not installed: `install` is the command that fixes it. */
export class MissingPeerError extends KlevdbError<'ERR_MISSING_PEER'> {
  readonly peer: string;
  readonly install: string;

  constructor(peer: OptionalPeer, options?: ErrorOptions) {
    super(
      'ERR_MISSING_PEER',
      `${peer.feature} needs ${peer.name}, an optional peer dependency that is not installed; install it with: ${peer.install}${peer.note ? ` (${peer.note})` : ''}`,
      options,
    );
    this.name = 'MissingPeerError';
    this.peer = peer.name;
    this.install = peer.install;
  }
}

/** Whether `err` says that `name` itself (not something it imports) cannot be found. */
export function isMissing(err: unknown, name: string): boolean {
  const e = err as NodeJS.ErrnoException | null;
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') return false;
  return e.message.includes(`'${name}'`) || e.message.includes(`"${name}"`);
}

/** Imports an optional peer; MissingPeerError when it is not installed, any other failure as it is. */
export async function importPeer<T>(peer: OptionalPeer): Promise<T> {
  try {
    return (await import(peer.name)) as T;
  } catch (err) {
    if (isMissing(err, peer.name)) throw new MissingPeerError(peer, { cause: err });
    throw err;
  }
}
