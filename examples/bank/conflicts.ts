// An EventStore that tells when an append lost an optimistic-concurrency
// race. The command handler retries such an append on its own (reload,
// decide again); this wrapper only makes the retries visible.
import {
  ConcurrencyError,
  type AppendOptions,
  type AppendResult,
  type Event,
  type EventStore,
} from '../../src/eventstore/index.js';

export function reportingConflicts<E extends Event>(
  store: EventStore<E>,
  onConflict: (error: ConcurrencyError) => void,
): EventStore<E> {
  return {
    async appendToStream(
      streamId: string,
      events: E | readonly E[],
      options?: AppendOptions,
    ): Promise<AppendResult<E>> {
      try {
        return await store.appendToStream(streamId, events, options);
      } catch (err) {
        if (err instanceof ConcurrencyError) onConflict(err);
        throw err;
      }
    },
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    subscribeToStream: (...args) => store.subscribeToStream(...args),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    headPosition: () => store.headPosition(),
    streamVersion: (...args) => store.streamVersion(...args),
    appliedCommand: (...args) => store.appliedCommand(...args),
    close: () => store.close(),
  };
}
