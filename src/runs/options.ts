/**
 * Options every run shares — model, engine, parallelism, overlay, encoder, control — declared and
 * validated once. Video runs ({@link SegmentVideoOptions}) and frame-folder runs
 * ({@link SegmentFolderOptions}) extend them and keep their own defaults.
 */
import { DEFAULTS, LIMITS, X264_PRESETS, checkDevice, checkEngineName, positiveInt } from '../defaults.js';
import { invalidOption } from '../errors.js';
import { resolvePalette, type PaletteDefinition } from '../render/palettes.js';

export { withDefaults } from '../defaults.js';
import type { DeviceName, Engine, EngineName, LoadedModel } from '../infer/types.js';
import type { Progress } from './stats.js';
import type { RunPreview } from './run-preview.js';

/** Options shared by video and frame-folder runs. */
export interface RunOptions {
  /** Overlay video to write (MP4, H.264 yuv420p, faststart). */
  output?: string;
  /** Folder for class-id PNG masks at the frame's size: named by zero-padded frame index (video), after each frame (frame folders). */
  masks?: string;
  /** Folder for 0/255 free-space PNG masks, named like the class-id masks. */
  freeSpace?: string;
  /** Process at most this many frames (frame folders: frames skipped as already done are not counted); outputs are still finished. */
  frames?: number;
  /** Built-in model name or model folder, or a model already loaded. Default: the built-in default. */
  model?: string | LoadedModel;
  /**
   * Inference engine (default `onnx`), or an {@link Engine} you created (bring your own: it is
   * used as is and not disposed by the run).
   */
  engine?: EngineName | Engine;
  /** Inference device (default `cpu`). */
  device?: DeviceName;
  /** Frames per inference call (default 1). */
  batch?: number;
  /** Worker threads that decode, pre-process and finish frames (default: cores). */
  workers?: number;
  /** CPU inference threads (default: cores for frame folders, cores − 1 for video, at least 1). */
  threads?: number;
  /** Overlay opacity, 0..1 (default 0.5). */
  alpha?: number;
  /** Classes painted on the overlay: `all`, roles (`road`, `vehicle`, `free-space`) and/or class names. Default `road,vehicle`. */
  classes?: string;
  /**
   * Overlay colours: `roles` (default: by role, colour-blind safe), `camvid` (the model card's class
   * colours), a JSON palette file, or a palette object; see `resolvePalette` and docs/overlay.md.
   */
  palette?: string | PaletteDefinition;
  /**
   * The camera's own vehicle (bonnet): a 0/255 PNG at the source size, or `auto` (the static bottom
   * region of the first 2 s). No overlay colour there, never free space, class-id masks 255.
   * Video files, live streams and frame folders (file only); see docs/overlay.md.
   */
  egoMask?: string;
  /**
   * Draw a key of the overlay's colours (swatch and name of each: road, vehicle, free space, or the
   * classes) in the top-left corner of the overlay video, sized by the frame height. Default false.
   */
  legend?: boolean;
  /** x264 CRF (default 23). */
  crf?: number;
  /** x264 preset (default `veryfast`). */
  preset?: string;
  /** Frames allowed between decoding and the sinks (default: 4 + 2 × workers + 2 × batch; batch + 1 for live streams). */
  maxInFlight?: number;
  /** Stops the run gracefully: no new frames start, frames in flight finish, outputs are finalised. */
  signal?: AbortSignal;
  /** Called at most every 100 ms and once at the end. */
  onProgress?: (progress: Progress) => void;
  /** A live preview to feed (e.g. a started `PreviewServer`): numbers per frame, pictures when someone watches. */
  preview?: RunPreview;
  /** Explicit ffmpeg / ffprobe binaries (else FFMPEG_PATH / FFPROBE_PATH, packages, PATH). */
  ffmpegPath?: string;
  ffprobePath?: string;
}

/** Defaults every run shares (threads and workers are per mode: see {@link DEFAULTS}). */
export const DEFAULT_RUN_OPTIONS = Object.freeze({
  engine: DEFAULTS.engine,
  device: DEFAULTS.device,
  batch: DEFAULTS.batch,
  alpha: DEFAULTS.alpha,
  classes: DEFAULTS.classes,
  crf: DEFAULTS.crf,
  preset: DEFAULTS.preset,
});

/**
 * Validates the shared fields after defaults were applied; `maxInFlight`'s default depends on the
 * mode, so the caller sets it first.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` naming the first bad field
 */
export function validateRunOptions(o: RunOptions): void {
  if (typeof o.engine === 'object') {
    if (typeof o.engine?.run !== 'function') throw invalidOption('engine', 'onnx, tfjs or an Engine', o.engine);
  } else checkEngineName(o.engine);
  checkDevice(o.device);
  positiveInt(o.batch, 'batch', LIMITS.batch);
  positiveInt(o.workers, 'workers', LIMITS.workers);
  positiveInt(o.threads, 'threads', LIMITS.threads);
  if (o.frames !== undefined) positiveInt(o.frames, 'frames');
  if (typeof o.alpha !== 'number' || !(o.alpha >= 0 && o.alpha <= 1))
    throw invalidOption('alpha', 'a number from 0 to 1', o.alpha);
  if (typeof o.crf !== 'number' || !Number.isInteger(o.crf) || o.crf < 0 || o.crf > 51)
    throw invalidOption('crf', 'an integer from 0 to 51', o.crf);
  if (typeof o.preset !== 'string' || !X264_PRESETS.includes(o.preset as never))
    throw invalidOption('preset', `one of ${X264_PRESETS.join(', ')}`, o.preset);
  if (typeof o.classes !== 'string' || o.classes.trim() === '')
    throw invalidOption('classes', 'all, road, vehicle, free-space or class names', o.classes);
  positiveInt(o.maxInFlight, 'maxInFlight', LIMITS.maxInFlight);
  if (o.legend !== undefined && typeof o.legend !== 'boolean') throw invalidOption('legend', 'true or false', o.legend);
  o.palette = resolvePalette(o.palette);
}
