/**
 * Injection tokens. Logs and stores are interfaces, which leave nothing at
 * run time for tsyringe to resolve by type, so constructors ask for them by
 * token: `@inject(Tokens.EventStore) store: EventStore<AccountEvent>`.
 */
import type { InjectionToken } from 'tsyringe';
import type { SnapshotStore } from '../aggregates/snapshot-store.js';
import type { EventStore } from '../eventstore/event-store.js';
import type { BlockingLog, Log } from '../storage/types.js';

export const Tokens = {
  /** The log the event store writes to. */
  EventLog: Symbol('klevdb.EventLog') as InjectionToken<BlockingLog>,
  /** The compacted log of snapshots. */
  SnapshotLog: Symbol('klevdb.SnapshotLog') as InjectionToken<Log>,
  EventStore: Symbol('klevdb.EventStore') as InjectionToken<EventStore>,
  SnapshotStore: Symbol('klevdb.SnapshotStore') as InjectionToken<SnapshotStore>,
} as const;
