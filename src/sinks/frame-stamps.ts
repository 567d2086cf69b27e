/**
 * Turns frames with source timestamps into what the encoder's stdin takes (see
 * `VideoEncoderOptions.timing`): for a constant-rate source, the frames at their exact rate with
 * any gap filled by holding the previous frame; for a variable-rate source, a Matroska stream
 * whose blocks carry each frame's own timestamp.
 */
import type { PixelFormat, Rational } from '../types.js';
import { mkvFramePrefix, mkvHeader } from './mkv-frames.js';

/** The longest gap filled by holding a frame (10 minutes); beyond it timestamps are not trusted. */
const MAX_GAP_SECONDS = 600;

/** One write to the encoder: `frame` is true for the bytes of a frame (counted), false for framing. */
export interface Piece {
  data: Uint8Array;
  frame: boolean;
}

/** See the module comment. */
export class FrameStamps {
  /** Frames written again to fill gaps. */
  held = 0;
  #last: Uint8Array | undefined;
  #written = 0;
  #header = false;
  #lastMicros = -1;

  constructor(
    readonly options: {
      timing?: 'fill' | 'stamped';
      fps: Rational;
      width: number;
      height: number;
      pixelFormat?: PixelFormat;
    },
  ) {}

  /** The pieces for a frame shown at `pts` seconds from the first frame. */
  *pieces(pixels: Uint8Array, pts: number): Iterable<Piece> {
    const { fps } = this.options;
    if (this.options.timing === 'stamped') {
      if (!this.#header) {
        this.#header = true;
        yield { data: mkvHeader(this.options.width, this.options.height, this.options.pixelFormat), frame: false };
      }
      // Strictly increasing: the MP4 muxer refuses two frames at one time.
      const micros = Math.max(Math.round(pts * 1e6), this.#lastMicros + 1);
      this.#lastMicros = micros;
      yield { data: mkvFramePrefix(micros, pixels.length), frame: false };
      yield { data: pixels, frame: true };
      return;
    }
    const slot = Math.round((pts * fps.num) / fps.den);
    if (this.#last && slot > this.#written && slot - this.#written <= (MAX_GAP_SECONDS * fps.num) / fps.den) {
      while (this.#written < slot) {
        yield { data: this.#last, frame: true };
        this.held++;
        this.#written++;
      }
    }
    yield { data: pixels, frame: true };
    this.#written++;
    // A copy: the caller may reuse `pixels` once written (a pool of frame buffers).
    if (this.#last?.length !== pixels.length) this.#last = new Uint8Array(pixels.length);
    this.#last.set(pixels);
  }
}
