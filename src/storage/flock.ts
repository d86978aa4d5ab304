/**
 * flock(2), which Node lacks, called in libc through koffi (an FFI whose
 * binaries come prebuilt in per-platform packages: nothing compiles on
 * install, and its install script need not run). It must be flock, not
 * fcntl or OFD locks, which Linux keeps apart: Go klevdb locks with
 * gofrs/flock, that is flock(2) LOCK_EX|LOCK_NB (LOCK_SH for readonly).
 */
import fs from 'node:fs';
import koffi from 'koffi';

const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

type FlockCall = (fd: number, operation: number) => number;
let call: FlockCall | null = null;

function flockCall(): FlockCall {
  if (call) return call;
  if (process.platform === 'win32') {
    const err: NodeJS.ErrnoException = new Error(
      'flock(2) is not available on Windows: klevdb logs need Linux, macOS or a BSD',
    );
    err.code = 'ENOSYS';
    throw err;
  }
  // The process's own symbols: libc's flock, whichever libc (glibc, musl, macOS, BSD) Node links.
  call = koffi.load(null).func('int flock(int fd, int operation)') as FlockCall;
  return call;
}

const errnoNames = new Map<number, string>(Object.entries(koffi.os.errno).map(([name, n]) => [n, name]));

/** An Error like Node's fs errors: code EWOULDBLOCK, EAGAIN, EBADF... and errno. */
function errnoError(errno: number, syscall: string): NodeJS.ErrnoException {
  const code = errnoNames.get(errno) ?? `E${errno}`;
  const err: NodeJS.ErrnoException = new Error(`${code}: ${syscall} failed (errno ${errno})`);
  err.code = code;
  err.errno = errno;
  err.syscall = syscall;
  return err;
}

function flock(fd: number, operation: number): void {
  const f = flockCall();
  for (;;) {
    if (f(fd, operation) === 0) return;
    const errno = koffi.errno();
    if (errno === koffi.os.errno.EINTR) continue;
    throw errnoError(errno, 'flock');
  }
}

/** Takes the lock without waiting; false when another open file holds a conflicting one. */
export function tryFlock(fd: number, exclusive: boolean): boolean {
  try {
    flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EWOULDBLOCK' || code === 'EAGAIN') return false;
    throw err;
  }
}

export function unflock(fd: number): void {
  flock(fd, LOCK_UN);
}

/** Unlocks and closes a lock file's descriptor (closed even when the unlock fails). */
export function unflockAndClose(fd: number): void {
  try {
    unflock(fd);
  } finally {
    fs.closeSync(fd);
  }
}
