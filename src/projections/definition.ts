/**
 * What a projection is: a name, a source, the event types it handles, a key
 * per event, an initial state and a pure fold. Written as a plain object or
 * as an @injectable class (the runner resolves it with tsyringe); either way
 * it is checked once here and turned into the shape the runner uses.
 */
import type { Event, EventStore, RecordedEvent } from '../eventstore/index.js';
import type { BlockingLog, Log, Message } from '../storage/index.js';
import { invalidArgument } from '../storage/backend-kit.js';
import { toSource, typeOf, type ProjectionSource, type ProjectionSourceInput } from './source.js';

// Events are whatever the source yields: decoded messages, recorded events.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ProjectionDefinition<S, E = any> {
  /** Names the projection's directory, so letters, digits, '.', '_' and '-' only. */
  readonly name: string;
  readonly source: ProjectionSourceInput<E>;
  /** Event types (names, or event types from defineEvent) to apply; others are passed over. Default: all. */
  readonly handles?: readonly (string | { readonly type: string })[];
  /** The key whose state the event changes; null or undefined: the event is not for this projection. */
  key(event: E): string | null | undefined;
  /** The state of a key before its first event (and after a delete). */
  initialState(key: string): S;
  /** Pure: the new state, or null to delete the key (written as a tombstone). Never mutate `state`. */
  apply(state: S, event: E): S | null;
  /** Bump when apply or the state's shape changes: state written by another version is dropped and rebuilt. Default 1. */
  readonly version?: number;
  /** For a state JSON cannot hold as it is (Map, Date, class instances). */
  toJSON?(state: S): unknown;
  fromJSON?(json: unknown): S;
}

/**
 * A definition with its event type inferred from its source: an event
 * store's recorded events, a ProjectionSource's events, or a log's messages.
 * Returns the definition unchanged; only the types gain.
 */
export function defineProjection<S, X extends Event>(
  definition: ProjectionDefinition<S, RecordedEvent<X>> & { readonly source: EventStore<X> },
): ProjectionDefinition<S, RecordedEvent<X>>;
export function defineProjection<S, E>(
  definition: ProjectionDefinition<S, E> & { readonly source: ProjectionSource<E> },
): ProjectionDefinition<S, E>;
export function defineProjection<S>(
  definition: ProjectionDefinition<S, Message> & { readonly source: Log | BlockingLog },
): ProjectionDefinition<S, Message>;
export function defineProjection<S, E>(definition: ProjectionDefinition<S, E>): ProjectionDefinition<S, E> {
  return definition;
}

/** A definition checked and bound, as the runner uses it. */
export interface ResolvedDefinition<S, E> {
  readonly name: string;
  readonly version: number;
  readonly source: ProjectionSource<E>;
  /** True when the event's type is one the projection handles. */
  handles(event: E): boolean;
  key(event: E): string | null | undefined;
  initialState(key: string): S;
  apply(state: S, event: E): S | null;
  toJSON(state: S): unknown;
  fromJSON(json: unknown): S;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function resolveDefinition<S, E>(
  definition: ProjectionDefinition<S, E>,
  arg = 'definition',
): ResolvedDefinition<S, E> {
  if (typeof definition !== 'object' || definition === null) {
    throw invalidArgument(
      `${arg} must be a projection definition object or an @injectable class, got ${String(definition)}`,
    );
  }
  const d = definition;
  if (typeof d.name !== 'string' || !NAME.test(d.name)) {
    throw invalidArgument(
      `${arg}.name must be 1 to 100 letters, digits, '.', '_' or '-' (it names a directory), got ${JSON.stringify(d.name)}`,
    );
  }
  const name = `${arg}.name "${d.name}"`;
  for (const fn of ['key', 'initialState', 'apply'] as const) {
    if (typeof d[fn] !== 'function') throw invalidArgument(`${arg}.${fn} must be a function (projection ${name})`);
  }
  for (const fn of ['toJSON', 'fromJSON'] as const) {
    if (d[fn] !== undefined && typeof d[fn] !== 'function')
      throw invalidArgument(`${arg}.${fn} must be a function when given (projection ${name})`);
  }
  const version = d.version ?? 1;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw invalidArgument(`${arg}.version must be an integer >= 1, got ${String(version)} (projection ${name})`);
  }
  const types = handledTypes(d.handles, arg);
  return {
    name: d.name,
    version,
    source: toSource<E>(d.source, `${arg}.source`),
    handles: handlesOf(types),
    key: (event) => d.key(event),
    initialState: (key) => d.initialState(key),
    apply: (state, event) => d.apply(state, event),
    toJSON: d.toJSON ? (state) => d.toJSON!(state) : (state) => state,
    fromJSON: d.fromJSON ? (json) => d.fromJSON!(json) : (json) => json as S,
  };
}

/** The test of an event's type, run per event: one type, the usual case, is one string comparison. */
function handlesOf(types: Set<string> | undefined): (event: unknown) => boolean {
  if (types === undefined) return () => true;
  if (types.size === 1) {
    const [only] = types;
    return (event) => typeOf(event) === only;
  }
  return (event) => types.has(typeOf(event) as string);
}

/** The event types `handles` names, checked; undefined: all types. */
export function handledTypes(handles: unknown, arg: string): Set<string> | undefined {
  if (handles === undefined) return undefined;
  if (!Array.isArray(handles))
    throw invalidArgument(`${arg}.handles must be an array of event type names or event types`);
  return new Set(
    handles.map((h: unknown, i) => {
      const type = typeof h === 'string' ? h : typeOf(h);
      if (type === undefined || type.length === 0) {
        throw invalidArgument(
          `${arg}.handles[${i}] must be an event type name or an event type (defineEvent), got ${String(h)}`,
        );
      }
      return type;
    }),
  );
}
