/**
 * Containers with the stores registered: one over log directories for the
 * app, one in memory for tests. Each is a child of the container given (by
 * default tsyringe's global one), so app registrations are inherited and a
 * test's stores never leak into the next test. `container.dispose()` closes
 * the stores and their logs.
 */
import path from 'node:path';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import {
  inMemorySnapshotStore,
  openSnapshotStore,
  type SnapshotStore,
  type SnapshotStoreOptions,
} from '../aggregates/snapshot-store.js';
import { type AnyEventType, inMemoryEventStore, type LogEventStore, openEventStore } from '../eventstore/index.js';
import type { Options } from '../storage/index.js';
import { Tokens } from './tokens.js';

export interface ContainerOptions {
  /** The event types of the app (validated on append, upcast on read). */
  events?: readonly AnyEventType[];
  snapshots?: SnapshotStoreOptions;
  /** Default: tsyringe's global container. */
  parent?: DependencyContainer;
}

export interface AppContainerOptions extends ContainerOptions {
  /** The data directory: events go to `<dir>/events`, snapshots to `<dir>/snapshots`. */
  dir: string;
  /** Options for both logs (keyIndex is always on). */
  log?: Options;
}

export async function createContainer(options: AppContainerOptions): Promise<DependencyContainer> {
  const store = await openEventStore(path.join(options.dir, 'events'), { events: options.events, log: options.log });
  try {
    const snapshots = await openSnapshotStore(path.join(options.dir, 'snapshots'), {
      ...options.snapshots,
      log: options.log,
    });
    return withStores(options.parent ?? rootContainer, store, snapshots);
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** The same registrations over in-memory logs: nothing touches the disk. */
export function createTestContainer(options: ContainerOptions = {}): DependencyContainer {
  return withStores(
    options.parent ?? rootContainer,
    inMemoryEventStore({ events: options.events }),
    inMemorySnapshotStore(options.snapshots),
  );
}

function withStores(parent: DependencyContainer, store: LogEventStore, snapshots: SnapshotStore): DependencyContainer {
  const child = parent.createChildContainer();
  child.registerInstance(Tokens.EventLog, store.log);
  child.registerInstance(Tokens.SnapshotLog, snapshots.log);
  child.registerInstance(Tokens.EventStore, store);
  child.registerInstance(Tokens.SnapshotStore, snapshots);
  // tsyringe disposes only what it constructed; these were handed to it.
  const disposeResolved = child.dispose.bind(child);
  child.dispose = async () => {
    await disposeResolved();
    await Promise.all([store.close(), snapshots.close()]);
  };
  return child;
}
