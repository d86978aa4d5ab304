/**
 * The catalog of a projection store: a JetStream log keeping one record per
 * key (the stream keeps one message per subject), each replaced only by
 * compare-and-set on the offset it was read at, so the server decides which
 * of two writers wins.
 */
import { isLogError } from '../storage/index.js';
import type { JetStreamLog } from './log.js';
import type { ProjectionNames } from './projection-names.js';

export interface CatalogRecord {
  offset: number;
  /** null: the record was cleared. */
  value: string | null;
}

export class Catalog {
  constructor(
    readonly log: JetStreamLog,
    readonly names: ProjectionNames,
  ) {}

  /** The record under `key`; undefined when there never was one. */
  async read(key: string): Promise<CatalogRecord | undefined> {
    try {
      const m = await this.log.getByKey(key);
      return { offset: m.offset, value: m.value === null ? null : m.value.toString('utf8') };
    } catch (err) {
      if (isLogError(err, 'ERR_NOT_FOUND')) return undefined;
      throw err;
    }
  }

  /**
   * Writes `value` under `key` if its record is still the one at `expected`
   * (undefined: there was none). Returns the new record's offset, or
   * undefined when another writer replaced it first.
   */
  async replace(key: string, expected: number | undefined, value: string | null): Promise<number | undefined> {
    const r = await this.log.publishExpecting(key, expected ?? null, [{ value }]);
    return r.ok ? r.firstOffset : undefined;
  }
}
