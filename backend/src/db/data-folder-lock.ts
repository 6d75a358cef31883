/**
 * One process at a time on an embedded database folder. PGlite is a whole
 * PostgreSQL inside the process, with no postmaster to tell two processes
 * apart: a second backend started on the same folder (a second `npm start`,
 * or a service manager starting a copy while the first still runs) opens the
 * same files and both write to them, which leaves the database unreadable
 * ("Aborted()" at the next start). So the folder is locked first.
 *
 * The lock is a file beside the folder (`db.lock` next to `db`), made with
 * O_EXCL and holding the owner's process id and host name, as PostgreSQL's
 * own postmaster.pid does. A lock left by a process that is gone (killed
 * with -9, a power cut) is taken over: only a live process on this host, or
 * one on another host (a shared folder, which cannot be checked), keeps it.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Another process holds the folder: the message names it and what to do. */
export class DataFolderInUseError extends Error {}

interface LockOwner {
  pid: number;
  host: string;
}

export function lockFileOf(dataDir: string): string {
  return `${dataDir.replace(/[\\/]+$/, '')}.lock`;
}

/** Takes the lock on `dataDir` for this process; returns the function that gives it back. */
export function lockDataFolder(dataDir: string): () => void {
  const path = lockFileOf(dataDir);
  const mine = `${process.pid}\n${hostname()}\n`;
  // Two tries: the second after removing a stale lock (another process may
  // have taken it in between, and then the second try says so).
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, mine, { flag: 'wx' });
      return () => release(path, mine);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot lock the embedded database folder (${path}): ${(err as Error).message}`, { cause: err });
    }
    const owner = readOwner(path);
    if (owner && holdsLock(owner)) {
      const where = owner.host === hostname() ? `process ${owner.pid}` : `process ${owner.pid} on host ${owner.host}`;
      throw new DataFolderInUseError(
        `the embedded database in ${dataDir} is in use by ${where} (lock file ${path}); two processes on one folder would corrupt it: ` +
          `stop the other one or choose another --data-dir` +
          (owner.host === hostname() ? '' : `; if that host no longer runs Vantage on this folder, delete ${path}`),
      );
    }
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot remove the stale lock file ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  throw new DataFolderInUseError(`the embedded database in ${dataDir} was locked by another process starting at the same moment (lock file ${path})`);
}

/** The lock's owner, or undefined for a file that is empty or torn (a crash while writing it): stale. */
function readOwner(path: string): LockOwner | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const [pidText, host] = text.split('\n');
  const pid = Number(pidText);
  return Number.isInteger(pid) && pid > 0 && host ? { pid, host } : undefined;
}

function holdsLock(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  // Our own process id: a lock left by an earlier run that had the same id (process 1 in a container).
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user; ESRCH: it is gone.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function release(path: string, mine: string): void {
  try {
    if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
  } catch {
    // Already gone: nothing to give back.
  }
}
