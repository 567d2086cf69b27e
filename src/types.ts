/**
 * The one frame type that travels from ingest to sinks.
 *
 * Pixels are packed RGB24, row-major, `width * height * 3` bytes. Stages add results
 * (`classMap`, timings); none re-reads the source.
 */
export interface Frame {
  /** 0-based index in decode order. */
  index: number;
  /** Presentation time in seconds (index / fps for constant-rate sources). */
  pts: number;
  width: number;
  height: number;
  /** RGB24 pixels. Ownership moves stage to stage; a stage that transfers it to a worker gets it back. */
  rgb: Uint8Array;
  /** Set by inference: class id per pixel at the model's output size. */
  segmentation?: Segmentation;
  /** Milliseconds spent per stage on this frame. */
  timings: Partial<Record<StageName, number>>;
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
