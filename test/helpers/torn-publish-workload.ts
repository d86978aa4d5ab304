// Shared by test/helpers/torn-publish-child.ts and test/storage/head-repair.spec.ts.
import type { Options, PublishMessage } from '../../src/index.js';

export const TORN_OPTIONS: Options = { createDirs: true, keyIndex: true, timeIndex: true };

/** The message at `offset`: a value derived from it, so every message read back can be checked. */
export function tornMessage(offset: number): PublishMessage {
  const value = Buffer.alloc(100, offset % 251);
  value.writeUInt32BE(offset, 0);
  return { key: `k${offset % 13}`, value, time: new Date(1_700_000_000_000 + offset) };
}

/** How many messages the child publishes at `from`: 1 to 4, varying, so index writes hold several items. */
export const batchAt = (from: number): number => 1 + (from % 4);
