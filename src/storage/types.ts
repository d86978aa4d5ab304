/** Public shapes of the storage layer (described in docs/api/storage.md). */

export const OffsetOldest = -2;
export const OffsetNewest = -1;
export const OffsetInvalid = -3;

export interface Message {
  /** 0-based, strictly increasing, never reused. */
  offset: number;
  /** Millisecond view of timeMicros. */
  time: Date;
  /** The stored time, exact: microseconds since the epoch. */
  timeMicros: number;
  /** Empty and null are the same on disk: read back as null. */
  key: Buffer | null;
  /** null value = tombstone. */
  value: Buffer | null;
}

export interface PublishMessage {
  key?: Uint8Array | string | null;
  value?: Uint8Array | string | null;
  time?: Date;
  /** Exact time in microseconds since the epoch; wins over `time`. */
  timeMicros?: number;
}

export interface ConsumeResult {
  nextOffset: number;
  messages: Message[];
}
export interface DeleteResult {
  deleted: Message[];
  deletedSize: number;
}
export interface DeleteOffsetsResult {
  deleted: Set<number>;
  deletedSize: number;
}
export interface Stats {
  segments: number;
  messages: number;
  size: number;
  /**
   * The file log's read cache (readCacheSize), when it has one. Not
   * enumerable: a stat compared with { segments, messages, size } still
   * equals it, and JSON leaves it out; read it by name.
   */
  readonly readCache?: { hits: number; misses: number; bytes: number; maxBytes: number };
}

export interface Version {
  readonly name: 'V1' | 'V2';
}
export const V1: Version = Object.freeze({ name: 'V1' as const });
export const V2: Version = Object.freeze({ name: 'V2' as const });
export const VLast: Version = V2;

export interface VersionOptions {
  newSegmentsVersion?: Version;
  keepRewriteVersion?: boolean;
  eagerVersionMigrate?: boolean;
}

/** Progress of a long operation: `done` of `total` units (segments or bytes). */
export interface Progress {
  operation: string;
  done: number;
  total: number;
  unit: 'segments' | 'bytes' | 'messages';
}
export type ProgressCallback = (progress: Progress) => void;

export interface Options {
  createDirs?: boolean;
  readonly?: boolean;
  keyIndex?: boolean;
  timeIndex?: boolean;
  autoSync?: boolean;
  /** Bytes; missing or 0: 1 MiB. */
  rollover?: number;
  check?: boolean;
  recover?: boolean;
  version?: VersionOptions;
  /** With readonly: take no lock and follow what a writer in another process appends. */
  followWriter?: boolean;
  /** Called during long operations (recover, migrate, eager migration on open). */
  onProgress?: ProgressCallback;
  /**
   * Bytes of sealed segments kept in memory for reads (an LRU of 16 KiB
   * blocks, filled by what is read); missing: 64 MiB; 0: none, every read is
   * a pread.
   */
  readCacheSize?: number;
}

export interface Log {
  publish(messages: PublishMessage[]): Promise<number>;
  nextOffset(): Promise<number>;
  consume(offset: number, maxCount: number): Promise<ConsumeResult>;
  consumeByKey(key: Uint8Array | string, offset: number, maxCount: number): Promise<ConsumeResult>;
  get(offset: number): Promise<Message>;
  getByKey(key: Uint8Array | string): Promise<Message>;
  offsetByKey(key: Uint8Array | string): Promise<number>;
  getByTime(start: Date): Promise<Message>;
  offsetByTime(start: Date): Promise<{ offset: number; time: Date }>;
  delete(offsets: Iterable<number>): Promise<DeleteResult>;
  size(m: Message): number;
  stat(): Promise<Stats>;
  backup(dir: string): Promise<void>;
  sync(): Promise<number>;
  gc(unusedForMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface BlockingLog extends Log {
  consumeBlocking(offset: number, maxCount: number, signal?: AbortSignal): Promise<ConsumeResult>;
  consumeByKeyBlocking(
    key: Uint8Array | string,
    offset: number,
    maxCount: number,
    signal?: AbortSignal,
  ): Promise<ConsumeResult>;
}
