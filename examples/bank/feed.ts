// The reactive subscriber: prints each event as it lands in the log, and the
// command side's notices (conflicts retried, commands refused) between them.
import { Subscription } from 'rxjs';
import type { EventStore, RecordedEvent } from '../../src/eventstore/index.js';
import { WorkflowInputRecorded, type InputRecord } from '../../src/processes/index.js';
import type { AccountCommand } from './account.js';
import type { Print } from '../shared/output.js';
import { accountOf, type BankEvent } from './events.js';
import { money } from './money.js';
import type { Notice, Notices } from './notices.js';
import type { Recorded } from './projections.js';

export function describeEvent(event: Recorded): string {
  switch (event.type) {
    case 'AccountOpened':
      return `owner ${event.data.owner}`;
    case 'Deposited':
      return `+${money(event.data.amount)}`;
    case 'Withdrawn':
      return `-${money(event.data.amount)}`;
    case 'TransferSent':
      return `-${money(event.data.amount)} to ${event.data.to}`;
    case 'TransferReceived':
      return `+${money(event.data.amount)} from ${event.data.from}`;
    case 'TransferRefunded':
      return `+${money(event.data.amount)} back: the transfer to ${event.data.to} was refused`;
  }
}

/** A transfer workflow's record: the input it took and what it decided. */
function describeRecord(record: InputRecord): string {
  const outputs = record.outputs.map((o) =>
    o.type === 'send' ? `send ${(o.command as AccountCommand).type} to ${accountOf(o.streamId)}` : o.type,
  );
  const did = record.outcome === 'handled' ? outputs.join(', ') || 'nothing to do' : record.outcome;
  return `${record.input.type} -> ${did}`;
}

export function describeNotice(notice: Notice): string {
  const who = accountOf(notice.streamId);
  return notice.kind === 'conflict'
    ? `  ~ ${who}: concurrency conflict (expected v${notice.expected}, found v${notice.actual}), retrying`
    : `  x ${who}: ${notice.command} refused: ${notice.reason}`;
}

export class Feed {
  private readonly subscription = new Subscription();
  private position: number;
  private readonly waiters: Array<{ offset: number; resolve: () => void }> = [];
  /** How many events it printed. */
  seen = 0;

  /** Starts printing the events from `fromPosition` on, and every notice from now on. */
  constructor(store: EventStore<BankEvent>, notices: Notices, print: Print, fromPosition: number) {
    this.position = fromPosition;
    this.subscription.add(
      store.subscribeToAll({ fromPosition }).subscribe({
        next: (event) => {
          const m = event.meta;
          const record = event as unknown as RecordedEvent;
          print(
            record.type === WorkflowInputRecorded.type
              ? `  @${String(m.position).padEnd(4)} transfer ${(record.data as InputRecord).workflowId}: ${describeRecord(record.data as InputRecord)}`
              : `  @${String(m.position).padEnd(4)} ${accountOf(m.streamId).padEnd(6)} v${String(m.streamVersion).padEnd(3)} ${event.type.padEnd(17)} ${describeEvent(event)}`,
          );
          this.seen++;
          this.position = m.position + 1;
          this.wake();
        },
        error: (err: unknown) => print(`  feed stopped: ${err instanceof Error ? err.message : String(err)}`),
      }),
    );
    this.subscription.add(notices.subscribe((notice) => print(describeNotice(notice))));
  }

  /** Resolves once every event before `offset` is printed. */
  reached(offset: number): Promise<void> {
    if (this.position >= offset) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ offset, resolve }));
  }

  stop(): void {
    this.subscription.unsubscribe();
  }

  private wake(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.position >= this.waiters[i]!.offset) this.waiters.splice(i, 1)[0]!.resolve();
    }
  }
}
