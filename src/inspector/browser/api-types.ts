/**
 * The inspector API's replies: the server builds them (log-views.ts,
 * projection-view.ts, server.ts) and the page reads them, both against these
 * types. Types only, no DOM and no Node, so both programs compile them.
 */

export type ShownKind = 'none' | 'json' | 'text' | 'hex';

/** A stored key or value, as the page shows it. */
export interface Shown {
  kind: ShownKind;
  /** What to show: pretty JSON, the text, or hex digits. */
  text: string;
  /** Size of the stored bytes. */
  bytes: number;
  /** `text` is cut short (previews only). */
  truncated?: boolean;
}

export interface ShownMessage {
  offset: number;
  time: string;
  timeMicros: number;
  key: Shown;
  value: Shown;
  /** Bytes the message takes in the log. */
  size: number;
}

/** A log the inspector shows (`/api/info`). */
export interface LogInfo {
  /** Stable id the API takes as `log=`. */
  id: string;
  label: string;
  dir: string;
  role: 'log' | 'source' | 'state' | 'dead-letter' | 'offsets';
  /** The projection a state or dead-letter log belongs to. */
  projection?: string;
}

export interface Info {
  version: string;
  readonly: true;
  dir: string;
  kind: 'log' | 'projections';
  logs: LogInfo[];
  /** Projection names. */
  projections: string[];
  /** Durable subscription names (with --subscriptions). */
  subscriptions: string[];
}

/** Whether a consumer holds a subscription's lock now. */
export interface ConsumerView {
  active: boolean;
  /** The process holding it, when active. */
  pid: number | null;
}

/** A durable subscription (klevdb/streams openSubscription): `/api/subscriptions`. */
export interface SubscriptionSummary {
  name: string;
  /** The committed position: the next offset it reads after a restart; null when none can be read. */
  committed: number | null;
  /** When it was committed (the record's time, ISO 8601 to the microsecond). */
  committedAt: string | null;
  committedAgo: number | null;
  /** Source messages from the committed position to the source's end; null without a source log. */
  lag: number | null;
  /** The source's next offset; null without a source log. */
  sourceHead: number | null;
  /** Null where the inspector cannot tell (it reads the kernel's lock table, /proc/locks, on Linux). */
  consumer: ConsumerView | null;
  /** Why the committed position cannot be read (a damaged record), if so. */
  problem?: string;
}

/** `/api/subscriptions`: the offsets directory (null without --subscriptions) and its subscriptions by name. */
export interface Subscriptions {
  dir: string | null;
  subscriptions: SubscriptionSummary[];
}

/** `/api/workflow`: a workflow's instances (from the source log, the event store's), by id, paged. */
export interface WorkflowInstances {
  name: string;
  /** Its instances. */
  count: number;
  /** The source offset the inspector has read to. */
  readTo: number;
  instances: { id: string; stream: string; records: number; last: ShownMessage }[];
  /** Continue after this id for more; null when there is no more. */
  nextAfter: string | null;
}

export interface SegmentView {
  offset: number;
  file: string;
  /** The last offset this segment can hold (the next segment's first - 1); undefined for the head. */
  lastOffset?: number;
  head: boolean;
  logVersion: 'V1' | 'V2' | null;
  logSize: number;
  indexVersion: 'V1' | 'V2' | null;
  indexSize: number | null;
  /** The index options a V2 index header records; null for V1 (which does not record them) or no index. */
  indexFlags: { keys: boolean; times: boolean } | null;
}

export interface Timeline {
  /** Start of the first bucket and width of each, in microseconds since the epoch. */
  fromMicros: number;
  bucketMicros: number;
  counts: number[];
  /** Counted from a sample of the messages (large logs), scaled to the total. */
  sampled: boolean;
  firstTime: string | null;
  lastTime: string | null;
}

export interface Overview {
  dir: string;
  messages: number;
  size: number;
  segments: number;
  firstOffset: number | null;
  nextOffset: number;
  keyIndex: boolean;
  timeIndex: boolean;
  indexFrom: string;
  segmentFiles: SegmentView[];
  timeline: Timeline;
}

export interface Page {
  /** Where the page starts (the asked offset, made concrete). */
  from: number;
  messages: ShownMessage[];
  /** Where the next page starts. */
  nextOffset: number;
  /** Where the previous page starts, or null on the first page. */
  prevOffset: number | null;
  firstOffset: number | null;
  /** The log's next offset (one past the newest message). */
  endOffset: number;
}

export interface KeyResult {
  key: Shown;
  /** Found through the key index (else by reading the log). */
  indexed: boolean;
  /** The newest message with the key (only known with a key index, or once a scan has read the whole log). */
  latest: ShownMessage | null;
  messages: ShownMessage[];
  /** Where to continue for more. */
  nextOffset: number;
  /** Nothing more to read. */
  done: boolean;
}

export interface TimeResult {
  time: string;
  timeMicros: number;
  indexed: boolean;
  /** The first message at or after the time; null when none (yet) was found. */
  found: ShownMessage | null;
  /** Without a time index, a search that stopped at its budget continues here. */
  nextOffset: number;
  done: boolean;
}

/**
 * A projection's checkpoint record (the Checkpoint of projections/records.ts,
 * which runs on Node): `next` is the source offset to resume at, `last` the
 * last event applied (-1: none yet), `at` the record's own offset, `writes`
 * the state records the same publish wrote before it.
 */
export type CheckpointView = {
  projection: string;
  version: number;
  next: number;
  last: number;
  at: number;
  writes: number;
};

export interface StateRow {
  key: string;
  state: Shown;
  /** Source offset of the event that produced the state. */
  sourceOffset: number | null;
  /** Offset of the record in the state log. */
  stateOffset: number;
  time: string;
}

export interface Lag {
  /** The source's next offset. */
  sourceHead: number;
  /** Events in the source the checkpoint has not reached. */
  events: number;
  /** Age of the oldest of them, in seconds (0 when caught up). */
  seconds: number;
}

export interface ProjectionSummary {
  name: string;
  /** What keeps its state there: a projection, or a reactor or workflow run by the same runner. */
  kind: 'projection' | 'reactor' | 'workflow';
  /** The source offset it resumes at (a projection's `checkpoint.next`); null before its first commit. */
  next: number | null;
  generation: number | null;
  stateLog: string | null;
  deadLetterLog: string | null;
  checkpoint: CheckpointView | null;
  /** Why the checkpoint record cannot be trusted, when it cannot. */
  checkpointProblem?: string;
  /** When the checkpoint was committed, and how long ago (seconds). */
  committedAt: string | null;
  committedAgo: number | null;
  /** State records after the checkpoint: a commit under way, or one a crash tore. */
  uncommitted: number;
  /** Keys with a state (always 0 for reactors and workflows). */
  keys: number;
  /** Events given up on (projections and reactors). */
  deadLetters: number;
  /** null when the source is unknown (see `--source`). */
  lag: Lag | null;
  sourceLog: string | null;
}

export interface ProjectionStates extends ProjectionSummary {
  query: string;
  inValues: boolean;
  /** Keys whose name matches (searching keys only), else null. */
  matched: number | null;
  states: StateRow[];
  /** Continue after this key for more; null when there is no more. */
  nextAfter: string | null;
}

/** The live tail's `ready` event. */
export interface TailReady {
  nextOffset: number;
}

/** The live tail's `failed` event: the message, and the code an error reply would carry. */
export interface TailFailed {
  error: string;
  code: string;
}

/** The body of every error reply: the message, the HTTP status, and a code to switch on. */
export interface ErrorReply {
  error: string;
  status: number;
  /** The KlevdbError's code (ERR_HTTP for the HTTP-only refusals), Node's errno code, or ERR_INTERNAL. */
  code: string;
}
