// The shared projection suite on a local source log, with state in a directory.
import { useLocalProjections } from '../contracts/projection-backends.js';
import { projectionsContract } from '../contracts/projections.contract.js';

describe('projections: local log and state directory', function () {
  projectionsContract(useLocalProjections());
});
