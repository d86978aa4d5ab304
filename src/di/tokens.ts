/**
 * Injection tokens. Logs and stores are interfaces, which leave nothing at
 * run time for tsyringe to resolve by type, so constructors ask for them by
 * token: `@inject(Tokens.EventStore) store: EventStore<AccountEvent>`.
 */
import type { InjectionToken } from 'tsyringe';
import type { SnapshotStore } from '../aggregates/snapshot-store.js';
import type { Event, EventStore } from '../eventstore/index.js';
import type { BlockingLog, Log } from '../storage/index.js';

const EVENT_STORE = Symbol('klevdb.EventStore');

export const Tokens = {
  /** The log the event store writes to. */
  EventLog: Symbol('klevdb.EventLog') as InjectionToken<BlockingLog>,
  /** The compacted log of snapshots. */
  SnapshotLog: Symbol('klevdb.SnapshotLog') as InjectionToken<Log>,
  /**
   * The event store, of whatever events the app declared. Typed with `any`
   * events so that `container.resolve<EventStore<MyEvent>>(Tokens.EventStore)`
   * type-checks (an EventStore<Event> is not an EventStore<MyEvent>); for a
   * resolve typed without writing the type twice, use eventStoreToken<MyEvent>().
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  EventStore: EVENT_STORE as InjectionToken<EventStore<any>>,
  SnapshotStore: Symbol('klevdb.SnapshotStore') as InjectionToken<SnapshotStore>,
} as const;

/**
 * Tokens.EventStore typed with the app's event union:
 * `container.resolve(eventStoreToken<InventoryEvent>())` is an EventStore<InventoryEvent>.
 * The same token at run time, so it resolves what the containers registered.
 */
export function eventStoreToken<E extends Event>(): InjectionToken<EventStore<E>> {
  return EVENT_STORE;
}
