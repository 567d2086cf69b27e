/**
 * The `--free-space-json` file across interrupted runs.
 *
 * Lines of the previous run are kept (one per sequence + frame); while a run goes, each new line
 * is appended to a hidden journal beside the file (`.<name>.journal`, which a killed run leaves
 * for the next one to read), so even a run that is killed loses no finished frame. At the end
 * (also after Ctrl-C or an error) the file is rewritten atomically from kept + new lines in
 * sequence and frame order, and the journal is removed. A final name therefore only ever holds a
 * complete file.
 *
 * Memory stays flat in the number of frames: lines stay on disk (the previous file, the journal);
 * only where each line is (a key, an offset and a length) is kept, and the final file is written
 * from those places in chunks.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { removeQuietly, writeFileAtomic } from '../../sinks/atomic-file.js';
import type { FreeSpaceLine } from '../../pixels/free-space-boundary.js';

const keyOf = (sequence: string, frame: string) => `${sequence}\u0000${frame}`;
const PREVIOUS = 0;
const JOURNAL = 1;
/** Bytes read and written at a time when the final file is assembled. */
const CHUNK = 1 << 20;

/** Where a line is: which file, its byte offset and length (newline excluded). */
interface Place {
  src: typeof PREVIOUS | typeof JOURNAL;
  offset: number;
  length: number;
}

/** Indexes the valid lines of `file` into `index`; returns the file's size and whether it ends in a newline. */
async function indexLines(
  file: string,
  src: Place['src'],
  index: Map<string, Place>,
): Promise<{ size: number; newline: boolean }> {
  let carry: Buffer = Buffer.alloc(0);
  let base = 0;
  const line = (buf: Buffer, start: number, end: number) => {
    const length = end > start && buf[end - 1] === 13 ? end - start - 1 : end - start;
    try {
      const v = JSON.parse(buf.toString('utf8', start, start + length)) as Partial<FreeSpaceLine>;
      if (typeof v.frame === 'string' && typeof v.sequence === 'string' && Array.isArray(v.boundary))
        index.set(keyOf(v.sequence, v.frame), { src, offset: base + start, length });
    } catch {
      // A line cut short by a kill: that frame is simply done again.
    }
  };
  try {
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      let start = 0;
      for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
        if (nl > start) line(buf, start, nl);
        start = nl + 1;
      }
      base += start;
      carry = buf.subarray(start);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { size: 0, newline: true };
    throw err;
  }
  if (carry.length > 0) line(carry, 0, carry.length);
  return { size: base + carry.length, newline: carry.length === 0 };
}

/** Free-space JSONL lines of a run, kept across interruptions. */
export class FreeSpaceJsonl {
  readonly file: string;
  readonly journal: string;
  #index = new Map<string, Place>();
  #stream: WriteStream | undefined;
  /** Bytes in the journal, written or queued. */
  #journalSize = 0;
  #overwrite = false;
  /** Ends a journal line cut short by a kill before the first new line. */
  #prefix = '';

  constructor(file: string) {
    this.file = path.resolve(file);
    this.journal = path.join(path.dirname(this.file), `.${path.basename(this.file)}.journal`);
  }

  /** Indexes the previous file and any journal a killed run left (unless `overwrite`): {@link has} then tells the frames done. */
  async load(overwrite: boolean): Promise<void> {
    this.#overwrite = overwrite;
    if (overwrite) return;
    await indexLines(this.file, PREVIOUS, this.#index);
    // The journal is only appended to (a second kill still loses nothing); a line cut short is ended first.
    const j = await indexLines(this.journal, JOURNAL, this.#index);
    this.#journalSize = j.size;
    this.#prefix = j.newline ? '' : '\n';
  }

  /** Starts appending new lines to the journal (one left by a killed run is removed first with `overwrite`). */
  async open(): Promise<void> {
    if (this.#overwrite) await removeQuietly(this.journal);
    this.#stream = createWriteStream(this.journal, { flags: 'a' });
    if (this.#prefix) this.#write(this.#prefix);
  }

  /** True when the frame already has a line. */
  has(sequence: string, frame: string): boolean {
    return this.#index.has(keyOf(sequence, frame));
  }

  /** Adds (or replaces) a frame's line; resolves once the journal has room for more (bounded buffering). */
  async add(line: FreeSpaceLine): Promise<void> {
    const text = JSON.stringify(line);
    this.#index.set(keyOf(line.sequence, line.frame), {
      src: JOURNAL,
      offset: this.#journalSize,
      length: Buffer.byteLength(text),
    });
    const stream = this.#stream;
    if (stream && !this.#write(`${text}\n`)) await once(stream, 'drain');
  }

  #write(text: string): boolean {
    this.#journalSize += Buffer.byteLength(text);
    return this.#stream?.write(text) ?? true;
  }

  /** Stops appending; the file is left as it was and the journal stays for the next run to read. */
  async abort(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
  }

  /**
   * Writes the file atomically with the lines of `order` (sequence id, frame stems), in that
   * order; lines of frames not in `order` are dropped. Removes the journal.
   */
  async finish(order: readonly { id: string; frames: readonly { stem: string }[] }[]): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
    // Read before the new file replaces the previous one (the rename keeps an open handle valid).
    const files = [
      await open(this.file, 'r').catch(() => undefined),
      await open(this.journal, 'r').catch(() => undefined),
    ];
    try {
      await writeFileAtomic(this.file, this.#chunks(order, files));
    } finally {
      for (const f of files) await f?.close();
    }
    await removeQuietly(this.journal);
  }

  /** The file's bytes in `order`, lines next to each other in one file read together. */
  async *#chunks(
    order: readonly { id: string; frames: readonly { stem: string }[] }[],
    files: (FileHandle | undefined)[],
  ): AsyncGenerator<Uint8Array> {
    let run: Place | undefined;
    const read = async (p: Place): Promise<Uint8Array> => {
      const buf = Buffer.alloc(p.length + 1);
      const { bytesRead } = await files[p.src]!.read(buf, 0, p.length, p.offset);
      buf[bytesRead] = 10;
      return buf.subarray(0, bytesRead + 1);
    };
    for (const seq of order) {
      for (const f of seq.frames) {
        const p = this.#index.get(keyOf(seq.id, f.stem));
        if (!p) continue;
        // The next line right after the current stretch in the same file (one newline between): read them as one.
        if (run && run.src === p.src && run.offset + run.length + 1 === p.offset && run.length + p.length < CHUNK) {
          run.length += p.length + 1;
          continue;
        }
        if (run) yield await read(run);
        run = { ...p };
      }
    }
    if (run) yield await read(run);
  }
}
