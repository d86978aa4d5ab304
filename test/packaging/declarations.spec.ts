// Issue 14, item 8: the published declarations compile in a user's project
// with TypeScript 5.x and 7.x under strict, NodeNext, `types: []` (7's
// default) and skipLibCheck false. The project installs the packed package
// (with the NATS client and @types/node, as a user of every entry would) and
// imports every entry of package.json "exports".
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { type Consumer, installConsumer, REPO, removeConsumer, run } from './packed.js';

const COMPILERS = [
  { name: 'TypeScript 5', tsc: path.join(REPO, 'node_modules/typescript/bin/tsc'), major: '5' },
  { name: 'TypeScript 7', tsc: path.join(REPO, 'node_modules/typescript-7/bin/tsc'), major: '7' },
];

/** The entries a user can import: "klevdb" and "klevdb/<subpath>" for each key of package.json "exports". */
function entries(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    exports: Record<string, unknown>;
  };
  return Object.keys(pkg.exports).map((k) => (k === '.' ? 'klevdb' : `klevdb/${k.slice(2)}`));
}

/** A module importing every entry, and using a few of its types as a user's code would. */
function consumerSource(specifiers: string[]): string {
  const names = specifiers.map((s, i) => ({ s, id: `entry${i}` }));
  return [
    ...names.map(({ s, id }) => `import * as ${id} from '${s}';`),
    `import { open, openBlocking, OffsetOldest, type Log, type Message } from 'klevdb';`,
    `import { fromLog } from 'klevdb/streams';`,
    ``,
    `export const entries: object[] = [${names.map(({ id }) => id).join(', ')}];`,
    `export async function firstValue(dir: string): Promise<string | undefined> {`,
    `  const log: Log = await open(dir, { keyIndex: true });`,
    `  const { messages } = await log.consume(OffsetOldest, 1);`,
    `  const first: Message | undefined = messages[0];`,
    `  const value: Buffer | null | undefined = first?.value;`,
    `  await log.close();`,
    `  return value?.toString('utf8');`,
    `}`,
    `export const stream = async (dir: string) => fromLog(await openBlocking(dir, {}));`,
    ``,
  ].join('\n');
}

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023'],
    types: [],
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
  },
  files: ['consumer.ts'],
};

describe('the published declarations in a strict NodeNext project with types: [] and skipLibCheck: false', function () {
  this.timeout(180_000);
  let consumer: Consumer | undefined;
  before(function () {
    this.timeout(120_000);
    consumer = installConsumer(['@nats-io/transport-node', '@types/node']);
    fs.writeFileSync(path.join(consumer.dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    fs.writeFileSync(path.join(consumer.dir, 'consumer.ts'), consumerSource(entries()));
  });
  after(() => removeConsumer(consumer));

  it('imports every entry of package.json "exports"', () => {
    expect(entries()).to.include.members([
      'klevdb',
      'klevdb/streams',
      'klevdb/jetstream',
      'klevdb/eventstore',
      'klevdb/aggregates',
      'klevdb/di',
      'klevdb/projections',
      'klevdb/processes',
    ]);
  });

  for (const { name, tsc, major } of COMPILERS) {
    it(`compile with ${name}`, () => {
      const version = run(process.execPath, [tsc, '--version'], consumer!.dir);
      expect(version.stdout).to.match(new RegExp(`^Version ${major}\\.`));
      const r = run(process.execPath, [tsc, '-p', 'tsconfig.json'], consumer!.dir);
      expect(r.output.trim(), r.output).to.equal('');
      expect(r.status).to.equal(0);
    });
  }
});
