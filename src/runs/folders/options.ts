/**
 * Options of a frame-folder run ({@link segmentFolder}): frozen defaults declared once and one
 * function that merges and validates them.
 */
import { DEFAULTS } from '../../defaults.js';
import { invalidOption, optionError } from '../../errors.js';
import { DEFAULT_RUN_OPTIONS, validateRunOptions, withDefaults, type RunOptions } from '../options.js';

/** Options of a frame-folder or batch run. */
export interface SegmentFolderOptions extends RunOptions {
  /** A frame folder, a dataset folder (KITTI raw/semantics/road, CamVid, Cityscapes), a glob, or a list of image files. */
  input: string | string[];
  /** `seg-stream batch`: process every sequence found anywhere below `input`. Default false. */
  recursive?: boolean;
  /** Folder for 8-bit road confidence PNGs in the KITTI road benchmark's naming (`um_road_000000.png`; others `<stem>_road.png`). */
  kittiRoad?: string;
  /** JSONL file: per frame, the free-space boundary per column and the free-space fraction. */
  freeSpaceJson?: string;
  /** Frame rate of the overlay video (default 10, KITTI's rate); one video per sequence when the run has several (`out.mp4` → `out-image_02.mp4`). */
  fps?: number;
  /** Where to write the run's manifest (default: `manifest.json` in the first output folder, else beside the first output file). */
  manifest?: string;
  /** Redo every frame, even those whose outputs exist (default false: complete frames are skipped). */
  overwrite?: boolean;
  /** Score frames that have ground truth (default true). */
  score?: boolean;
}

/** Options after defaults. */
export type ResolvedFolderOptions = SegmentFolderOptions &
  Required<
    Pick<
      SegmentFolderOptions,
      | 'fps'
      | 'overwrite'
      | 'score'
      | 'engine'
      | 'device'
      | 'batch'
      | 'workers'
      | 'threads'
      | 'alpha'
      | 'classes'
      | 'crf'
      | 'preset'
      | 'maxInFlight'
      | 'recursive'
    >
  >;

/** Defaults of a frame-folder run. */
export const DEFAULT_FOLDER_OPTIONS = Object.freeze({
  ...DEFAULT_RUN_OPTIONS,
  recursive: false,
  fps: 10,
  overwrite: false,
  score: true,
  workers: DEFAULTS.workers,
  threads: DEFAULTS.folderThreads,
});

/**
 * Merges `options` with {@link DEFAULT_FOLDER_OPTIONS} and validates them.
 *
 * @param needOutput false for a run that only scores (evaluation)
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` naming the option (`context.option`):
 *   nothing to write, a bad value
 */
export function resolveFolderOptions(options: SegmentFolderOptions, needOutput = true): ResolvedFolderOptions {
  const input = options?.input;
  if (
    !(typeof input === 'string' && input !== '') &&
    !(Array.isArray(input) && input.length > 0 && input.every((f) => typeof f === 'string' && f !== ''))
  ) {
    throw invalidOption('input', 'a folder, a glob or a list of image files', input);
  }
  if (
    needOutput &&
    !options.output &&
    !options.masks &&
    !options.freeSpace &&
    !options.kittiRoad &&
    !options.freeSpaceJson
  ) {
    throw optionError(
      'masks',
      'nothing to write: give a masks folder (`masks`), a free-space folder (`freeSpace`), a KITTI road folder (`kittiRoad`), a free-space JSONL file (`freeSpaceJson`) and/or an overlay video file (`output`)',
    );
  }
  const o = withDefaults(DEFAULT_FOLDER_OPTIONS, options) as ResolvedFolderOptions;
  o.maxInFlight ??= 4 + 2 * o.workers + 2 * o.batch;
  validateRunOptions(o);
  if (typeof o.fps !== 'number' || !(o.fps > 0 && o.fps <= 1000))
    throw invalidOption('fps', 'a frame rate > 0 and <= 1000', o.fps);
  return o;
}
