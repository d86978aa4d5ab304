// Where a test log lives, in a form a child process can be given (JSON on
// its command line), and how to open it there or here.
import { openJetStream } from '../../src/jetstream/index.js';
import { openBlocking } from '../../src/storage/blocking.js';
import type { BlockingLog } from '../../src/storage/types.js';

/** A local log directory, or a stream on a JetStream server. */
export type LogAddress = { dir: string } | { servers: string; stream: string };

export interface LogOptions {
  keyIndex?: boolean;
  timeIndex?: boolean;
  readonly?: boolean;
  /** Local: the segment size to roll over at, so a test spans segments. JetStream has no segments and ignores it. */
  rollover?: number;
  /** Readonly: blocking consumes wake on publishes made through other handles (local: followWriter; JetStream always does). */
  follow?: boolean;
}

/** Opens the log at `address`; keys and times are indexed unless told otherwise. */
export function openAt(address: LogAddress, opts: LogOptions = {}): Promise<BlockingLog> {
  const keyIndex = opts.keyIndex ?? true;
  const timeIndex = opts.timeIndex ?? true;
  if ('dir' in address) {
    return openBlocking(address.dir, {
      keyIndex,
      timeIndex,
      readonly: opts.readonly,
      rollover: opts.rollover,
      followWriter: opts.follow,
    });
  }
  return openJetStream({
    servers: address.servers,
    stream: address.stream,
    keyIndex,
    timeIndex,
    readonly: opts.readonly,
  });
}
