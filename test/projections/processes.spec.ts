// The runner's hook for processes (reactors, workflows): addProcess hands a
// process the runner's store and container, the runner starts, stops and
// closes it with the projections, and processStatus reports it.
import 'reflect-metadata';
import { expect } from 'chai';
import { container } from 'tsyringe';
import { MemoryLog } from '../../src/eventstore/index.js';
import {
  ProjectionRunner,
  type GenerationStore,
  type ProcessContext,
  type ProcessStatus,
  type RunnerProcess,
} from '../../src/projections/index.js';
import { expectLogError } from '../helpers/errors.js';
import { counterProjection } from './fixtures/counter.js';
import { useHarness } from './fixtures/harness.js';

// Deliberately wrong shapes, as JavaScript callers could pass them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** A process that records what the runner asked of it and holds its store's lock while started. */
class Recorder implements RunnerProcess {
  calls: string[] = [];
  context: ProcessContext | undefined;
  private generations: GenerationStore | undefined;
  failClose = false;

  constructor(readonly name: string) {}

  attach(context: ProcessContext): void {
    this.calls.push('attach');
    this.context = context;
  }
  async start(): Promise<void> {
    this.calls.push('start');
    this.generations ??= await this.context!.store.open(this.name, { sync: false });
  }
  async stop(): Promise<void> {
    this.calls.push('stop');
  }
  async close(): Promise<void> {
    this.calls.push('close');
    await this.generations?.close();
    this.generations = undefined;
    if (this.failClose) throw new Error(`${this.name} failed to close`);
  }
  async status(): Promise<ProcessStatus> {
    return {
      name: this.name,
      kind: 'recorder',
      state: this.generations ? 'running' : 'stopped',
      checkpoint: -1,
      sourceHead: 0,
      lagEvents: 0,
      deadLetters: 0,
    };
  }
}

describe('projections: the runner runs processes', () => {
  const h = useHarness();

  it('attaches a process once with the runner store and container, starts, stops and closes it with the runner', async () => {
    const runner = h.runner();
    const process = runner.addProcess(new Recorder('mailer'));
    expect(process.calls).to.deep.equal(['attach']);
    expect(process.context!.container).to.equal(container);
    expect(runner.allProcesses).to.deep.equal([process]);
    await runner.start();
    expect(await runner.processStatus()).to.deep.equal([
      {
        name: 'mailer',
        kind: 'recorder',
        state: 'running',
        checkpoint: -1,
        sourceHead: 0,
        lagEvents: 0,
        deadLetters: 0,
      },
    ]);
    // The store is the runner's directory store: the process's state is locked to this runner.
    const other = new ProjectionRunner({ dir: h.stateDir });
    const rival = other.addProcess(new Recorder('mailer'));
    await expectLogError(() => rival.start(), 'ERR_LOCKED');
    await runner.stop();
    await runner.close();
    expect(process.calls).to.deep.equal(['attach', 'start', 'stop', 'close']);
    await rival.start();
    await other.close();
  });

  it('keeps status() for projections alone and processStatus() for processes', async () => {
    const runner = h.runner();
    runner.add(counterProjection(new MemoryLog()));
    runner.addProcess(new Recorder('mailer'));
    await runner.start();
    expect((await runner.status()).map((s) => s.name)).to.deep.equal(['counters']);
    expect((await runner.processStatus()).map((s) => s.name)).to.deep.equal(['mailer']);
  });

  it('closes every process even when one fails to close, and throws that failure', async () => {
    const runner = new ProjectionRunner();
    const bad = runner.addProcess(new Recorder('bad'));
    const good = runner.addProcess(new Recorder('good'));
    bad.failClose = true;
    await runner.start();
    const err = await runner.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(err)).to.include('bad failed to close');
    expect(good.calls).to.include('close');
  });

  it('refuses a name a projection or another process already has', async () => {
    const runner = new ProjectionRunner();
    runner.add(counterProjection(new MemoryLog()));
    runner.addProcess(new Recorder('mailer'));
    await expectLogError(
      () => runner.addProcess(new Recorder('counters')),
      'ERR_INVALID_ARGUMENT',
      'addProcess: process.name "counters" is already registered with this runner (a projection)',
    );
    await expectLogError(() => runner.addProcess(new Recorder('mailer')), 'ERR_INVALID_ARGUMENT', '(a process)');
    await expectLogError(
      () => runner.add({ ...counterProjection(new MemoryLog()), name: 'mailer' }),
      'ERR_INVALID_ARGUMENT',
      'add: definition.name "mailer" is already registered',
    );
  });

  const bad: Array<[string, Loose, string]> = [
    ['no process', undefined, 'addProcess: process must be a process'],
    ['a process without a name', { ...new Recorder('x'), name: '' }, 'addProcess: process.name'],
    [
      'a process without attach',
      { name: 'x', start() {}, stop() {}, close() {}, status() {} },
      'addProcess: process.attach must be a function',
    ],
    [
      'a process without status',
      { name: 'x', attach() {}, start() {}, stop() {}, close() {} },
      'addProcess: process.status must be a function',
    ],
  ];
  for (const [what, process, mentions] of bad) {
    it(`addProcess: rejects ${what}`, () =>
      expectLogError(() => new ProjectionRunner().addProcess(process), 'ERR_INVALID_ARGUMENT', mentions));
  }
});
