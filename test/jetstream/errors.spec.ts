// The JetStream backend's errors are KlevdbErrors: what the local log would
// reject is a LogError with the same code, what only a network service does
// (not answer) is JetStreamError ERR_JETSTREAM; a caller switches on `code`.
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { KLEVDB_ERROR_CODES } from '../../src/index.js';
import { JetStreamError, KlevdbError, isKlevdbError, openJetStream } from '../../src/jetstream/index.js';
import type { JetStreamErrorCode, JetStreamLog } from '../../src/jetstream/index.js';
import { ApiError } from '../../src/jetstream/errors.js';
import { caught, expectModuleErrors } from '../helpers/errors.js';
import { useNatsServer } from '../helpers/nats-server.js';

describe('jetstream: errors', function () {
  it('JetStreamError (and the internal ApiError it wraps) are KlevdbErrors with their own codes', () => {
    const errors: [KlevdbError, JetStreamErrorCode, string][] = [
      [new JetStreamError('no answer', { cause: new Error('timeout') }, 0), 'ERR_JETSTREAM', 'JetStreamError'],
      [new ApiError(503, 10008, 'no leader'), 'ERR_JETSTREAM_API', 'ApiError'],
    ];
    expectModuleErrors(errors, KLEVDB_ERROR_CODES.jetstream);
  });

  describe('against a nats-server', function () {
    this.timeout(60_000);
    const server = useNatsServer();
    let log: JetStreamLog | undefined;
    afterEach(async () => {
      await log?.close();
      log = undefined;
    });

    const outcome = (err: unknown): string => {
      if (!isKlevdbError(err)) return `not a klevdb error: ${String(err)}`;
      switch (err.code) {
        case 'ERR_NOT_FOUND':
          return 'not there';
        case 'ERR_JETSTREAM':
          return 'may or may not have happened: retry with the same message ids';
        case 'ERR_CLOSED':
          return 'closed';
        default:
          return `unexpected ${err.code}: ${err.message}`;
      }
    };

    it('a missing key and a server that does not answer, switched on by code', async () => {
      log = await openJetStream({
        servers: server().url,
        stream: `ERRORS_${process.pid}`,
        timeoutMs: 300,
        retryForMs: 600,
        connectOptions: { maxReconnectAttempts: -1, reconnectTimeWait: 100 },
      });
      await log.publish([{ key: 'a', value: '1' }]);
      expect(outcome(await caught(() => log!.getByKey('no-such-key')))).to.equal('not there');
      const s = server();
      s.proc!.kill('SIGSTOP');
      try {
        while (!/^\d+ \(.*\) T/.test(await readFile(`/proc/${s.pid}/stat`, 'utf8')))
          await new Promise((r) => setTimeout(r, 5));
        const err = await caught(() => log!.publish([{ value: 'b' }]));
        expect(outcome(err)).to.equal('may or may not have happened: retry with the same message ids');
        expect(err).to.be.instanceOf(JetStreamError).and.include({ stored: 0 });
      } finally {
        s.proc!.kill('SIGCONT');
      }
      await log.close();
      expect(outcome(await caught(() => log!.nextOffset()))).to.equal('closed');
    });
  });
});
