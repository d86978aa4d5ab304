/**
 * Tells a reactor's or a workflow's directory in a projection runner's store
 * from a projection's: all three keep a generation whose state log holds a
 * checkpoint, each under its own key and in its own shape.
 *
 *  - a projection: CHECKPOINT_KEY, the record of projections/records.ts;
 *  - a reactor: REACTOR_CHECKPOINT_KEY, `{"next": <source offset>}`;
 *  - a workflow: its consumer's durable subscription `workflow-<name>`,
 *    `{"nextOffset": <source offset>}` (the offsets log of klevdb/streams).
 */
import { isLogError } from '../storage/index.js';
import type { Log, Message } from '../storage/index.js';
import { REACTOR_CHECKPOINT_KEY } from '../processes/reactor-store.js';
import { workflowSubscriptionName } from '../processes/workflow-checkpoints.js';
import { parseJson } from './render.js';

export type ProcessKind = 'reactor' | 'workflow';

export interface ProcessCheckpoint {
  kind: ProcessKind;
  /** The source offset it resumes at; null when the record cannot be read (see problem). */
  next: number | null;
  problem?: string;
  timeMicros: number;
}

async function newest(log: Log, key: string): Promise<Message | undefined> {
  try {
    return await log.getByKey(key);
  } catch (err) {
    if (isLogError(err, 'ERR_NOT_FOUND')) return undefined;
    throw err;
  }
}

/** The offset under `field` of a record's JSON, or why there is none. */
function offsetOf(value: Buffer | null, field: string): number | string {
  const parsed = value === null ? undefined : parseJson(value.toString('utf8'));
  if (parsed === undefined) return 'the checkpoint record is not JSON';
  const next = (parsed.value as Record<string, unknown> | null)?.[field];
  if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 0)
    return `the checkpoint record has no valid ${field}`;
  return next;
}

/** The reactor's or workflow's checkpoint the state log of `name` holds; undefined when it holds neither. */
export async function processCheckpoint(log: Log, name: string): Promise<ProcessCheckpoint | undefined> {
  const shapes: [ProcessKind, string, string][] = [
    ['reactor', REACTOR_CHECKPOINT_KEY, 'next'],
    ['workflow', workflowSubscriptionName(name), 'nextOffset'],
  ];
  for (const [kind, key, field] of shapes) {
    const record = await newest(log, key);
    if (!record) continue;
    const next = offsetOf(record.value, field);
    if (typeof next === 'number') return { kind, next, timeMicros: record.timeMicros };
    return { kind, next: null, problem: `${next} (offset ${record.offset})`, timeMicros: record.timeMicros };
  }
  return undefined;
}
