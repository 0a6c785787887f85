// The embedded store is one process's: a lock file with the owner's pid keeps a second process
// (say, `config import` while `npm start` runs) from opening the same PGlite folder.
import { openSync, closeSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { UsageError } from './options.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock or throws a message naming the process that holds it. Returns the release function. */
export function acquireLock(file: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new UsageError(
          `the embedded store in this prefix is in use by process ${pid} (lock ${file}). Stop it, use another --prefix, or talk to it with --admin-url http://127.0.0.1:8001`,
        );
      }
      unlinkSync(file); // a stale lock from a process that died
    }
  }
  throw new UsageError(`could not take the store lock ${file}`);
}
