// The names the package root exports, read from its published declarations
// with the TypeScript compiler (types included, which no runtime import shows).
import path from 'node:path';
import ts from 'typescript';

export function packageRootExports(root: string): string[] {
  const entry = path.join(root, 'dist', 'src', 'index.d.ts');
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(entry);
  const module = file && checker.getSymbolAtLocation(file);
  if (!module) throw new Error(`cannot read the exports of ${entry}: build first (npm run build)`);
  return checker.getExportsOfModule(module).map((s) => s.name);
}
