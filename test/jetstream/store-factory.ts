// The event store suites' third backend: stores over JetStream streams on a
// server started for the calling describe. Events and snapshots each get a
// stream of their own; every store opens its own connection, so `another`
// is a second process as far as the server can tell.
import { LogEventStore } from '../../src/eventstore/index.js';
import { SnapshotStore } from '../../src/aggregates/index.js';
import { openJetStream } from '../../src/jetstream/index.js';
import { accountEvents, type AccountEvent } from '../eventstore/fixtures/account.js';
import { placeFixture, type StoreFactory } from '../contracts/event-stores.js';
import { useNatsServer } from '../helpers/nats-server.js';

let streams = 0;

/** Registers the server's hooks around the calling describe; returns the factory. */
export function useJetStreamStores(): StoreFactory {
  const server = useNatsServer();
  return {
    name: 'JetStream store',
    kind: 'server',
    multiWriter: true,
    async create(options = {}) {
      const stream = `STORE${process.pid}_${++streams}`;
      const open = (name: string) => openJetStream({ servers: server().url, stream: name });
      return placeFixture(
        {
          openStore: async (cache) =>
            new LogEventStore<AccountEvent>(await open(stream), { ...cache, events: accountEvents }),
          openSnapshots: async (snapshotOptions) =>
            new SnapshotStore(await open(`${stream}_SNAPSHOTS`), snapshotOptions),
          shared: true,
        },
        options,
      );
    },
  };
}
