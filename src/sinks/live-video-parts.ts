/**
 * The live overlay video across frame-size changes. A camera that switches modes comes back at
 * another size; one H.264 file cannot change size, so the file so far is finished and renamed
 * into place (nothing recorded is lost) and the run goes on in a new file at the new size:
 * `live.mp4`, then `live-part2.mp4`, `live-part3.mp4`, … (with `--segment-time` the segment
 * numbers simply continue). A name that already exists is never overwritten: the next free
 * part number is taken.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { VideoEncoder, type FramePlace, type VideoEncoderOptions } from './video-encoder.js';

/** What the pipeline needs from an overlay video sink (a {@link VideoEncoder} is one). */
export interface OverlaySink {
  /**
   * Writes one frame; `at` gives its size (when it may differ from the first frame's) and its
   * source time in seconds (files keep their source timing, see `VideoEncoderOptions.timing`).
   */
  write(pixels: Uint8Array, at?: FramePlace): Promise<void>;
  /** `trimSeconds`: a stopped file run cuts the carried-over audio to the video written. */
  finish(trimSeconds?: number): Promise<void>;
  abort(): Promise<void>;
  readonly child: { cpuSeconds(): number };
  readonly segments: { readonly completed: readonly string[] } | undefined;
}

/** The name of part `n` (2, 3, …) of `output`: `live.mp4` → `live-part2.mp4`. */
export function partPath(output: string, n: number): string {
  const ext = path.extname(output);
  return path.join(path.dirname(output), `${path.basename(output, ext)}-part${n}${ext || '.mp4'}`);
}

/**
 * A live overlay video that starts a new file when the frame size changes (see the module comment).
 *
 * @example
 * ```ts
 * const video = new LiveVideoParts({ ffmpeg, output: 'live.mp4', width: 640, height: 360, fps, live: true });
 * await video.write(frame.pixels, frame);
 * await video.finish();
 * console.log(video.files); // ['live.mp4', 'live-part2.mp4'] after one size change
 * ```
 */
export class LiveVideoParts implements OverlaySink {
  #current: VideoEncoder;
  #width: number;
  #height: number;
  #part = 1;
  readonly #finished: string[] = [];
  readonly #segments: string[] = [];
  #cpuSeconds = 0;

  constructor(readonly options: VideoEncoderOptions) {
    this.#current = new VideoEncoder(options);
    this.#width = options.width;
    this.#height = options.height;
  }

  /** Final paths of the video files, in order: those finished, then the one being written. */
  get files(): string[] {
    return this.options.segmentSeconds !== undefined ? [] : [...this.#finished, this.#current.output];
  }

  /** CPU time of every encoder process so far (for the `encode` stage figure). */
  get child(): { cpuSeconds(): number } {
    return { cpuSeconds: () => this.#cpuSeconds + this.#current.child.cpuSeconds() };
  }

  /** Segment mode: every completed segment of every part, in order. */
  get segments(): { readonly completed: readonly string[] } | undefined {
    const current = this.#current.segments;
    return current ? { completed: [...this.#segments, ...current.completed] } : undefined;
  }

  async write(pixels: Uint8Array, at?: FramePlace): Promise<void> {
    const { width = this.#width, height = this.#height } = at ?? {};
    if (width !== this.#width || height !== this.#height) await this.#next(width, height);
    await this.#current.write(pixels, at);
  }

  /** Finishes the file so far (renamed into place) and opens the next one at the new size. */
  async #next(width: number, height: number): Promise<void> {
    const done = this.#current;
    await done.finish();
    this.#cpuSeconds += done.child.cpuSeconds();
    if (done.segments) this.#segments.push(...done.segments.completed);
    else this.#finished.push(done.output);
    let output = this.options.output;
    if (this.options.segmentSeconds === undefined) {
      do output = partPath(this.options.output, ++this.#part);
      while (existsSync(output));
    }
    this.#width = width;
    this.#height = height;
    this.#current = new VideoEncoder({
      ...this.options,
      output,
      width,
      height,
      // H.264 4:2:0 needs even sizes; a camera's new mode is not refused for it (masks keep the exact size).
      padToEven: true,
      segmentStartNumber: this.#segments.length,
    });
  }

  finish(): Promise<void> {
    return this.#current.finish();
  }

  abort(): Promise<void> {
    return this.#current.abort();
  }
}
