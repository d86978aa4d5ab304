/**
 * The NATS client, an optional peer dependency of klevdb/jetstream: the one
 * place this subpath takes values from it (types come straight from the
 * package, and vanish at run time). Importing klevdb/jetstream without it
 * installed fails here with a MissingPeerError naming the npm command.
 */
import type * as Nats from '@nats-io/transport-node';
import { importPeer, type OptionalPeer } from '../optional-peer.js';

export const NATS_CLIENT: OptionalPeer = {
  name: '@nats-io/transport-node',
  feature: 'klevdb/jetstream',
  install: 'npm install @nats-io/transport-node@~3.3.1',
  note: '3.3 runs on Node 20; 3.4 and later need Node 22',
};

const nats = await importPeer<typeof Nats>(NATS_CLIENT);

export const {
  connect,
  createInbox,
  headers,
  nuid,
  ClosedConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
} = nats;
