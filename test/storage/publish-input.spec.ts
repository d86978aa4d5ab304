// What publish takes as it is: a message of non-empty Buffers and a
// microsecond time goes to the writer without a copy of the object, so the
// writer checks that what it encoded is what it measured.
import { expect } from 'chai';
import { open } from '../helpers/api.js';
import { expectLogError } from '../helpers/errors.js';
import { useTempDirs } from '../helpers/fs.js';
import { gen } from '../helpers/messages.js';

describe('publish input taken as it is', function () {
  const tempDir = useTempDirs('klevdb-publish-input-');

  it('a message whose key getter answers a longer key each time is refused before anything is written', async function () {
    const log = await open(await tempDir(), { keyIndex: true, timeIndex: true });
    try {
      await log.publish(gen(3));
      let reads = 0;
      const changing = {
        get key() {
          return Buffer.alloc(2 + 4 * reads++, 0x6b);
        },
        value: Buffer.from('v'),
        timeMicros: 1,
      };
      const before = await log.stat();
      await expectLogError(
        () => log.publish([{ key: 'k', value: 'v' }, changing]),
        'ERR_INVALID_ARGUMENT',
        /messages changed/,
      );
      expect(await log.stat()).to.deep.equal(before);
      expect(await log.publish(gen(1))).to.equal(4);
      expect((await log.get(3)).offset).to.equal(3);
    } finally {
      await log.close();
    }
  });

  it('Buffers published as they are read back with their bytes, and changing them afterwards changes nothing stored', async function () {
    const log = await open(await tempDir(), { keyIndex: true });
    try {
      const key = Buffer.from('key-1');
      const value = Buffer.from('value-1');
      await log.publish([{ key, value, timeMicros: 5 }]);
      key.fill(0);
      value.fill(0);
      const m = await log.getByKey('key-1');
      expect(m.value?.toString()).to.equal('value-1');
      expect(m.timeMicros).to.equal(5);
    } finally {
      await log.close();
    }
  });
});
