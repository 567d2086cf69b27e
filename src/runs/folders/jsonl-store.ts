/**
 * The `--free-space-json` file across interrupted runs.
 *
 * Lines of the previous run are kept (one per sequence + frame); while a run goes, each new
 * line is also appended to a hidden journal beside the file (`.<name>.journal`), so even a run
 * that is killed loses no finished frame. At the end (also after Ctrl-C or an error) the file is
 * rewritten atomically from kept + new lines in sequence and frame order, and the journal is
 * removed. A final name therefore only ever holds a complete file.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { removeQuietly, writeFileAtomic } from '../../sinks/atomic-file.js';
import type { FreeSpaceLine } from '../../pixels/free-space-boundary.js';

const keyOf = (sequence: string, frame: string) => `${sequence}\u0000${frame}`;

async function readLines(file: string, into: Map<string, string>): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as Partial<FreeSpaceLine>;
      if (typeof v.frame === 'string' && typeof v.sequence === 'string' && Array.isArray(v.boundary)) into.set(keyOf(v.sequence, v.frame), line);
    } catch {
      // A line cut short by a kill: that frame is simply done again.
    }
  }
}

/** Free-space JSONL lines of a run, kept across interruptions. */
export class FreeSpaceJsonl {
  readonly file: string;
  readonly journal: string;
  #lines = new Map<string, string>();
  #stream: WriteStream | undefined;

  constructor(file: string) {
    this.file = path.resolve(file);
    this.journal = path.join(path.dirname(this.file), `.${path.basename(this.file)}.journal`);
  }

  /** Loads the previous file and any journal a killed run left (unless `overwrite`), then opens a fresh journal. */
  async open(overwrite: boolean): Promise<void> {
    if (!overwrite) {
      await readLines(this.file, this.#lines);
      await readLines(this.journal, this.#lines);
    }
    await removeQuietly(this.journal);
    const existing = [...this.#lines.values()];
    this.#stream = createWriteStream(this.journal, { flags: 'a' });
    // Carry what is known into the new journal, so a second kill still loses nothing.
    if (existing.length > 0) this.#stream.write(`${existing.join('\n')}\n`);
  }

  /** True when the frame already has a line. */
  has(sequence: string, frame: string): boolean {
    return this.#lines.has(keyOf(sequence, frame));
  }

  /** Adds (or replaces) a frame's line. */
  add(line: FreeSpaceLine): void {
    const text = JSON.stringify(line);
    this.#lines.set(keyOf(line.sequence, line.frame), text);
    this.#stream?.write(`${text}\n`);
  }

  /**
   * Writes the file atomically with the lines of `order` (sequence id, frame stems), in that
   * order; lines of frames not in `order` are dropped. Removes the journal. Returns the line count.
   */
  async finish(order: { id: string; frames: string[] }[]): Promise<number> {
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
    const out: string[] = [];
    for (const seq of order) {
      for (const frame of seq.frames) {
        const line = this.#lines.get(keyOf(seq.id, frame));
        if (line) out.push(line);
      }
    }
    await writeFileAtomic(this.file, Buffer.from(out.length > 0 ? `${out.join('\n')}\n` : ''));
    await removeQuietly(this.journal);
    return out.length;
  }
}
