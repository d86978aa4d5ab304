// Bad input to reactors: LogError ERR_INVALID_ARGUMENT naming the argument,
// at once for the definition, and as the failure of the reactor for a
// handler that returns no promise.
import { expect } from 'chai';
import { MemoryLog } from '../../src/eventstore/index.js';
import { ProjectionRunner } from '../../src/projections/index.js';
import { KLEVDB_ERROR_CODES } from '../../src/index.js';
import {
  ProcessFailedError,
  ProcessNotReadyError,
  isKlevdbError,
  reactor,
  type KlevdbError,
  type ProcessErrorCode,
} from '../../src/processes/index.js';
import { expectLogError, expectModuleErrors } from '../helpers/errors.js';
import { publishKeyed, until, useReactorHarness } from './fixtures/reactor-harness.js';

// Deliberately wrong shapes, as JavaScript callers could pass them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

describe('processes: reactors refuse bad input', () => {
  const h = useReactorHarness();
  const good = (): Loose => ({ name: 'r', source: new MemoryLog(), handle: async () => undefined });

  const definitions: Array<[string, Loose, string]> = [
    ['no definition', undefined, 'definition must be a reactor definition object, got undefined'],
    ['an unknown option', { ...good(), retries: 3 }, 'definition.retries is not an option'],
    ['a name with a path separator', { ...good(), name: 'mail/out' }, 'got "mail/out"'],
    ['a name going up', { ...good(), name: '..' }, 'no path separators'],
    ['no handle', { ...good(), handle: undefined }, 'definition.handle must be an async function'],
    ['a key that is no function', { ...good(), key: 'id' }, 'definition.key must be a function'],
    ['no source', { ...good(), source: undefined }, 'definition.source must be a Log'],
    ['handles that is no array', { ...good(), handles: 'ping' }, 'definition.handles must be an array'],
    ['concurrency 0', { ...good(), concurrency: 0 }, 'definition.concurrency must be an integer >= 1, got 0'],
    ['concurrency 1.5', { ...good(), concurrency: 1.5 }, 'definition.concurrency'],
    ['retry that is no object', { ...good(), retry: 3 }, 'definition.retry must be an object'],
    ['an unknown retry option', { ...good(), retry: { attempts: 3 } }, 'definition.retry.attempts is not an option'],
    ['retry.maxAttempts 0', { ...good(), retry: { maxAttempts: 0 } }, 'definition.retry.maxAttempts'],
    ['retry.factor 0.5', { ...good(), retry: { factor: 0.5 } }, 'definition.retry.factor must be a number >= 1'],
    [
      'retry.maxDelayMs below initialDelayMs',
      { ...good(), retry: { initialDelayMs: 50, maxDelayMs: 10 } },
      'definition.retry.maxDelayMs (10) must be at least initialDelayMs (50)',
    ],
    ['onFailure "skip"', { ...good(), onFailure: 'skip' }, "definition.onFailure must be 'stop' or 'dead-letter'"],
    ['startAt "now"', { ...good(), startAt: 'now' }, "definition.startAt must be 'beginning' or 'end'"],
    ['batchSize 0', { ...good(), batchSize: 0 }, 'definition.batchSize'],
    ['sync "yes"', { ...good(), sync: 'yes' }, 'definition.sync must be a boolean'],
  ];
  for (const [what, definition, mentions] of definitions) {
    it(`reactor: rejects ${what}`, () => expectLogError(() => reactor(definition), 'ERR_INVALID_ARGUMENT', mentions));
  }

  it("every process error is a KlevdbError with its own code and name, the processes' row of the codes", () => {
    const errors: [KlevdbError, ProcessErrorCode, string][] = [
      [new ProcessNotReadyError('mailer', 'stopped', 'start it'), 'ERR_PROCESS_NOT_READY', 'ProcessNotReadyError'],
      [new ProcessFailedError('mailer', 3, 'Placed', 5, new Error('boom')), 'ERR_PROCESS_FAILED', 'ProcessFailedError'],
    ];
    expectModuleErrors(errors, KLEVDB_ERROR_CODES.processes);
  });

  it('start: refuses a reactor on no runner, saying how to add it', () =>
    expectLogError(() => reactor(good()).start(), 'ERR_INVALID_ARGUMENT', 'runner.addProcess(reactor)'));

  it('addProcess: refuses a reactor already on another runner', () => {
    const r = new ProjectionRunner().addProcess(reactor(good()));
    return expectLogError(() => new ProjectionRunner().addProcess(r), 'ERR_INVALID_ARGUMENT', 'already on a runner');
  });

  it('waitFor: refuses a position that is no offset', () => {
    const r = new ProjectionRunner().addProcess(reactor(good()));
    return expectLogError(() => r.waitFor(-1), 'ERR_INVALID_ARGUMENT', 'waitFor: position must be an integer >= 0');
  });

  it('fails the reactor, without retrying, when the handler returns no promise, naming definition.handle', async () => {
    const log = await h.log();
    await publishKeyed(log, ['a', 'b']);
    let calls = 0;
    const r = await h.started(
      reactor({
        name: 'sync-handler',
        source: log,
        handle: (() => void calls++) as Loose as () => Promise<void>,
      }),
    );
    await until(() => r.state === 'failed', 'the reactor failed');
    const { error, checkpoint } = await r.status();
    expect(calls).to.equal(1);
    // Nothing committed: a restart begins at offset 0 again.
    expect(checkpoint).to.equal(-1);
    expect(error).to.be.instanceOf(ProcessFailedError);
    const cause = (error as ProcessFailedError).cause;
    expect(isKlevdbError(cause, 'ERR_INVALID_ARGUMENT')).to.equal(true);
    expect((cause as Error).message).to.include('definition.handle must return a promise');
  });

  it('fails the reactor on an event whose key() throws, or dead-letters it, without retrying', async () => {
    const log = await h.log();
    await publishKeyed(log, ['a', 'b']);
    let calls = 0;
    const r = await h.started(
      reactor({
        name: 'bad-key',
        source: log,
        onFailure: 'dead-letter',
        key: (m) => (m.offset === 0 ? (undefined as Loose as string) : 'k'),
        handle: async () => void calls++,
      }),
    );
    await r.waitFor(1, { timeoutMs: 10_000 });
    expect(calls).to.equal(1);
    const letters = await r.deadLetters();
    expect(letters.map((l) => [l.offset, l.error])).to.deep.equal([
      [0, 'key() must return a string (events of one key run in order), got undefined'],
    ]);
  });
});
