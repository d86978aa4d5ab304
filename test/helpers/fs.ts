// Temporary directories and file fingerprints for the storage tests.
import { createHash } from 'node:crypto';
import { chmod, cp, mkdtemp, open, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Creates a fresh directory under the OS temp dir. */
export function makeTempDir(prefix = 'klevdb-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/**
 * Registers mocha hooks that remove, after each test, every directory the
 * returned function created. Mocha runs afterEach hooks in the order they are
 * registered: call it after the hooks that close logs or stop processes
 * using those directories (e.g. useOpenLogs), so they are gone first.
 */
export function useTempDirs(prefix?: string): () => Promise<string> {
  const created: string[] = [];
  afterEach(async () => {
    await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await makeTempDir(prefix);
    created.push(dir);
    return dir;
  };
}

/** Copies a read-only directory into a writable temp copy (files get mode 0600). */
export async function copyDir(src: string, dst: string): Promise<void> {
  await cp(src, dst, { recursive: true, mode: 0 });
  for (const name of await readdir(dst)) await chmod(path.join(dst, name), 0o600);
}

export interface FileFingerprint {
  size: number;
  sha256: string;
}

export async function fingerprint(file: string): Promise<FileFingerprint> {
  const data = await readFile(file);
  return { size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

/** The segment files of a log directory (everything but .lock), sorted. */
export async function listLogFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n !== '.lock').sort();
}

/** name -> fingerprint of every file of the log directory except .lock. */
export async function fingerprintDir(dir: string): Promise<Record<string, FileFingerprint>> {
  const out: Record<string, FileFingerprint> = {};
  for (const name of await listLogFiles(dir)) out[name] = await fingerprint(path.join(dir, name));
  return out;
}

export async function fileSize(file: string): Promise<number> {
  return (await stat(file)).size;
}

/** `%020d.log` / `%020d.index` name of a segment. */
export function segmentFile(offset: number, ext: 'log' | 'index'): string {
  return `${String(offset).padStart(20, '0')}.${ext}`;
}

/** Cuts a file to `size` bytes. */
export async function truncateFile(file: string, size: number): Promise<void> {
  await truncate(file, size);
}

/** Inverts the bits of the byte at `position` (negative: from the end). */
export async function flipByte(file: string, position: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const size = (await fh.stat()).size;
    const at = position < 0 ? size + position : position;
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] ^= 0xff;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}
