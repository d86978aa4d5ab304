// commandHandler's spans and metrics, read back through the OpenTelemetry
// SDK's in-memory exporters: the step spans of each attempt under the
// command's span, a conflict retried, the outcomes, and the user's own spans
// nesting under the step that runs them.
import { trace, SpanStatusCode } from '@opentelemetry/api';
import { expect } from 'chai';
import { commandHandler, inMemorySnapshotStore, type Decider } from '../../src/aggregates/index.js';
import { inMemoryEventStore } from '../../src/eventstore/index.js';
import {
  account,
  accountEvents,
  AccountOpened,
  Withdrawn,
  type AccountEvent,
  type AccountState,
  type AccountCommand,
} from '../eventstore/fixtures/account.js';
import { idOf, parentOf, TestSdk } from './sdk.js';

const opened = AccountOpened({ owner: 'ann' });

describe('telemetry: commandHandler', () => {
  let sdk: TestSdk;
  beforeEach(() => (sdk = TestSdk.install()));
  afterEach(() => sdk.uninstall());

  it('a command retried after a conflict: one command span, lookup then load/decide/append per attempt, a retry event', async () => {
    const store = inMemoryEventStore({ events: accountEvents });
    await store.appendToStream('acc-1', opened);
    let sneaked = false;
    // A writer that gets in between the handler's load and its append, once; the user's span inside decide.
    const racing: Decider<AccountState, AccountCommand, AccountEvent> = {
      ...account,
      decide(command, state) {
        trace.getTracer('app').startActiveSpan('app.decide', (span) => span.end());
        if (!sneaked) {
          sneaked = true;
          void store.appendToStream('acc-1', Withdrawn({ amount: 0.5 }));
        }
        return account.decide(command, state);
      },
    };
    const handle = commandHandler(racing, store, { retries: 1 });
    const result = await handle(
      'acc-1',
      { type: 'Deposit', amount: 5 },
      { commandId: 'cmd-7', correlationId: 'corr-1', causationId: 'cause-1' },
    );
    expect(result.nextExpectedVersion).to.equal(3);

    const [command, ...more] = sdk.spans('klevdb.command');
    expect(more).to.have.length(0);
    expect(command!.attributes).to.deep.equal({
      'klevdb.stream.id': 'acc-1',
      'klevdb.command.type': 'Deposit',
      'klevdb.command.id': 'cmd-7',
      'klevdb.correlation.id': 'corr-1',
      'klevdb.causation.id': 'cause-1',
      'klevdb.command.outcome': 'applied',
      'klevdb.command.retries': 1,
      'klevdb.events.appended': 1,
      'klevdb.stream.version': 3,
    });
    expect(command!.status.code).to.equal(SpanStatusCode.UNSET);
    expect(parentOf(command!)).to.equal(undefined);
    expect(command!.events.map((e) => [e.name, e.attributes])).to.deep.equal([
      [
        'klevdb.command.retry',
        { 'klevdb.command.attempt': 2, 'klevdb.conflict.expected_version': 1, 'klevdb.conflict.actual_version': 2 },
      ],
    ]);

    const steps = sdk.spans().filter((s) => s.name.startsWith('klevdb.command.'));
    expect(steps.map((s) => [s.name, s.attributes['klevdb.command.attempt']])).to.deep.equal([
      ['klevdb.command.lookup', 1],
      ['klevdb.command.load', 1],
      ['klevdb.command.decide', 1],
      ['klevdb.command.append', 1],
      ['klevdb.command.load', 2],
      ['klevdb.command.decide', 2],
      ['klevdb.command.append', 2],
    ]);
    for (const step of steps) {
      expect(parentOf(step), step.name).to.equal(idOf(command!));
      expect(step.spanContext().traceId).to.equal(command!.spanContext().traceId);
    }
    // The first append lost the race: failed with the conflict; the second did not.
    const [lost, won] = steps.filter((s) => s.name === 'klevdb.command.append');
    expect(lost!.status).to.deep.include({ code: SpanStatusCode.ERROR });
    expect(lost!.status.message).to.match(/concurrency conflict on stream "acc-1"/);
    expect(lost!.events.map((e) => e.name)).to.deep.equal(['exception']);
    expect(won!.status.code).to.equal(SpanStatusCode.UNSET);
    // The user's spans in decide are children of the decide step of their attempt.
    const decides = steps.filter((s) => s.name === 'klevdb.command.decide').map(idOf);
    expect(sdk.spans('app.decide').map(parentOf)).to.deep.equal(decides);
  });

  it('outcomes: a rejected command, a conflict given up on, an expected version missed, an id already applied', async () => {
    const store = inMemoryEventStore({ events: accountEvents });
    await store.appendToStream('a', opened);
    const alwaysRaced: Decider<AccountState, AccountCommand, AccountEvent> = {
      ...account,
      decide(command, state) {
        void store.appendToStream('a', Withdrawn({ amount: 0.5 }));
        return account.decide(command, state);
      },
    };
    const handle = commandHandler(account, store);
    await handle('a', { type: 'Deposit', amount: 10 }, { commandId: 'c1' });
    await handle('a', { type: 'Deposit', amount: 10 }, { commandId: 'c1' });
    const rejected = await handle('a', { type: 'Withdraw', amount: 1000 }).catch((e: unknown) => e);
    const raced = await commandHandler(alwaysRaced, store, { retries: 2 })('a', { type: 'Deposit', amount: 1 }).catch(
      (e: unknown) => e,
    );
    const stale = await handle('a', { type: 'Deposit', amount: 1 }, { expectedVersion: 1 }).catch((e: unknown) => e);
    expect(rejected).to.have.property('name', 'InsufficientFunds');
    expect(raced).to.have.property('code', 'ERR_CONCURRENCY');
    expect(stale).to.have.property('code', 'ERR_CONCURRENCY');

    const commands = sdk.spans('klevdb.command');
    expect(
      commands.map((s) => [
        s.attributes['klevdb.command.outcome'],
        s.attributes['klevdb.command.retries'],
        s.status.code,
      ]),
    ).to.deep.equal([
      ['applied', 0, SpanStatusCode.UNSET],
      ['already_applied', 0, SpanStatusCode.UNSET],
      ['rejected', 0, SpanStatusCode.ERROR],
      ['conflict', 2, SpanStatusCode.ERROR],
      ['conflict', 0, SpanStatusCode.ERROR],
    ]);
    expect(commands[1]!.attributes).to.include({ 'klevdb.events.appended': 0, 'klevdb.stream.version': 2 });
    expect(commands[2]!.status.message).to.match(/balance .* < 1000/);
    expect(commands[4]!.attributes).to.include({ 'klevdb.command.expected_version': 1 });
    // The id already applied: looked up, its state loaded, nothing decided.
    const second = idOf(commands[1]!);
    expect(
      sdk
        .spans()
        .filter((s) => parentOf(s) === second)
        .map((s) => s.name),
    ).to.deep.equal(['klevdb.command.lookup', 'klevdb.command.load']);

    const durations = await sdk.points('klevdb.command.duration');
    const counts = Object.fromEntries(
      durations.map((p) => [p.attributes['klevdb.command.outcome'], (p.value as { count: number }).count]),
    );
    expect(counts).to.deep.equal({ applied: 1, already_applied: 1, rejected: 1, conflict: 2 });
    const conflicts = await sdk.points('klevdb.command.conflicts');
    const byRetried = Object.fromEntries(
      conflicts.map((p) => [String(p.attributes['klevdb.conflict.retried']), p.value]),
    );
    // Two conflicts retried, then the third given up on; and the stale expected version.
    expect(byRetried).to.deep.equal({ true: 2, false: 2 });
  });

  it('snapshots: the save is a step of the command', async () => {
    const store = inMemoryEventStore({ events: accountEvents });
    const handle = commandHandler(account, store, { snapshots: { store: inMemorySnapshotStore(), every: 2 } });
    await handle('s', { type: 'Open', owner: 'ann' });
    await handle('s', { type: 'Deposit', amount: 1 });
    expect(sdk.spans('klevdb.command.snapshot')).to.have.length(1);
  });
});
