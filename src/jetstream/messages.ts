/** Stored JetStream messages as log Messages, and their sizes in the stream. */
import type { Message } from '../storage/index.js';
import type { RawStored } from './api.js';
import type { Subjects } from './subjects.js';

export type StorageKind = 'file' | 'memory';

/** What a message takes in the stream's store (nats-server's fileStoreMsgSize / memStoreMsgSize). */
export function storedSize(storage: StorageKind, subjectBytes: number, headerBytes: number, dataBytes: number): number {
  if (storage === 'memory') return subjectBytes + headerBytes + dataBytes + 16;
  return 22 + subjectBytes + (headerBytes > 0 ? 4 + headerBytes : 0) + dataBytes + 8;
}

const parseMicros = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
};

export interface Decoded {
  message: Message;
  /** The monotonic time the time lookup searches (Klevdb-Index-Time, else the message time). */
  indexMicros: number;
  size: number;
}

/**
 * The log message of a stored one: offset = sequence - 1, the key from the
 * subject token, the time from Klevdb-Time (the server's receive time for
 * messages published without it), an empty payload as a null value.
 */
export function decode(raw: RawStored, subjects: Subjects, storage: StorageKind): Decoded {
  const timeMicros = parseMicros(raw.time) ?? raw.serverMicros;
  const data = raw.data;
  const message: Message = {
    offset: raw.seq - 1,
    time: new Date(Math.floor(timeMicros / 1000)),
    timeMicros,
    key: subjects.keyOf(raw.subject),
    // A copy: the client's buffers may be views of a larger read buffer.
    value: data.length === 0 ? null : Buffer.from(data),
  };
  return {
    message,
    indexMicros: parseMicros(raw.indexTime) ?? timeMicros,
    size: storedSize(storage, Buffer.byteLength(raw.subject), raw.headerBytes, data.length),
  };
}
