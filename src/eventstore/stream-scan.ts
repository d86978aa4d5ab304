/**
 * Reads of a whole stream that are not a readStream: what a command id
 * lookup needs to know (the ids applied to the stream, its head) and, for a
 * stream short enough to cache, its events, so that the load which follows
 * a lookup in commandHandler is answered from memory: a command with an id
 * on a stream this process has not read yet then reads the stream once, not
 * twice (each read of a cold stream asks the key index of every segment).
 */
import { OffsetOldest, type Log, type Message } from '../storage/index.js';
import { parseEnvelope, type EnvelopeMeta, type StoredEnvelope } from './envelope.js';

/** Where the events of one applied command sit: they were written by one publish, so contiguously. */
export interface AppliedCommand {
  firstOffset: number;
  count: number;
  /** The stream's version right after that append. */
  version: number;
  /** What the id is bound to; undefined for events written before fingerprints were stored. */
  fingerprint: string | undefined;
}

export interface StreamHead {
  version: number;
  /** Offset of the stream's newest event; -1 for a stream with none. */
  lastOffset: number;
}

export interface StreamScan {
  head: StreamHead;
  commands: Map<string, AppliedCommand>;
  /** Every event of the stream in order, when it has at most `keep` and its versions run 1, 2, 3...; else undefined. */
  envelopes: StoredEnvelope[] | undefined;
}

/** Reads every event of a stream once, in batches of `batch`. */
export async function scanStream(log: Log, streamId: string, keep: number, batch: number): Promise<StreamScan> {
  const commands = new Map<string, AppliedCommand>();
  let envelopes: StoredEnvelope[] | undefined = keep > 0 ? [] : undefined;
  let head: StreamHead = { version: 0, lastOffset: -1 };
  let offset = OffsetOldest;
  for (;;) {
    const { messages, nextOffset } = await log.consumeByKey(streamId, offset, batch);
    if (messages.length === 0) return { head, commands, envelopes };
    for (const message of messages) {
      const envelope = parseEnvelope(message);
      addCommand(commands, message.offset, envelope.meta);
      head = { version: envelope.meta.streamVersion, lastOffset: message.offset };
      // A gap, or more than the cache keeps: the events are left to a readStream, which reports gaps.
      if (envelopes && (envelopes.length === keep || head.version !== envelopes.length + 1)) envelopes = undefined;
      envelopes?.push(envelope);
    }
    offset = nextOffset;
  }
}

/** Adds one stored event to the commands applied to its stream. */
export function addCommand(byId: Map<string, AppliedCommand>, offset: number, meta: EnvelopeMeta): void {
  if (meta.commandId === undefined) return;
  const seen = byId.get(meta.commandId);
  if (seen) {
    seen.count++;
    seen.version = meta.streamVersion;
  } else {
    byId.set(meta.commandId, {
      firstOffset: offset,
      count: 1,
      version: meta.streamVersion,
      fingerprint: meta.commandFingerprint,
    });
  }
}

/** The highest version the stream has before a position (0 for none); read only to settle a suspected gap. */
export async function highestVersionBefore(log: Log, streamId: string, position: number, batch: number) {
  let highest = 0;
  let offset: number = OffsetOldest;
  for (;;) {
    const { messages, nextOffset } = await log.consumeByKey(streamId, offset, batch);
    for (const message of messages) {
      if (message.offset >= position) return highest;
      highest = Math.max(highest, versionOf(message));
    }
    if (messages.length === 0) return highest;
    offset = nextOffset;
  }
}

const versionOf = (message: Message): number => parseEnvelope(message).meta.streamVersion;
