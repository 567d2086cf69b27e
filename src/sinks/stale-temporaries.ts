/**
 * Temporary files left by runs that were killed (SIGKILL, power loss) cannot be removed by those
 * runs. Their names carry the writer's pid (`.NAME.<pid>-<8 hex>.partial`), so the next run that
 * writes to the same folder removes the ones whose process no longer exists. A live run's
 * recording (`.NAME.<pid>-<8 hex>.recording`) is the user's footage: it is kept and reported.
 */
import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';

const TEMPORARY = /^\..+\.(\d+)-[0-9a-f]{8}\.(partial|recording)$/;

/** True while a process with `pid` exists (EPERM: it exists but belongs to someone else). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the stale `.partial` files of dead processes in `dir`; returns the stale live
 * recordings found there (kept).
 */
export async function cleanStaleTemporaries(dir: string): Promise<string[]> {
  const recordings: string[] = [];
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const m = TEMPORARY.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const file = path.join(dir, name);
    if (m[2] === 'recording') recordings.push(file);
    else await unlink(file).catch(() => {});
  }
  return recordings;
}
