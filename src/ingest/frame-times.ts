/**
 * Source timestamps of decoded frames. Raw video on a pipe carries none, so the decoder runs
 * ffmpeg's `showinfo` filter, which logs each frame's pts (in the filter's time base) on stderr
 * just before the frame reaches the pipe; lines are matched to frames in order. Logging runs at
 * `info` with level tags, so error lines are still told apart: they are counted (damaged input)
 * and kept for messages, everything else is dropped.
 */
import { isFfmpeg44OrLater } from '../process/binary-choice.js';

/** ffmpeg arguments: log level with tags (so errors stay recognisable) and no progress line. */
export const FRAME_TIME_LOG_ARGS = ['-nostats', '-loglevel', 'level+info'];

/** The `showinfo` filter, without its per-frame checksums where the build can leave them out (4.4+). */
export function showinfoFilter(ffmpeg: string): string {
  return isFfmpeg44OrLater(ffmpeg) ? 'showinfo=checksum=0' : 'showinfo';
}

const CONFIG = /\[Parsed_showinfo_\d+ @ [^\]]+\] (?:\[info\] )?config in time_base: (\d+)\/(\d+)/;
const FRAME = /\[Parsed_showinfo_\d+ @ [^\]]+\] (?:\[info\] )?n:\s*\d+ pts:\s*(-?\d+)/;
const ERROR_TAG = /\[(error|fatal|panic)\] /;

/** Reads the decoder's stderr: frame times in order, and the error lines. */
export class FrameTimes {
  #timeBase: [number, number] = [1, 1];
  #first: number | undefined;
  readonly #queue: number[] = [];
  #waiter: (() => void) | undefined;
  /** Error lines ffmpeg logged (a damaged stream logs some for each broken frame). */
  decodeErrors = 0;

  /**
   * Takes one stderr line. Returns the line to keep for error messages (level tag removed), or
   * undefined for lines that are not errors.
   */
  onLine = (line: string): string | undefined => {
    const frame = FRAME.exec(line);
    if (frame) {
      const ticks = Number(frame[1]);
      const seconds = (ticks * this.#timeBase[0]) / this.#timeBase[1];
      this.#first ??= seconds;
      this.#queue.push(seconds - this.#first);
      const w = this.#waiter;
      this.#waiter = undefined;
      w?.();
      return undefined;
    }
    const config = CONFIG.exec(line);
    if (config) {
      this.#timeBase = [Number(config[1]), Number(config[2])];
      return undefined;
    }
    if (ERROR_TAG.test(line)) {
      this.decodeErrors++;
      return line.replace(ERROR_TAG, '');
    }
    return undefined;
  };

  /** The next frame's time in seconds from the first frame, or undefined when not yet logged. */
  shift(): number | undefined {
    return this.#queue.shift();
  }

  /** Calls `fn` once when the next frame time arrives. */
  onNext(fn: () => void): void {
    this.#waiter = fn;
  }
}
