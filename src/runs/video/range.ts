/**
 * One chunk of a long video file run on its own (`segmentVideo({ range })`): which frames, where
 * the decoder seeks, and the sinks that name masks and `--stats` lines by the frame's place in
 * the whole file, so that chunk outputs put side by side are what a one-machine run writes.
 * docs/fleet.md "Chunked runs of a long video".
 */
import { invalidOption, optionError } from '../../errors.js';
import type { FileVideoInfo } from '../../ingest/probe.js';
import { PngDirectory } from '../../sinks/png-directory.js';
import { StatsFile, type FrameStats } from '../../sinks/stats-file.js';

/**
 * Frames `startFrame` … `startFrame + frames - 1` of a video file (0-based, in display order),
 * starting at a source key frame. {@link planChunks} makes these.
 */
export interface ChunkRange {
  /** Index of the chunk's first frame in the whole file. */
  startFrame: number;
  /** Frames in the chunk (≥ 1). */
  frames: number;
  /**
   * Time of the chunk's first frame (a key frame) in seconds from the file's first video frame:
   * what a whole-file run writes as that frame's `pts` in `--stats`.
   */
  startSeconds: number;
}

/** Options a chunk cannot honour, each with the reason given to the user. */
const REFUSED: [keyof RangeChecked, string][] = [
  ['frames', 'the range already says how many frames'],
  ['duration', 'the range already says how many frames'],
  ['segmentTime', 'chunk overlays are joined by stitchVideo, not cut into segments'],
];

interface RangeChecked {
  range?: ChunkRange;
  frames?: number;
  duration?: number;
  segmentTime?: number;
  smooth?: number;
}

/**
 * Validates `options.range` at the option boundary (before anything is probed).
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` for a malformed range;
 *   or for a live input or an option a chunk cannot honour
 */
export function checkRange(options: RangeChecked, live: boolean): void {
  const r = options.range;
  if (r === undefined) return;
  if (typeof r !== 'object' || r === null)
    throw invalidOption('range', 'an object { startFrame, frames, startSeconds }', r);
  if (!Number.isInteger(r.startFrame) || r.startFrame < 0)
    throw invalidOption('range.startFrame', 'an integer >= 0', r.startFrame);
  if (!Number.isInteger(r.frames) || r.frames < 1) throw invalidOption('range.frames', 'an integer >= 1', r.frames);
  if (typeof r.startSeconds !== 'number' || !Number.isFinite(r.startSeconds) || r.startSeconds < 0)
    throw invalidOption('range.startSeconds', 'a number of seconds >= 0', r.startSeconds);
  if (live)
    throw optionError('range', 'a frame range (`range`) needs a video file; a live stream has no frames to seek to');
  for (const [option, why] of REFUSED) {
    if (options[option] !== undefined)
      throw optionError(option, `\`range\` cannot be combined with \`${option}\`: ${why}`);
  }
  if (options.smooth) {
    throw optionError(
      'smooth',
      '`range` cannot be combined with `smooth`: temporal smoothing carries state from frame to frame, so a chunk could not label its first frames as a whole-file run does; run the file whole',
    );
  }
}

/**
 * Checks `range` against the probed file: inside it, and at a constant frame rate.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` past the end;
 *   `SEGSTREAM_ERR_INVALID_OPTION` (option `range`) for a variable-frame-rate file
 */
export function checkRangeInFile(range: ChunkRange, info: FileVideoInfo): void {
  const total = info.frames ?? 0;
  if (range.startFrame + range.frames > total) {
    throw invalidOption(
      'range',
      `frames inside the input's ${total}`,
      `${range.startFrame}..${range.startFrame + range.frames - 1}`,
    );
  }
  if (info.variableFrameRate) {
    throw optionError(
      'range',
      'a frame range (`range`) needs a constant-frame-rate input: the frames of this one are unevenly spaced, so chunk overlays could not be joined at the exact times; run the file whole',
    );
  }
}

/**
 * Where the decoder seeks (ffmpeg `-ss` before `-i`, seconds from the start of the file): 2 µs
 * before the key frame, so rounding never lands past it; ffmpeg still starts at that key frame
 * and drops nothing but frames before it.
 */
export function rangeSeekSeconds(range: ChunkRange, info: FileVideoInfo): number | undefined {
  if (range.startFrame === 0) return undefined;
  return Math.max(0, Math.round(((info.videoStartSeconds ?? 0) + range.startSeconds) * 1e6) - 2) / 1e6;
}

/** Digits of mask names: as a whole-file run over `totalFrames` names them. */
export function maskDigits(totalFrames: number): number {
  return Math.max(6, String(totalFrames - 1).length);
}

/** A {@link PngDirectory} whose frame `i` is frame `startFrame + i` of the whole file. */
class ShiftedPngDirectory extends PngDirectory {
  constructor(
    dir: string,
    digits: number,
    readonly first: number,
  ) {
    super(dir, digits);
  }

  override pathFor(index: number): string {
    return super.pathFor(this.first + index);
  }
}

/** A mask folder for a run: names by frame index in the whole file when the run covers `range`. */
export function maskDirectory(dir: string, digits: number, range: ChunkRange | undefined): PngDirectory {
  return range ? new ShiftedPngDirectory(dir, digits, range.startFrame) : new PngDirectory(dir, digits);
}

/** A {@link StatsFile} writing each frame's place and time in the whole file. */
class ShiftedStatsFile extends StatsFile {
  constructor(
    file: string,
    readonly range: ChunkRange,
  ) {
    super(file);
  }

  override write(stats: FrameStats): Promise<void> {
    const { startFrame, startSeconds } = this.range;
    return super.write({
      ...stats,
      index: stats.index + startFrame,
      sourceIndex: stats.sourceIndex + startFrame,
      pts: stats.pts + startSeconds,
    });
  }
}

/** The `--stats` file of a run: lines numbered in the whole file when the run covers `range`. */
export function statsFileFor(file: string, range: ChunkRange | undefined): StatsFile {
  return range ? new ShiftedStatsFile(file, range) : new StatsFile(file);
}
