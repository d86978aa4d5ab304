// Module boundaries: the rest of src/ reaches storage, projections and eventstore only
// through their two entries each, index.ts (the public API) and
// backend-kit.ts (what other backends, processes and tools build on). Every
// other file of those folders is private, free to change without a look
// outside it. Imports are read with the TypeScript compiler's pre-processor,
// which also sees `export ... from` and dynamic import().
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SRC = path.join(ROOT, 'src');
/** Modules whose files are private but for their two entries. */
const GUARDED = ['storage', 'projections', 'eventstore'];

interface Import {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of `file`, resolved to the .ts file it names. */
function importsOf(file: string): Import[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .filter((f) => f.fileName.startsWith('.'))
    .map((f) => ({ from: file, to: path.resolve(path.dirname(file), f.fileName).replace(/\.js$/, '.ts') }));
}

const rel = (file: string): string => path.relative(ROOT, file);

for (const name of GUARDED) {
  const dir = path.join(SRC, name);
  const entries = new Set([path.join(dir, 'index.ts'), path.join(dir, 'backend-kit.ts')]);
  const inside = (file: string): boolean => file.startsWith(dir + path.sep);

  describe(`${name} module boundary`, () => {
    const outside = sourceFiles(SRC).filter((f) => !inside(f));
    const into = outside.flatMap(importsOf).filter((i) => inside(i.to));

    it('is reached from the other modules of src/ (the scan sees their imports)', () => {
      expect(outside.length).to.be.greaterThan(50);
      const reached = new Set(into.map((i) => rel(i.to)));
      expect([...reached]).to.include(`src/${name}/backend-kit.ts`);
    });

    it(`is entered only through src/${name}/index.ts and src/${name}/backend-kit.ts`, () => {
      const deep = into.filter((i) => !entries.has(i.to)).map((i) => `${rel(i.from)} imports ${rel(i.to)}`);
      expect(
        deep,
        `import ${name} through src/${name}/index.js (public API) or src/${name}/backend-kit.js instead`,
      ).to.deep.equal([]);
    });

    it('names only files that exist, so a moved entry cannot hide a deep import', () => {
      const missing = into.filter((i) => !fs.existsSync(i.to)).map((i) => `${rel(i.from)} imports ${rel(i.to)}`);
      expect(missing).to.deep.equal([]);
    });
  });
}
