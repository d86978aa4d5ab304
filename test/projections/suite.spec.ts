// The shared projection suite on a local source log, with state in a directory.
import { useLocalProjections } from './fixtures/backends.js';
import { projectionSuite } from './suite/index.js';

describe('projections: local log and state directory', function () {
  projectionSuite(useLocalProjections());
});
