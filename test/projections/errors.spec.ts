// The projection layer's errors are KlevdbErrors with codes of their own: a
// caller catches them with the rest of klevdb's errors and switches on `code`.
import path from 'node:path';
import { expect } from 'chai';
import { KLEVDB_ERROR_CODES, open } from '../../src/index.js';
import type { Message } from '../../src/index.js';
import {
  KlevdbError,
  ProjectionFailedError,
  ProjectionNotReadyError,
  ProjectionRunner,
  isKlevdbError,
  logSource,
} from '../../src/projections/index.js';
import type { ProjectionErrorCode } from '../../src/projections/index.js';
import { caught, expectModuleErrors } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';

interface Added {
  type: 'add';
  id: string;
  n: number;
}

describe('projections: errors', () => {
  const tempDir = useTempDirs();

  it('every projection error is a KlevdbError with its own code and name', () => {
    const errors: [KlevdbError, ProjectionErrorCode, string][] = [
      [
        new ProjectionNotReadyError('sums', 'stopped', 'start it'),
        'ERR_PROJECTION_NOT_READY',
        'ProjectionNotReadyError',
      ],
      [
        new ProjectionFailedError('sums', 3, 'add', new Error('boom')),
        'ERR_PROJECTION_FAILED',
        'ProjectionFailedError',
      ],
    ];
    expectModuleErrors(errors, KLEVDB_ERROR_CODES.projections);
  });

  it('a projection stopped by an event it cannot decode: its queries fail with a code to switch on', async () => {
    const dir = await tempDir();
    const log = await open(path.join(dir, 'source'), { createDirs: true });
    const runner = new ProjectionRunner({ dir: path.join(dir, 'projections') });
    try {
      await log.publish([{ value: JSON.stringify({ type: 'add', id: 'a', n: 1 }) }, { value: '{not json' }]);
      const decode = (m: Message): Added => JSON.parse(m.value!.toString('utf8')) as Added;
      const sums = runner.add({
        name: 'sums',
        source: logSource(log, { decode, pollMs: 5 }),
        handles: ['add'],
        key: (e: Added) => e.id,
        initialState: () => ({ sum: 0 }),
        apply: (s: { sum: number }, e: Added) => ({ sum: s.sum + e.n }),
      });
      await runner.start();
      const err = await caught(() => sums.whenRunning({ timeoutMs: 10_000 }));
      if (!isKlevdbError(err)) expect.fail(`not a klevdb error: ${String(err)}`);
      let why: string;
      switch (err.code) {
        case 'ERR_PROJECTION_NOT_READY': {
          const cause = (err as ProjectionNotReadyError).cause;
          why = isKlevdbError(cause, 'ERR_PROJECTION_FAILED')
            ? `failed at offset ${(cause as ProjectionFailedError).offset}`
            : `not ready: ${err.message}`;
          break;
        }
        case 'ERR_PROJECTION_FAILED':
          why = 'failed itself';
          break;
        default:
          why = `unexpected ${err.code}: ${err.message}`;
      }
      expect(why).to.equal('failed at offset 1');
      expect(err).to.be.instanceOf(ProjectionNotReadyError).and.include({ state: 'failed', projection: 'sums' });
    } finally {
      await runner.close();
      await log.close();
    }
  });

  it('a query after the runner closed says what to do: a new runner, started', async () => {
    const dir = await tempDir();
    const log = await open(path.join(dir, 'source'), { createDirs: true });
    const runner = new ProjectionRunner({ dir: path.join(dir, 'projections') });
    const definition = {
      name: 'sums',
      source: logSource(log, { decode: (m: Message): Added => JSON.parse(m.value!.toString('utf8')) as Added }),
      key: (e: Added) => e.id,
      initialState: () => ({ sum: 0 }),
      apply: (s: { sum: number }, e: Added) => ({ sum: s.sum + e.n }),
    };
    try {
      await log.publish([{ value: JSON.stringify({ type: 'add', id: 'a', n: 2 }) }]);
      const sums = runner.add(definition);
      await runner.start();
      await sums.waitFor(0, { timeoutMs: 10_000 });
      await runner.close();
      const err = await caught(() => sums.get('a'));
      expect(err).to.be.instanceOf(ProjectionNotReadyError).and.include({ state: 'closed', projection: 'sums' });
      expect((err as Error).message).to.match(/its runner was closed; add it to a new ProjectionRunner and start that/);
      const again = new ProjectionRunner({ dir: path.join(dir, 'projections') });
      try {
        const reopened = again.add(definition);
        await again.start();
        await reopened.waitFor(0, { timeoutMs: 10_000 });
        expect(await reopened.get('a')).to.deep.equal({ sum: 2 });
      } finally {
        await again.close();
      }
    } finally {
      await runner.close();
      await log.close();
    }
  });
});
