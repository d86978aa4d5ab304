// The storage module's boundary: the rest of src/ reaches storage only
// through its two entries, src/storage/index.ts (the public API) and
// src/storage/backend-kit.ts (what other Log backends and tools over log
// files need). Every other file of src/storage is private, free to change
// without a look outside it. Imports are read with the TypeScript compiler's
// pre-processor, which also sees `export ... from` and dynamic import().
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SRC = path.join(ROOT, 'src');
const STORAGE = path.join(SRC, 'storage');
const ENTRIES = new Set([path.join(STORAGE, 'index.ts'), path.join(STORAGE, 'backend-kit.ts')]);

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

const inStorage = (file: string): boolean => file.startsWith(STORAGE + path.sep);
const rel = (file: string): string => path.relative(ROOT, file);

describe('storage module boundary', () => {
  const outside = sourceFiles(SRC).filter((f) => !inStorage(f));
  const intoStorage = outside.flatMap(importsOf).filter((i) => inStorage(i.to));

  it('is reached from the other modules of src/ (the scan sees their imports)', () => {
    expect(outside.length).to.be.greaterThan(50);
    const entries = new Set(intoStorage.map((i) => rel(i.to)));
    expect([...entries].sort()).to.include.members(['src/storage/backend-kit.ts', 'src/storage/index.ts']);
  });

  it('is entered only through src/storage/index.ts and src/storage/backend-kit.ts', () => {
    const deep = intoStorage.filter((i) => !ENTRIES.has(i.to)).map((i) => `${rel(i.from)} imports ${rel(i.to)}`);
    expect(
      deep,
      'import storage through src/storage/index.js (public API) or src/storage/backend-kit.js instead',
    ).to.deep.equal([]);
  });

  it('names only files that exist, so a moved entry cannot hide a deep import', () => {
    const missing = intoStorage.filter((i) => !fs.existsSync(i.to)).map((i) => `${rel(i.from)} imports ${rel(i.to)}`);
    expect(missing).to.deep.equal([]);
  });
});
