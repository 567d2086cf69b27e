/**
 * Temporary output files this process is writing now. An abort that cannot wait for the normal
 * clean-up (a second Ctrl-C) removes them synchronously right before the process exits, so
 * nothing hidden is left behind; a file marked `keep` (a live recording) is kept and reported.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';

/** What to do with one tracked temporary on an abort. */
export interface TemporaryEntry {
  /** Keep the file on an abort; the text says what it is (e.g. "the live recording so far"). */
  keep?: string;
  /**
   * The temporary is a family of files in one folder (segment muxer output): every name that
   * starts with `prefix` and ends with `suffix` is removed.
   */
  family?: { prefix: string; suffix: string };
}

const tracked = new Map<string, TemporaryEntry>();

/** Registers a temporary file this process is writing. */
export function trackTemporary(file: string, entry: TemporaryEntry = {}): void {
  tracked.set(file, entry);
}

/** Forgets a temporary file once it has been renamed into place or removed. */
export function untrackTemporary(file: string): void {
  tracked.delete(file);
}

/**
 * Removes every tracked temporary file now (synchronously, so it is safe right before
 * `process.exit`). Returns the kept ones with what they are.
 */
export function removeTemporariesSync(): { file: string; what: string }[] {
  const kept: { file: string; what: string }[] = [];
  for (const [file, entry] of tracked) {
    if (entry.keep) {
      kept.push({ file, what: entry.keep });
      continue;
    }
    const names = entry.family ? familyMembers(file, entry.family) : [file];
    for (const name of names) {
      try {
        unlinkSync(name);
      } catch {
        // already renamed or never created
      }
    }
  }
  tracked.clear();
  return kept;
}

function familyMembers(file: string, family: { prefix: string; suffix: string }): string[] {
  const dir = path.dirname(file);
  try {
    return readdirSync(dir)
      .filter((n) => n.startsWith(family.prefix) && n.endsWith(family.suffix))
      .map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}
