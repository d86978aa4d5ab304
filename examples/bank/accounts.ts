// The command side: an @injectable service running account commands through
// the command handler (load, decide, append with the loaded version; on a
// ConcurrencyError reload and decide again), with snapshots every 20 events.
import { inject, injectable, Tokens } from '../../src/di/index.js';
import {
  aggregateStream,
  commandHandler,
  type CommandHandler,
  type CommandResult,
  type SnapshotOptions,
  type SnapshotStore,
} from '../../src/aggregates/index.js';
import type { EventStore } from '../../src/eventstore/index.js';
import { account, type AccountCommand, type AccountState } from './account.js';
import { reportingConflicts } from './conflicts.js';
import { streamOf, type BankEvent } from './events.js';
import { Notices } from './notices.js';

export type AccountResult = CommandResult<AccountState, BankEvent>;

@injectable()
export class Accounts {
  private readonly handle: CommandHandler<AccountState, AccountCommand, BankEvent>;
  private readonly snapshots: SnapshotOptions<AccountState>;

  constructor(
    @inject(Tokens.EventStore) private readonly store: EventStore<BankEvent>,
    @inject(Tokens.SnapshotStore) snapshotStore: SnapshotStore,
    private readonly notices: Notices,
  ) {
    const watched = reportingConflicts(store, (err) =>
      notices.next({ kind: 'conflict', streamId: err.streamId, expected: err.expected, actual: err.actual }),
    );
    this.snapshots = { store: snapshotStore, every: 20 };
    this.handle = commandHandler(account, watched, { retries: 5, snapshots: this.snapshots });
  }

  /** Opening twice with the same command id is a no-op: the first result comes back. */
  open(id: string, owner: string): Promise<AccountResult> {
    return this.run(id, { type: 'Open', owner }, `open-${id}`);
  }

  deposit(id: string, amount: number, commandId?: string): Promise<AccountResult> {
    return this.run(id, { type: 'Deposit', amount }, commandId);
  }

  withdraw(id: string, amount: number, commandId?: string): Promise<AccountResult> {
    return this.run(id, { type: 'Withdraw', amount }, commandId);
  }

  /** The account's state as the command side sees it (the projection is the read side). */
  async state(id: string): Promise<AccountState> {
    return (await aggregateStream(this.store, streamOf(id), account, { snapshots: this.snapshots })).state;
  }

  /** The command handler itself, with refusals told as notices: the transfer workflow sends its commands here. */
  readonly commands: CommandHandler<AccountState, AccountCommand, BankEvent> = async (streamId, command, options) => {
    try {
      return await this.handle(streamId, command, options);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.notices.next({ kind: 'rejected', streamId, command: command.type, reason });
      throw err;
    }
  };

  private run(id: string, command: AccountCommand, commandId?: string): Promise<AccountResult> {
    return this.commands(streamOf(id), command, { commandId });
  }
}
