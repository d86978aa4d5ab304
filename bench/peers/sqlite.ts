/**
 * better-sqlite3 as an event log: one table with the offset as its integer
 * primary key (the rowid, so no second copy), indexes on key and time, WAL,
 * synchronous=OFF (FULL for autoSync, which syncs the WAL on every commit).
 * Statements are prepared once and read in raw (array) mode, its fastest.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LogError } from '../../src/storage/errors.js';
import type { ConsumeResult, Message } from '../../src/storage/types.js';
import type { BenchMessage } from '../workload.js';
import { type Peer, type Store, type StoreOptions, toMessage } from './peer.js';

type Row = [offset: number, time: number, key: Buffer, value: Buffer];

const COLUMNS = 'offset, time, key, value';

function rowToMessage(row: Row): Message {
  return toMessage(row[0], row[1], row[2], row[3]);
}

class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly insertBatch: (messages: BenchMessage[]) => void;
  private readonly selectFrom: Database.Statement<[number, number], Row>;
  private readonly selectOffset: Database.Statement<[number], Row>;
  private readonly selectKey: Database.Statement<[Buffer], Row>;
  private readonly selectTime: Database.Statement<[number], Row>;
  private next: number;

  constructor(file: string, options: StoreOptions) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.autoSync ? 'FULL' : 'OFF'}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS messages (offset INTEGER PRIMARY KEY, time INTEGER NOT NULL, key BLOB, value BLOB);
      CREATE INDEX IF NOT EXISTS messages_key ON messages (key);
      CREATE INDEX IF NOT EXISTS messages_time ON messages (time);
    `);
    const last = this.db.prepare<[], { last: number | null }>('SELECT max(offset) AS last FROM messages').get();
    this.next = last?.last == null ? 0 : last.last + 1;

    const insert = this.db.prepare<[number, number, Buffer, Buffer]>(
      'INSERT INTO messages (offset, time, key, value) VALUES (?, ?, ?, ?)',
    );
    this.insertBatch = this.db.transaction((messages: BenchMessage[]) => {
      for (const m of messages) insert.run(this.next++, m.timeMicros, m.key, m.value);
    });
    const select = <P extends unknown[]>(where: string) =>
      this.db.prepare<P, Row>(`SELECT ${COLUMNS} FROM messages ${where}`).raw(true);
    this.selectFrom = select('WHERE offset >= ? ORDER BY offset LIMIT ?');
    this.selectOffset = select('WHERE offset = ?');
    // The key index holds the rowid, so "last offset for a key" is one index probe.
    this.selectKey = select('WHERE key = ? ORDER BY offset DESC LIMIT 1');
    this.selectTime = select('WHERE time >= ? ORDER BY time, offset LIMIT 1');
  }

  async publish(messages: BenchMessage[]): Promise<number> {
    this.insertBatch(messages);
    return this.next;
  }

  async consume(offset: number, maxCount: number): Promise<ConsumeResult> {
    const messages = this.selectFrom.all(offset, maxCount).map(rowToMessage);
    const nextOffset = messages.length > 0 ? messages[messages.length - 1].offset + 1 : Math.max(offset, this.next);
    return { nextOffset, messages };
  }

  async get(offset: number): Promise<Message> {
    return found(this.selectOffset.get(offset), 'offset');
  }

  async getByKey(key: string): Promise<Message> {
    return found(this.selectKey.get(Buffer.from(key, 'latin1')), 'key');
  }

  async getByTime(start: Date): Promise<Message> {
    return found(this.selectTime.get(start.getTime() * 1000), 'time');
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function found(row: Row | undefined, what: string): Message {
  if (!row) throw new LogError('ERR_NOT_FOUND', `sqlite: ${what} not found`);
  return rowToMessage(row);
}

export const peer: Peer = {
  name: 'sqlite',
  setup:
    'better-sqlite3 12.11.1: one table, offset INTEGER PRIMARY KEY, indexes on key and time, WAL, synchronous=OFF (FULL with autoSync)',
  open: async (dir, options) => {
    fs.mkdirSync(dir, { recursive: true });
    return new SqliteStore(path.join(dir, 'log.sqlite'), options);
  },
};
