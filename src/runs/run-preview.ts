/**
 * The narrow interface through which a run feeds a live preview (see `src/preview`). The run
 * calls it from its main loop, so every method returns at once; a preview nobody watches does
 * (almost) nothing.
 */
import type { PaletteDefinition } from '../render/palettes.js';
import type { LoadedModel } from '../infer/types.js';
import type { Frame, Segmentation } from '../types.js';

/** What a run tells its preview once set up, before its first frame. */
export interface RunPreviewStart {
  /** The input, as shown to the user (credentials are removed again by the preview). */
  input: string;
  live: boolean;
  /** Frames expected in all, when known. */
  total?: number;
  /** The source's frame rate: the preview never shows pictures faster. */
  fps: number;
  model: LoadedModel;
  /** The run's `--classes` and `--alpha` (the preview paints the overlay itself when the run does not). */
  classes?: string;
  alpha: number;
  /** The run's overlay palette (default `roles`): the preview's pictures and legend use it. */
  palette?: string | PaletteDefinition;
  /** True when the run computes free space (the page then draws the free-space boundary). */
  freeSpace: boolean;
  /** Live counters, read when the preview reports. */
  counters?: () => { dropped: number; reconnects: number };
}

/** A frame offered to the preview: pixels and class map are only read during the call. */
export type RunPreviewFrame = Pick<Frame, 'index' | 'width' | 'height' | 'format' | 'pixels'> & {
  segmentation?: Segmentation;
  /** True when `pixels` already carry the overlay. */
  overlaid?: boolean;
};

/** Implemented by `PreviewServer`; a run calls these (all optional to use, all cheap). */
export interface RunPreview {
  /** The run is set up and frames follow. */
  begin(run: RunPreviewStart): void;
  /** A live stream was lost (`reconnecting`) or is back (`running`). */
  connection(state: 'reconnecting' | 'running'): void;
  /** A frame left the sinks, after `latencyMs` (frame arrival to sinks done) when measured. */
  frameDone(latencyMs?: number): void;
  /** A frame the page may show; copied only when a browser is waiting for a picture. */
  offerFrame(frame: RunPreviewFrame): void;
}
