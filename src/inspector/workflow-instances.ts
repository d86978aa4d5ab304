/**
 * A workflow's instances, read from the event store's log (the inspector's
 * source): each instance records every input as one WorkflowInputRecorded
 * event in its stream `workflow-<name>-<id>` (the record's key), whose data
 * names the workflow and the instance. The log has no list of its keys, so
 * the inspector reads it once, from where it stopped before, keeping per
 * instance its record count and its newest record's offset.
 */
import type { Log } from '../storage/index.js';
import type { ShownMessage, WorkflowInstances } from './browser/api-types.js';
import { message } from './log-views.js';
import { parseJson } from './render.js';

const BATCH = 1000;
const RECORDED = 'WorkflowInputRecorded';

interface Instance {
  stream: string;
  records: number;
  last: number;
}

/** The workflow and instance a record is the input record of; undefined for other events. */
function recordOf(key: Buffer | null, value: Buffer | null): { workflow: string; id: string } | undefined {
  if (key === null || value === null || !key.toString('latin1', 0, 9).startsWith('workflow-')) return undefined;
  const event = parseJson(value.toString('utf8'))?.value as { type?: unknown; data?: Record<string, unknown> } | null;
  const data = event?.data;
  if (event?.type !== RECORDED || typeof data?.workflow !== 'string' || typeof data.workflowId !== 'string')
    return undefined;
  return { workflow: data.workflow, id: data.workflowId };
}

export class WorkflowInstanceIndex {
  /** Per workflow, its instances by id. */
  private readonly workflows = new Map<string, Map<string, Instance>>();
  private next = 0;
  private reading: Promise<void> = Promise.resolve();

  constructor(readonly log: Log) {}

  /** A page of `name`'s instances, by id, `limit` at most, after the id `after`. */
  async page(name: string, after: string | undefined, limit: number): Promise<WorkflowInstances> {
    const run = this.reading.then(() => this.read());
    this.reading = run.catch(() => undefined);
    await run;
    const instances = this.workflows.get(name) ?? new Map<string, Instance>();
    const ids = [...instances.keys()].sort().filter((id) => after === undefined || id > after);
    const shown = ids.slice(0, limit);
    return {
      name,
      count: instances.size,
      readTo: this.next,
      instances: await Promise.all(
        shown.map(async (id) => {
          const i = instances.get(id)!;
          const last: ShownMessage = await message(this.log, i.last);
          return { id, stream: i.stream, records: i.records, last };
        }),
      ),
      nextAfter: ids.length > limit ? shown[shown.length - 1]! : null,
    };
  }

  /** Reads the records published since the last look. */
  private async read(): Promise<void> {
    const end = await this.log.nextOffset();
    let offset = this.next;
    while (offset < end) {
      const r = await this.log.consume(offset, BATCH);
      for (const m of r.messages) {
        const record = recordOf(m.key, m.value);
        if (!record) continue;
        let instances = this.workflows.get(record.workflow);
        if (!instances) this.workflows.set(record.workflow, (instances = new Map<string, Instance>()));
        const known = instances.get(record.id);
        if (known) {
          known.records++;
          known.last = m.offset;
        } else instances.set(record.id, { stream: m.key!.toString('utf8'), records: 1, last: m.offset });
      }
      if (r.nextOffset <= offset) break;
      offset = r.nextOffset;
    }
    this.next = Math.max(this.next, offset);
  }
}
