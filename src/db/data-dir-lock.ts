import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * The embedded database is a directory that exactly one process may have open: PGlite is a
 * single-user Postgres, and two processes writing it (a server and an admin CLI, or two servers)
 * silently lost each other's writes and finally left it unopenable. Whoever opens it first holds
 * this lock until it closes the database; everybody else sees who holds it.
 *
 * The lock is a file created with O_EXCL (atomic on every local file system) naming its holder's
 * pid and host. A holder killed with SIGKILL leaves the file behind; the next process finds that
 * pid gone and takes the lock over, so a crash never blocks the directory for longer than it
 * takes to look.
 */

export const LOCK_FILE = 'parley.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** `server` or `admin-cli`. */
  role: string;
  since: string;
}

/** Another live process has the data directory open. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(`The data directory ${dataDir} is in use by another Parley process (${holder.role}, pid ${holder.pid}, since ${holder.since}); stop it or use another DATA_DIR`);
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  release(): void;
}

function readHolder(file: string): LockHolder | null {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' && typeof holder.host === 'string'
      ? { pid: holder.pid, host: holder.host, role: String(holder.role ?? 'unknown'), since: String(holder.since ?? '?') }
      : null;
  } catch {
    // Unreadable or half-written (a holder killed between create and write): nobody holds it.
    return null;
  }
}

/** A killed process stays a zombie until its parent reaps it; on Linux /proc tells the difference. */
function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/** Lock files this process wrote and still holds. */
const heldHere = new Set<string>();

/**
 * The live process holding the lock, or null when it is free (absent, stale or unreadable). A
 * holder on another host (a shared volume) is taken at its word. Our own pid holds it only if this
 * process took it: after a container restart the new process often gets the pid the killed one had.
 */
export function lockHolder(dataDir: string): LockHolder | null {
  const file = join(dataDir, LOCK_FILE);
  const holder = readHolder(file);
  if (!holder) return null;
  if (holder.host !== hostname()) return holder;
  if (holder.pid === process.pid) return heldHere.has(file) ? holder : null;
  return isAlive(holder.pid) ? holder : null;
}

/** Takes the lock on `dataDir` (created if missing) or throws DataDirLockedError naming the holder. */
export function lockDataDir(dataDir: string, role: 'server' | 'admin-cli'): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), role, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = lockHolder(dataDir);
      if (holder) throw new DataDirLockedError(dataDir, holder);
      // Stale: its holder is gone. Remove it and try again (another process may win that race).
      try {
        unlinkSync(file);
      } catch (unlinkError) {
        if ((unlinkError as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkError;
      }
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(me));
    } finally {
      closeSync(fd);
    }
    heldHere.add(file);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        heldHere.delete(file);
        // Only our own lock: never remove one a later holder took over.
        if (readHolder(file)?.pid === process.pid) unlinkSync(file);
      },
    };
  }
  const holder = lockHolder(dataDir);
  throw new DataDirLockedError(dataDir, holder ?? { pid: 0, host: hostname(), role: 'unknown', since: '?' });
}
