// Shared by the example specs: temp data directories and captured output.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface TempDir {
  dir: string;
  cleanup(): Promise<void>;
}

export async function tempDir(name: string): Promise<TempDir> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `klevdb-example-${name}-`));
  return { dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** A print function for the examples that keeps the lines. */
export function capture(): { print: (line: string) => void; lines: string[]; text: () => string } {
  const lines: string[] = [];
  return { print: (line) => lines.push(line), lines, text: () => lines.join('\n') };
}

/** A fresh temp dir for each test of the enclosing describe, removed after it. */
export function useTempDir(name: string): () => string {
  let tmp: TempDir | undefined;
  beforeEach(async () => (tmp = await tempDir(name)));
  afterEach(() => tmp?.cleanup());
  return () => tmp!.dir;
}
