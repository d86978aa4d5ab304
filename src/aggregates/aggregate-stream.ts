/** Loading an aggregate's state: the newest usable snapshot, then only the events after it. */
import type { Event, EventStore } from '../eventstore/index.js';
import { stateVersionOf, type Decider } from './decider.js';
import type { Snapshot, SnapshotStore } from './snapshot-store.js';

export interface SnapshotOptions<State> {
  store: SnapshotStore;
  /** Save a snapshot once this many events were appended since the last one (default 100). */
  every?: number;
  /** For a state JSON cannot hold as it is (Map, Date, class instances); default: the state itself. */
  toJSON?: (state: State) => unknown;
  /** The inverse of toJSON; throwing makes the snapshot ignored, as if there were none. */
  fromJSON?: (json: unknown) => State;
}

export interface AggregateStreamOptions<State> {
  snapshots?: SnapshotOptions<State>;
}

export interface LoadedAggregate<State> {
  state: State;
  /** The stream version the state includes (0: no events). */
  version: number;
  /** Log offset of the newest event the state includes; -1 with none. */
  position: number;
  /** The stream version of the snapshot the load started from; 0 when it used none. */
  snapshotVersion: number;
}

type Folding<State, E extends Event> = Pick<Decider<State, never, E>, 'initialState' | 'evolve' | 'stateVersion'>;

/**
 * `store` may hold more event types than the decider folds (one store, many
 * deciders): every event of the stream is handed to evolve, which must return
 * the state unchanged for a type it does not know.
 */
export async function aggregateStream<State, E extends StoreEvent, StoreEvent extends Event = E>(
  store: EventStore<StoreEvent>,
  streamId: string,
  decider: Folding<State, E>,
  options: AggregateStreamOptions<State> = {},
): Promise<LoadedAggregate<State>> {
  const start = options.snapshots ? await fromSnapshot(store, streamId, decider, options.snapshots) : undefined;
  let state = start ? start.state : decider.initialState();
  let version = start?.version ?? 0;
  let position = start?.position ?? -1;
  const { events } = await store.readStream(
    streamId,
    start ? { fromPosition: position + 1, fromVersion: version + 1 } : {},
  );
  for (const event of events) {
    // The stream's events are the decider's own unless another decider wrote to this stream id (see above).
    state = decider.evolve(state, event as unknown as E);
    version = event.meta.streamVersion;
    position = event.meta.position;
  }
  return { state, version, position, snapshotVersion: start?.version ?? 0 };
}

async function fromSnapshot<State, E extends Event>(
  store: Pick<EventStore, 'streamVersion'>,
  streamId: string,
  decider: Folding<State, E>,
  options: SnapshotOptions<State>,
): Promise<{ state: State; version: number; position: number } | undefined> {
  const snapshot = await options.store.load(streamId);
  if (!snapshot || snapshot.stateVersion !== stateVersionOf(decider)) return undefined;
  // A snapshot ahead of its stream belongs to events that are gone (a wiped or restored log).
  if (snapshot.streamVersion > (await store.streamVersion(streamId))) return undefined;
  try {
    const state = options.fromJSON ? options.fromJSON(snapshot.state) : (snapshot.state as State);
    return { state, version: snapshot.streamVersion, position: snapshot.position };
  } catch {
    return undefined;
  }
}

/** The snapshot of a state that includes the stream up to `version` / `position`. */
export function snapshotOf<State>(
  decider: Pick<Decider<State, never, Event>, 'stateVersion'>,
  options: SnapshotOptions<State>,
  state: State,
  version: number,
  position: number,
): Snapshot {
  return {
    stateVersion: stateVersionOf(decider),
    streamVersion: version,
    position,
    state: options.toJSON ? options.toJSON(state) : state,
  };
}
