/**
 * `--stats FILE.jsonl`: one JSON line per frame, written as frames leave the pipeline, with
 * back-pressure (a slow disk slows the sink, it never grows a buffer).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { ErrorCodes, SegStreamError } from '../errors.js';

/** One line of the stats file. */
export interface FrameStats {
  /** Position among frames written. */
  index: number;
  /** Position among frames received from the source (live: drops leave gaps). */
  sourceIndex: number;
  /** Source timestamp in seconds (written rounded to the microsecond). */
  pts: number;
  /** Wall-clock time the frame arrived from the decoder (Unix ms). */
  arrivalUnixMs: number;
  /** Milliseconds from arrival to leaving the sinks. */
  latencyMs: number;
  /** Frames dropped so far. */
  droppedSoFar: number;
}

/** Appends {@link FrameStats} lines to a file. */
export class StatsFile {
  #stream: WriteStream;
  #error: Error | undefined;

  constructor(readonly file: string) {
    this.#stream = createWriteStream(file, { flags: 'w' });
    this.#stream.on('error', (err) => (this.#error = err));
  }

  async write(stats: FrameStats): Promise<void> {
    if (this.#error) throw this.#failure(this.#error);
    const line = JSON.stringify({ ...stats, pts: Math.round(stats.pts * 1e6) / 1e6 });
    if (!this.#stream.write(`${line}\n`)) await once(this.#stream, 'drain');
  }

  async close(): Promise<void> {
    if (this.#stream.closed) return;
    this.#stream.end();
    await once(this.#stream, 'close').catch(() => {});
    if (this.#error) throw this.#failure(this.#error);
  }

  #failure(cause: Error): SegStreamError {
    return new SegStreamError(
      ErrorCodes.OUTPUT_UNWRITABLE,
      `cannot write --stats ${JSON.stringify(this.file)}: ${cause.message}`,
      { cause },
    );
  }
}
