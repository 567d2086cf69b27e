/**
 * Options of a frame-folder run ({@link segmentFolder}): frozen defaults declared once and one
 * function that merges and validates them.
 */
import { availableParallelism } from 'node:os';
import { ErrorCodes, SegStreamError, invalidOption } from '../errors.js';
import type { DeviceName, Engine, EngineName, LoadedModel } from '../infer/types.js';
import type { Progress } from '../pipeline/stats.js';

/** Options of a frame-folder or batch run. */
export interface SegmentFolderOptions {
  /** A frame folder, a dataset folder (KITTI raw/semantics/road, CamVid, Cityscapes), a glob, or a list of image files. */
  input: string | string[];
  /** `seg-stream batch`: process every sequence found anywhere below `input`. Default false. */
  recursive?: boolean;
  /** Folder for class-id PNGs named after each frame (`<stem>.png`) at the frame's size. */
  masks?: string;
  /** Folder for 0/255 free-space PNGs named after each frame. */
  freeSpace?: string;
  /** Folder for 8-bit road confidence PNGs in the KITTI road benchmark's naming (`um_road_000000.png`; others `<stem>_road.png`). */
  kittiRoad?: string;
  /** JSONL file: per frame, the free-space boundary per column and the free-space fraction. */
  freeSpaceJson?: string;
  /** Overlay video (one per sequence when the run has several: `out.mp4` → `out-image_02.mp4`). */
  output?: string;
  /** Frame rate of the overlay video (default 10, KITTI's rate). */
  fps?: number;
  /** Where to write the run's manifest (default: `manifest.json` in the first output folder, else beside the first output file). */
  manifest?: string;
  /** Redo every frame, even those whose outputs exist (default false: complete frames are skipped). */
  overwrite?: boolean;
  /** Score frames that have ground truth (default true). */
  score?: boolean;
  /** Process at most this many frames in this run (skipped frames not counted). */
  frames?: number;
  model?: string | LoadedModel;
  engine?: EngineName | Engine;
  device?: DeviceName;
  /** Frames per inference call (default 1). */
  batch?: number;
  /** Worker threads that decode, preprocess and finish frames (default: cores). */
  workers?: number;
  /** CPU inference threads (default: cores). */
  threads?: number;
  /** Overlay opacity (default 0.5). */
  alpha?: number;
  /** Overlay classes (default `road,vehicle`). */
  classes?: string;
  crf?: number;
  preset?: string;
  /** Frames between decode and the sinks (default 4 + 2 × workers + 2 × batch). */
  maxInFlight?: number;
  /** Stops gracefully: no new frames start, frames in flight finish, outputs and manifest are written. */
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  ffmpegPath?: string;
  ffprobePath?: string;
}

/** Options after defaults. */
export type ResolvedFolderOptions = SegmentFolderOptions &
  Required<Pick<SegmentFolderOptions, 'fps' | 'overwrite' | 'score' | 'engine' | 'device' | 'batch' | 'workers' | 'threads' | 'alpha' | 'classes' | 'crf' | 'preset' | 'maxInFlight' | 'recursive'>>;

const cores = Math.max(1, availableParallelism());

/** Defaults of a frame-folder run. */
export const DEFAULT_FOLDER_OPTIONS = Object.freeze({
  recursive: false,
  fps: 10,
  overwrite: false,
  score: true,
  engine: 'onnx' as EngineName,
  device: 'cpu' as DeviceName,
  batch: 1,
  workers: cores,
  threads: cores,
  alpha: 0.5,
  classes: 'road,vehicle',
  crf: 23,
  preset: 'veryfast',
});

function int(value: unknown, option: string, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) throw invalidOption(option, `an integer from 1 to ${max}`, value);
}

/**
 * Merges `options` with {@link DEFAULT_FOLDER_OPTIONS} and validates them.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_USAGE` when nothing is to be written;
 *   `SEGSTREAM_ERR_INVALID_OPTION` for a bad value
 */
export function resolveFolderOptions(options: SegmentFolderOptions): ResolvedFolderOptions {
  const input = options?.input;
  if (!(typeof input === 'string' && input !== '') && !(Array.isArray(input) && input.length > 0 && input.every((f) => typeof f === 'string' && f !== ''))) {
    throw invalidOption('input', 'a folder, a glob or a list of image files', input);
  }
  if (!options.output && !options.masks && !options.freeSpace && !options.kittiRoad && !options.freeSpaceJson) {
    throw new SegStreamError(ErrorCodes.USAGE, 'nothing to write: give --masks DIR, --free-space DIR, --kitti-road DIR, --free-space-json FILE and/or -o overlay.mp4');
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...DEFAULT_FOLDER_OPTIONS, ...defined } as ResolvedFolderOptions;
  if (typeof o.engine !== 'object' && o.engine !== 'onnx' && o.engine !== 'tfjs') throw invalidOption('engine', 'onnx or tfjs', o.engine);
  if (o.device !== 'cpu' && o.device !== 'cuda') throw invalidOption('device', 'cpu or cuda', o.device);
  int(o.batch, 'batch', 64);
  int(o.workers, 'workers', 64);
  int(o.threads, 'threads', 256);
  if (o.frames !== undefined) int(o.frames, 'frames', Number.MAX_SAFE_INTEGER);
  if (typeof o.fps !== 'number' || !(o.fps > 0 && o.fps <= 1000)) throw invalidOption('fps', 'a frame rate > 0 and <= 1000', o.fps);
  if (typeof o.alpha !== 'number' || !(o.alpha >= 0 && o.alpha <= 1)) throw invalidOption('alpha', 'a number from 0 to 1', o.alpha);
  if (!Number.isInteger(o.crf) || o.crf < 0 || o.crf > 51) throw invalidOption('crf', 'an integer from 0 to 51', o.crf);
  o.maxInFlight ??= 4 + 2 * o.workers + 2 * o.batch;
  int(o.maxInFlight, 'maxInFlight', 1024);
  return o;
}
