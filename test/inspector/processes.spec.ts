// The inspector's projections view beside reactors and workflows (issue 19,
// section 4): a runner's store keeps a reactor's and a workflow's checkpoint
// in a directory like a projection's; the view tells them apart (`kind`),
// shows their checkpoint, lag and dead letters, and no states; a damaged
// checkpoint record is reported, not a failure.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { open } from '../../src/index.js';
import { openEventStore, type EventStore } from '../../src/eventstore/index.js';
import { startInspector, type Inspector } from '../../src/inspector/index.js';
import type { ProjectionStates, ProjectionSummary, WorkflowInstances } from '../../src/inspector/browser/api-types.js';
import { workflowEvents } from '../../src/processes/index.js';
import { getJson, tempDir } from './helpers.js';
import { Placed, runProcesses } from './process-fixture.js';

describe('inspector: reactors and workflows', function () {
  this.timeout(60_000);
  const root = tempDir('processes');
  const eventsDir = path.join(root, 'events');
  const stateDir = path.join(root, 'state');
  let store: EventStore;
  let inspector: Inspector;
  const url = (p: string): string => new URL(p, inspector.url).toString();
  const byName = async (): Promise<Record<string, ProjectionSummary>> => {
    const { projections } = await getJson<{ projections: ProjectionSummary[] }>(url('/api/projections'));
    return Object.fromEntries(projections.map((p) => [p.name, p]));
  };

  before(async () => {
    store = (await openEventStore(eventsDir, { events: [Placed, ...workflowEvents] })) as unknown as EventStore;
    await runProcesses(store, stateDir);
    inspector = await startInspector({ dir: eventsDir, projections: stateDir });
  });

  after(async () => {
    await inspector?.close();
    await store?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('shows a reactor as a reactor: its checkpoint, dead letters and lag', async () => {
    const head = (await getJson<{ nextOffset: number }>(url('/api/overview'))).nextOffset;
    const { mailer } = await byName();
    expect(mailer).to.include({ kind: 'reactor', deadLetters: 1, keys: 0, uncommitted: 0, checkpoint: null });
    expect(mailer!.checkpointProblem).to.equal(undefined);
    // It handled the four orders (and, as they are in the store too, some of the workflow's records).
    expect(mailer!.next).to.be.within(4, head);
    expect(mailer!.lag).to.include({ sourceHead: head, events: head - mailer!.next! });
    expect(mailer!.committedAgo).to.be.within(0, 60);
  });

  it('shows a workflow as a workflow: its checkpoint and lag past its own records', async () => {
    const head = (await getJson<{ nextOffset: number }>(url('/api/overview'))).nextOffset;
    expect(head, 'the workflow recorded its inputs in the store').to.be.greaterThan(4);
    const { orders } = await byName();
    expect(orders).to.include({ kind: 'workflow', keys: 0, deadLetters: 0, checkpoint: null });
    expect(orders!.next).to.be.within(4, head);
    expect(orders!.lag).to.include({ sourceHead: head, events: head - orders!.next! });
    const page = await getJson<ProjectionStates>(url('/api/projection?name=orders'));
    expect(page).to.include({ kind: 'workflow', nextAfter: null });
    expect(page.states).to.deep.equal([]);
  });

  it("lists a workflow's instances from the event store: stream, records and the newest record, paged", async () => {
    const all = await getJson<WorkflowInstances>(url('/api/workflow?name=orders'));
    expect(all).to.include({ name: 'orders', count: 4, nextAfter: null });
    expect(all.instances.map((i) => i.id)).to.deep.equal(['o-0', 'o-1', 'o-2', 'o-3']);
    expect(all.instances[0]).to.include({ stream: 'workflow-orders-o-0', records: 1 });
    const last = JSON.parse(all.instances[0]!.last.value.text) as { type: string; data: { workflowId: string } };
    expect(last).to.deep.include({ type: 'WorkflowInputRecorded' });
    expect(last.data.workflowId).to.equal('o-0');
    const page1 = await getJson<WorkflowInstances>(url('/api/workflow?name=orders&limit=3'));
    expect(page1.instances.map((i) => i.id)).to.deep.equal(['o-0', 'o-1', 'o-2']);
    expect(page1.nextAfter).to.equal('o-2');
    const page2 = await getJson<WorkflowInstances>(url(`/api/workflow?name=orders&limit=3&after=${page1.nextAfter}`));
    expect(page2.instances.map((i) => i.id)).to.deep.equal(['o-3']);
    expect(page2.nextAfter).to.equal(null);
    // Records published since are read on from where the last look stopped.
    const [recorded] = workflowEvents;
    const input = { type: 'Placed', data: { orderId: 'o-4' } };
    const data = {
      workflow: 'orders',
      workflowId: 'o-4',
      inputId: 'i-4',
      input,
      outcome: 'handled' as const,
      outputs: [],
    };
    await store.appendToStream('workflow-orders-o-4', recorded(data));
    const more = await getJson<WorkflowInstances>(url('/api/workflow?name=orders&after=o-3'));
    expect(more.count).to.equal(5);
    expect(more.instances).to.have.length(1);
    expect(more.instances[0]).to.include({ id: 'o-4', stream: 'workflow-orders-o-4', records: 1 });
  });

  it('refuses a name that is no workflow, and a bad limit, naming what is wrong', async () => {
    const reactorName = await getJson<{ code: string; error: string }>(url('/api/workflow?name=mailer'), 404);
    expect(reactorName.error).to.match(/no workflow "mailer"/);
    await getJson(url('/api/workflow?name=nope'), 404);
    const missing = await getJson<{ code: string; error: string }>(url('/api/workflow'), 400);
    expect(missing).to.include({ code: 'ERR_INVALID_ARGUMENT' });
    expect(missing.error).to.match(/name/);
    await getJson(url('/api/workflow?name=orders&limit=0'), 400);
  });

  it('reports a damaged checkpoint record instead of failing or calling it a projection', async () => {
    const { generation } = (await byName()).mailer!;
    const log = await open(path.join(stateDir, 'mailer', `gen-${generation}`, 'state'), { keyIndex: true });
    try {
      await log.publish([{ key: '\u0000klevdb.reactor.checkpoint', value: '{"next":"soon"}' }]);
    } finally {
      await log.close();
    }
    const { mailer } = await byName();
    expect(mailer).to.include({ kind: 'reactor', next: null, lag: null });
    expect(mailer!.checkpointProblem).to.match(/no valid next \(offset \d+\)/);
  });
});
