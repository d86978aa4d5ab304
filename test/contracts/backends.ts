// The two backends the shared suites run against: a local log directory and
// a JetStream stream on a test server. Each opens fresh, empty logs and
// removes them (closing every handle first) after each test.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { BlockingLog, Stats } from '../../src/storage/types.js';
import { useNatsServer } from '../helpers/nats-server.js';
import { type LogAddress, type LogOptions, openAt } from '../helpers/log-address.js';

export type { LogAddress, LogOptions };

/** A place holding one log: open it as often as a test needs (a second handle, readonly, after close). */
export interface LogPlace {
  open(opts?: LogOptions): Promise<BlockingLog>;
  /** Where the log is, for a child process to open it. */
  readonly address: LogAddress;
}

/**
 * What the local log and JetStream do differently on purpose (README,
 * "Moving to a cluster"); the suites check the documented behaviour of each.
 */
export interface Differences {
  /**
   * Local logs roll over into segments: consume and consumeByKey stop at a
   * segment end and stat() counts the segments. JetStream has one sequence
   * space: consume fills maxCount and stat().segments is 1.
   */
  segments: boolean;
  /**
   * JetStream opens readonly only a stream that exists; a local readonly log
   * opens on an empty directory (as a log without segments, creating none).
   */
  readonlyNeedsExistingLog: boolean;
}

export interface Backend {
  readonly name: string;
  readonly differences: Differences;
  /** A new, empty place; everything opened there is closed and removed after the test. */
  place(): Promise<LogPlace>;
  /** A fresh empty log (keys and times indexed unless told otherwise). */
  fresh(opts?: LogOptions): Promise<BlockingLog>;
  /** Bytes stat().size counts beyond the sum of size(m) of the stored messages. */
  statOverhead(stat: Stats): number;
  /** A directory removed after the test. */
  tempDir(): Promise<string>;
}

/** Registers afterEach cleanups; returns the helpers shared by both backends. */
function cleanups(): {
  track: (log: BlockingLog) => BlockingLog;
  later: (fn: () => Promise<void>) => void;
  tempDir: () => Promise<string>;
} {
  const logs: BlockingLog[] = [];
  const after: Array<() => Promise<void>> = [];
  afterEach(async function () {
    this.timeout(30_000);
    await Promise.allSettled(logs.splice(0).map((l) => l.close()));
    for (const fn of after.splice(0)) await fn().catch(() => undefined);
  });
  return {
    track: (log) => (logs.push(log), log),
    later: (fn) => after.push(fn),
    tempDir: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'klevdb-jsuite-'));
      after.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
  };
}

/** The local log in temporary directories. Call inside a describe. */
export function useLocalBackend(): Backend {
  const { track, tempDir } = cleanups();
  const place = async (): Promise<LogPlace> => {
    const address = { dir: await tempDir() };
    return { address, open: async (opts) => track(await openAt(address, opts)) };
  };
  return {
    name: 'local',
    differences: { segments: true, readonlyNeedsExistingLog: false },
    place,
    fresh: async (opts) => (await place()).open(opts),
    // every segment has an 8-byte header in its log and in its index file
    statOverhead: (stat) => 16 * stat.segments,
    tempDir,
  };
}

let streams = 0;

/** JetStream on a server started for the calling describe. */
export function useJetStreamBackend(): Backend & { server: () => { url: string }; admin: () => NatsConnection } {
  const server = useNatsServer();
  let admin: NatsConnection | null = null;
  before(async () => {
    admin = await connect({ servers: server().url });
  });
  after(async () => {
    await admin?.close();
    admin = null;
  });
  const { track, later, tempDir } = cleanups();
  const place = async (): Promise<LogPlace> => {
    const stream = `S${process.pid}_${++streams}`;
    later(async () => {
      await admin!.request(`$JS.API.STREAM.DELETE.${stream}`, '', { timeout: 5000 });
    });
    const address = { servers: server().url, stream };
    return { address, open: async (opts) => track(await openAt(address, opts)) };
  };
  return {
    name: 'jetstream',
    differences: { segments: false, readonlyNeedsExistingLog: true },
    place,
    fresh: async (opts) => (await place()).open(opts),
    statOverhead: () => 0,
    tempDir,
    server,
    admin: () => admin!,
  };
}
