/**
 * The systems bench/decider.ts compares on issue 18's bank-account decider:
 * our event store and command handler on three stores (a log with default
 * options, a log with autoSync, the in-memory store) and Emmett 0.38.5 on
 * its two (SQLite through sqlite3, and in memory), each behind the same
 * small interface so one driver measures them all alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  DeciderCommandHandler,
  getInMemoryEventStore,
  type Command as EmmettCommand,
  type Event as EmmettEvent,
  type EventStore as EmmettStore,
} from '@event-driven-io/emmett';
import { getSQLiteEventStore } from '@event-driven-io/emmett-sqlite';
import { z } from 'zod';
import { commandHandler, type Decider } from '../src/aggregates/index.js';
import {
  defineEvent,
  inMemoryEventStore,
  openEventStore,
  type EventsOf,
  type LogEventStore,
} from '../src/eventstore/index.js';

export const Deposited = defineEvent('Deposited', z.object({ amount: z.number().int().positive() }));
export const Withdrawn = defineEvent('Withdrawn', z.object({ amount: z.number().int().positive() }));
export const events = [Deposited, Withdrawn] as const;
export type BankEvent = EventsOf<typeof events>;
export type Command = { type: 'Deposit'; amount: number } | { type: 'Withdraw'; amount: number };

export const bank: Decider<{ balance: number }, Command, BankEvent> = {
  initialState: () => ({ balance: 0 }),
  evolve: (s, e) => ({ balance: s.balance + (e.type === 'Deposited' ? e.data.amount : -e.data.amount) }),
  decide: (c, s) => {
    if (c.type === 'Withdraw' && c.amount > s.balance) throw new Error('insufficient funds');
    return c.type === 'Deposit' ? Deposited({ amount: c.amount }) : Withdrawn({ amount: c.amount });
  },
};

/** Three deposits, then a withdrawal: every fourth command reads the balance it must not overdraw. */
export const commandAt = (i: number): Command =>
  i % 4 === 3 ? { type: 'Withdraw', amount: 1 } : { type: 'Deposit', amount: 1 };

export type Kind = 'log' | 'autoSync' | 'memory' | 'emmettSqlite' | 'emmettMemory';
export const KINDS: Kind[] = ['log', 'autoSync', 'memory', 'emmettSqlite', 'emmettMemory'];
export const LABELS: Record<Kind, string> = {
  log: 'klevdb (log, default)',
  autoSync: 'klevdb autoSync',
  memory: 'klevdb in-memory',
  emmettSqlite: 'Emmett SQLite',
  emmettMemory: 'Emmett in-memory',
};

/** What the driver does with a system: commands, setup appends, whole-stream reads. */
export interface DeciderSystem {
  /** One command: load the stream's state, decide, append with the loaded version. */
  handle(stream: string, command: Command): Promise<void>;
  /** Appends `count` deposits to `stream` in one append (setup, not measured). */
  fill(stream: string, count: number): Promise<void>;
  /** Reads the whole stream; resolves to the number of events read. */
  read(stream: string): Promise<number>;
  close(): Promise<void>;
}

let opened = 0;

/** Our event store on a fresh log under `dir` (or in memory). */
export async function openKlevdbStore(kind: 'log' | 'autoSync' | 'memory', dir: string) {
  if (kind === 'memory') return inMemoryEventStore({ events });
  return openEventStore(path.join(dir, `events-${++opened}`), { events, log: { autoSync: kind === 'autoSync' } });
}

function klevdbSystem(store: LogEventStore<BankEvent>): DeciderSystem {
  const handle = commandHandler(bank, store, { retries: 100 });
  return {
    handle: async (stream, command) => void (await handle(stream, command)),
    fill: async (stream, count) =>
      void (await store.appendToStream(
        stream,
        Array.from({ length: count }, (_, i) => Deposited({ amount: i + 1 })),
      )),
    read: async (stream) => (await store.readStream(stream)).events.length,
    close: () => store.close(),
  };
}

// Emmett's shapes of the same events and commands.
type EDeposited = EmmettEvent<'Deposited', { amount: number }>;
type EWithdrawn = EmmettEvent<'Withdrawn', { amount: number }>;
type EBankEvent = EDeposited | EWithdrawn;
type ECommand = EmmettCommand<'Deposit', { amount: number }> | EmmettCommand<'Withdraw', { amount: number }>;

const emmettHandle = DeciderCommandHandler<{ balance: number }, ECommand, EBankEvent>({
  initialState: () => ({ balance: 0 }),
  evolve: (s, e) => ({ balance: s.balance + (e.type === 'Deposited' ? e.data.amount : -e.data.amount) }),
  decide: (c, s): EBankEvent => {
    if (c.type === 'Withdraw' && c.data.amount > s.balance) throw new Error('insufficient funds');
    return c.type === 'Deposit'
      ? { type: 'Deposited', data: { amount: c.data.amount } }
      : { type: 'Withdrawn', data: { amount: c.data.amount } };
  },
  // Concurrent commands on one stream retry, as ours do (retries: 100).
  retry: { onVersionConflict: 100 },
});

function emmettSystem(store: EmmettStore): DeciderSystem {
  return {
    handle: async (stream, command) =>
      void (await emmettHandle(store, stream, { type: command.type, data: { amount: command.amount } })),
    fill: async (stream, count) =>
      void (await store.appendToStream(
        stream,
        Array.from({ length: count }, (_, i): EDeposited => ({ type: 'Deposited', data: { amount: i + 1 } })),
      )),
    read: async (stream) => (await store.readStream(stream)).events.length,
    // The SQLite store opens and closes its connection around every operation: nothing stays open.
    close: async () => {},
  };
}

export async function openSystem(kind: Kind, dir: string): Promise<DeciderSystem> {
  if (kind === 'emmettMemory') return emmettSystem(getInMemoryEventStore());
  if (kind === 'emmettSqlite') {
    fs.mkdirSync(dir, { recursive: true });
    return emmettSystem(
      getSQLiteEventStore({
        fileName: path.join(dir, `emmett-${++opened}.sqlite`),
        schema: { autoMigration: 'CreateOrUpdate' },
      }),
    );
  }
  return klevdbSystem(await openKlevdbStore(kind, dir));
}
