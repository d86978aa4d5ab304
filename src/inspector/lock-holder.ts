/**
 * Who holds a flock(2) on a file, read from the kernel's lock table
 * (/proc/locks, Linux) rather than by trying the lock: a probe would hold it
 * for a moment, and a consumer opening just then would be refused.
 */
import fs from 'node:fs';

export interface LockHolder {
  active: boolean;
  pid: number | null;
}

/** The lock table's lines, read once per look (null where there is none: not Linux). */
export function readLockTable(): string[] | null {
  try {
    return fs.readFileSync('/proc/locks', 'utf8').split('\n');
  } catch {
    return null;
  }
}

/**
 * Whether an exclusive flock is held on `file`, and by which process; a file
 * that does not exist is not locked. `table` is readLockTable()'s answer
 * (null: unknown, so null).
 */
export function lockHolder(file: string, table: string[] | null): LockHolder | null {
  if (table === null) return null;
  let st: fs.BigIntStats;
  try {
    st = fs.statSync(file, { bigint: true });
  } catch {
    return { active: false, pid: null };
  }
  // The kernel prints the device as major:minor in hex; glibc's makedev packs them into st_dev.
  const major = ((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn);
  const minor = (st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn);
  const id = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
  for (const line of table) {
    // "2: FLOCK  ADVISORY  WRITE 1295 fe:00:10248961 0 EOF"; waiters are marked "->" and hold nothing.
    const f = line.trim().split(/\s+/);
    if (f[1] !== 'FLOCK' || f[3] !== 'WRITE' || f[5] !== id) continue;
    return { active: true, pid: Number(f[4]) };
  }
  return { active: false, pid: null };
}
