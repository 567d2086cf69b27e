/**
 * Pixel layouts a {@link Frame} can carry.
 *
 * - `rgb24`: packed RGB, row-major, `width * height * 3` bytes.
 * - `yuv420p`: planar I420 as ffmpeg's rawvideo writes it: the Y plane (`width * height`), then
 *   the U and V planes (`ceil(width / 2) * ceil(height / 2)` each), limited range (BT.601
 *   matrix when converted to RGB). The video path uses it end to end, so ffmpeg never converts.
 */
export type PixelFormat = 'rgb24' | 'yuv420p';

/**
 * The one frame type that travels from ingest to sinks.
 *
 * Pixels are in `format` (see {@link PixelFormat}). Inference adds its `segmentation`; no stage
 * re-reads the source.
 */
export interface Frame {
  /** 0-based index in decode order. */
  index: number;
  /** Presentation time in seconds (index / fps for constant-rate sources). */
  pts: number;
  width: number;
  height: number;
  /** Layout of `pixels`. */
  format: PixelFormat;
  /** The pixels in `format`. Ownership moves stage to stage; a stage that transfers it to a worker gets it back. */
  pixels: Uint8Array;
  /** Set by inference: class id per pixel at the model's output size. */
  segmentation?: Segmentation;
  /** `performance.now()` when the frame left the decoder (its last byte arrived): latency is measured from here. */
  arrivalMs?: number;
}

/** A class map at the model's output resolution. */
export interface Segmentation {
  /** One class id per pixel, row-major, `width * height`. */
  classMap: Uint8Array;
  width: number;
  height: number;
}

/** Names of the timed pipeline stages. */
export type StageName = 'decode' | 'preprocess' | 'infer' | 'render' | 'encode' | 'masks';

/** An exact frame rate as a rational number. */
export interface Rational {
  num: number;
  den: number;
}
