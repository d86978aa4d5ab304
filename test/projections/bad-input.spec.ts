// Bad input to every public call: LogError ERR_INVALID_ARGUMENT, naming the argument.
import {
  ProjectionRunner,
  eventStoreSource,
  logSource,
  type ProjectionDefinition,
} from '../../src/projections/index.js';
import { MemoryLog } from '../../src/eventstore/index.js';
import { expectLogError } from '../helpers/errors.js';
import type { Counter, CounterEvent } from './fixtures/counter.js';
import { counterProjection } from './fixtures/counter.js';

// Deliberately wrong shapes, as JavaScript callers could pass them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

describe('projections: bad input', () => {
  const source = new MemoryLog();
  const good = (): ProjectionDefinition<Counter, CounterEvent> => counterProjection(source);
  const add = (definition: Loose, options?: Loose) => new ProjectionRunner().add(definition, options);

  const definitions: Array<[string, Loose, string]> = [
    ['no definition', null, 'add: definition must be'],
    ['a name with a slash', { ...good(), name: '../up' }, 'definition.name'],
    ['an empty name', { ...good(), name: '' }, 'definition.name'],
    ['no key function', { ...good(), key: 'id' }, 'definition.key must be a function'],
    ['no apply', { ...good(), apply: undefined }, 'definition.apply must be a function'],
    [
      'an initial state that is not a function',
      { ...good(), initialState: { count: 0 } },
      'definition.initialState must be a function',
    ],
    ['a fromJSON that is not a function', { ...good(), fromJSON: 1 }, 'definition.fromJSON'],
    ['version 0', { ...good(), version: 0 }, 'definition.version must be an integer >= 1'],
    ['handles that is not an array', { ...good(), handles: 'add' }, 'definition.handles must be an array'],
    ['a handled type that is empty', { ...good(), handles: ['add', ''] }, 'definition.handles[1]'],
    ['no source', { ...good(), source: undefined }, 'definition.source must be a Log'],
    ['a source that is no log', { ...good(), source: { consume: 1 } }, 'definition.source must be a Log'],
  ];
  for (const [what, definition, mentions] of definitions) {
    it(`add: rejects a definition with ${what}`, () =>
      expectLogError(() => add(definition), 'ERR_INVALID_ARGUMENT', mentions));
  }

  const options: Array<[string, Loose, string]> = [
    ['options that are not an object', 5, 'add: options must be an object'],
    ['startAt "middle"', { startAt: 'middle' }, "add: options.startAt must be 'beginning' or 'end'"],
    ['batchSize 0', { batchSize: 0 }, 'add: options.batchSize must be an integer >= 1'],
    ['commit.maxEvents 0.5', { commit: { maxEvents: 0.5 } }, 'add: options.commit.maxEvents'],
    ['commit.maxKeys 0', { commit: { maxKeys: 0 } }, 'add: options.commit.maxKeys'],
    ['commit.maxDelayMs -1', { commit: { maxDelayMs: -1 } }, 'add: options.commit.maxDelayMs'],
    ['cache.maxEntries 0', { cache: { maxEntries: 0 } }, 'add: options.cache.maxEntries'],
    ['cache.maxBytes "1MB"', { cache: { maxBytes: '1MB' } }, 'add: options.cache.maxBytes'],
    ['compaction without everyMs', { compaction: {} }, 'add: options.compaction.everyMs'],
    ['compaction.ageMs -5', { compaction: { everyMs: 10, ageMs: -5 } }, 'add: options.compaction.ageMs'],
    ['onError "retry"', { onError: 'retry' }, "add: options.onError must be 'stop' or 'skip'"],
    ['whileRestoring "maybe"', { whileRestoring: 'maybe' }, 'add: options.whileRestoring'],
    ['sync "yes"', { sync: 'yes' }, 'add: options.sync must be a boolean'],
  ];
  for (const [what, opts, mentions] of options) {
    it(`add: rejects ${what}`, () => expectLogError(() => add(good(), opts), 'ERR_INVALID_ARGUMENT', mentions));
  }

  it('add: rejects a second projection of the same name', async () => {
    const runner = new ProjectionRunner();
    runner.add(good());
    await expectLogError(
      () => runner.add(good()),
      'ERR_INVALID_ARGUMENT',
      'definition.name "counters" is already registered',
    );
  });

  it('the runner rejects a bad dir, store and defaults, and get() an unknown name', async () => {
    await expectLogError(() => new ProjectionRunner({ dir: '' }), 'ERR_INVALID_ARGUMENT', 'options.dir');
    await expectLogError(
      () => new ProjectionRunner({ store: {} as Loose }),
      'ERR_INVALID_ARGUMENT',
      'options.store must be a projection store',
    );
    const store = { open: () => Promise.reject(new Error('not opened in this test')) };
    await expectLogError(
      () => new ProjectionRunner({ dir: 'state', store }),
      'ERR_INVALID_ARGUMENT',
      'options.dir or options.store, not both',
    );
    await expectLogError(
      () => new ProjectionRunner({ defaults: { batchSize: -1 } }),
      'ERR_INVALID_ARGUMENT',
      'options.defaults.batchSize',
    );
    await expectLogError(
      () => new ProjectionRunner().get('nope'),
      'ERR_INVALID_ARGUMENT',
      'no projection named "nope"',
    );
  });

  it('queries reject bad keys and options before anything else', async () => {
    const projection = new ProjectionRunner().add(good());
    await expectLogError(() => projection.get(''), 'ERR_INVALID_ARGUMENT', 'get: key must be a non-empty string');
    await expectLogError(() => projection.get(5 as Loose), 'ERR_INVALID_ARGUMENT', 'get: key');
    await expectLogError(
      () => projection.get('k', { whileRestoring: 'never' } as Loose),
      'ERR_INVALID_ARGUMENT',
      'get: options.whileRestoring',
    );
    await expectLogError(
      () => projection.get('k', { timeoutMs: -1 }),
      'ERR_INVALID_ARGUMENT',
      'get: options.timeoutMs',
    );
    await expectLogError(
      () => projection.get('k', { signal: 'stop' } as Loose),
      'ERR_INVALID_ARGUMENT',
      'get: options.signal',
    );
    await expectLogError(
      () => projection.getMany('k' as Loose),
      'ERR_INVALID_ARGUMENT',
      'getMany: keys must be an array',
    );
    await expectLogError(() => projection.getMany(['a', '']), 'ERR_INVALID_ARGUMENT', 'getMany: keys[1]');
    await expectLogError(() => projection.changes(7 as Loose), 'ERR_INVALID_ARGUMENT', 'changes: key');
    await expectLogError(() => projection.whenRunning({ timeoutMs: 1.5 }), 'ERR_INVALID_ARGUMENT', 'options.timeoutMs');
  });

  it('the source helpers reject what is not a log or a store', async () => {
    await expectLogError(() => logSource({} as Loose), 'ERR_INVALID_ARGUMENT', 'logSource: log');
    await expectLogError(() => logSource(source, { pollMs: 0 }), 'ERR_INVALID_ARGUMENT', 'logSource: options.pollMs');
    await expectLogError(
      () => logSource(source, { decode: 'json' } as Loose),
      'ERR_INVALID_ARGUMENT',
      'logSource: options.decode',
    );
    await expectLogError(() => eventStoreSource(source as Loose), 'ERR_INVALID_ARGUMENT', 'eventStoreSource: store');
    const storeWithoutLog = { readAll: () => undefined, subscribeToAll: () => undefined };
    await expectLogError(
      () => eventStoreSource(storeWithoutLog as Loose),
      'ERR_INVALID_ARGUMENT',
      'the store has no log',
    );
  });
});
