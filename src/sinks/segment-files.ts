/**
 * Segmented output: ffmpeg's segment muxer writes each segment under a hidden temporary name and
 * prints the name on its stdout (`-segment_list pipe:1`) when the segment is complete; each one
 * is then renamed to its final name (`live.mp4` → `live-00000.mp4`, `live-00001.mp4`, …).
 */
import { randomBytes } from 'node:crypto';
import { readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** Tracks the segments of one output. */
export class SegmentFiles {
  /** The temporary name pattern given to ffmpeg (`%05d` is the segment number). */
  readonly pattern: string;
  /** Final paths of the segments completed so far, in order. */
  readonly completed: string[] = [];
  readonly #dir: string;
  readonly #stem: string;
  readonly #ext: string;
  readonly #tag: string;
  #pending: Promise<void> = Promise.resolve();
  #ended: Promise<void> = Promise.resolve();

  constructor(readonly output: string) {
    this.#dir = path.dirname(output);
    this.#ext = path.extname(output) || '.mp4';
    this.#stem = path.basename(output, path.extname(output));
    this.#tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
    this.pattern = path.join(this.#dir, `.${this.#stem}-%05d.${this.#tag}.partial`);
    this.family = { prefix: `.${this.#stem}-`, suffix: `.${this.#tag}.partial` };
  }

  /** The final path of segment `n`. */
  finalPath(n: number): string {
    return path.join(this.#dir, `${this.#stem}-${String(n).padStart(5, '0')}${this.#ext}`);
  }

  /** The names of the temporary segments: a prefix and a suffix (for an abort's clean-up). */
  readonly family: { prefix: string; suffix: string };

  /** Reads completed-segment lines from ffmpeg's stdout and renames each as it comes. */
  follow(stdout: Readable): void {
    let partial = '';
    stdout.setEncoding('utf8');
    stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.#promote(line.trim());
    });
    this.#ended = new Promise((resolve) => stdout.once('close', () => resolve()));
  }

  #promote(listed: string): void {
    const name = path.basename(listed);
    const m = new RegExp(`^\\.${escape(this.#stem)}-(\\d+)\\.${this.#tag}\\.partial$`).exec(name);
    if (!m) return;
    const target = this.finalPath(Number(m[1]));
    this.#pending = this.#pending.then(async () => {
      await rename(path.join(this.#dir, name), target);
      this.completed.push(target);
    });
  }

  /** Waits for every completed segment to be renamed, then removes the unfinished one. */
  async settle(): Promise<void> {
    await this.#ended;
    await this.#pending.catch(() => {});
    for (const name of await readdir(this.#dir).catch(() => [] as string[])) {
      if (name.startsWith(`.${this.#stem}-`) && name.endsWith(`.${this.#tag}.partial`))
        await unlink(path.join(this.#dir, name)).catch(() => {});
    }
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
