/**
 * The directory lock, on `<dir>/.lock` with flock(2) exactly like klevdb's
 * gofrs/flock: exclusive for a writer, shared for a readonly log. flock
 * locks belong to an open file, so a second open in this same process
 * conflicts too, and the kernel drops them when the process dies.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LogError } from './errors.js';
import { tryFlock, unflockAndClose } from './flock.js';
import { fsError } from './segment/segment-files.js';

export class DirectoryLock {
  private constructor(private fd: number | null) {}

  static acquire(dir: string, exclusive: boolean): DirectoryLock {
    const file = path.join(dir, '.lock');
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_CREAT, 0o600);
    } catch (err) {
      throw fsError(err, `open lock ${file}`);
    }
    let locked: boolean;
    try {
      locked = tryFlock(fd, exclusive);
    } catch (err) {
      fs.closeSync(fd);
      throw fsError(err, `lock ${file}`);
    }
    if (!locked) {
      fs.closeSync(fd);
      throw new LogError(
        'ERR_LOCKED',
        exclusive
          ? `log ${dir} is already open by another log or process; close it first, or open this one with readonly: true, followWriter: true to read beside it`
          : `log ${dir} is open for writing by another log or process; open with readonly: true, followWriter: true to read beside the writer`,
      );
    }
    return new DirectoryLock(fd);
  }

  release(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    unflockAndClose(fd);
  }
}
