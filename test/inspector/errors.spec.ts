// The inspector's errors are KlevdbErrors: HttpError (ERR_HTTP) carries the
// status a request is answered with; bad options are LogError
// ERR_INVALID_ARGUMENT like everywhere else in the package.
import path from 'node:path';
import { expect } from 'chai';
import { KLEVDB_ERROR_CODES, KlevdbError, LogError, isKlevdbError, open } from '../../src/index.js';
import { startInspector } from '../../src/inspector/index.js';
import { HttpError } from '../../src/inspector/http.js';
import { CliError, EXIT, toCliError } from '../../src/cli/errors.js';
import { caught } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';

describe('inspector and CLI: errors', () => {
  const tempDir = useTempDirs();

  it('HttpError and CliError are KlevdbErrors with their own codes, carrying a status or an exit code', () => {
    const http = new HttpError(404, 'no projection "x" here');
    expect(http).to.be.instanceOf(KlevdbError).and.not.instanceOf(LogError);
    expect(http).to.include({ code: 'ERR_HTTP', name: 'HttpError', status: 404 });
    expect(isKlevdbError(http, 'ERR_HTTP')).to.equal(true);
    const cli = toCliError(new LogError('ERR_LOCKED', 'locked'), 'data/log');
    expect(cli).to.be.instanceOf(CliError).and.instanceOf(KlevdbError);
    expect(cli).to.include({ code: 'ERR_CLI', name: 'CliError', exitCode: EXIT.LOCKED });
    expect(isKlevdbError(cli, 'ERR_CLI')).to.equal(true);
    expect([...KLEVDB_ERROR_CODES.cli].sort()).to.deep.equal(['ERR_CLI', 'ERR_HTTP']);
  });

  it('bad options to startInspector: a klevdb error to switch on, naming the option', async () => {
    const dir = path.join(await tempDir(), 'log');
    await (await open(dir, { createDirs: true })).close();
    for (const port of [70_000, -1, 1.5]) {
      const err = await caught(() => startInspector({ dir, port }));
      if (!isKlevdbError(err)) expect.fail(`not a klevdb error: ${String(err)}`);
      switch (err.code) {
        case 'ERR_INVALID_ARGUMENT':
          expect(err.message).to.match(/^port must be a whole number from 0 to 65535/);
          break;
        default:
          expect.fail(`port ${port}: unexpected ${err.code}: ${err.message}`);
      }
    }
  });
});
