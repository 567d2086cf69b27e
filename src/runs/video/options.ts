/**
 * Options of a video run: frozen defaults declared once, and one function that merges and
 * validates them at the public boundary.
 */
import { DEFAULTS } from '../../defaults.js';
import { invalidOption, optionError } from '../../errors.js';
import type { RtspTransport } from '../../ingest/live/args.js';
import { checkSmooth } from '../../temporal/stage.js';
import { DEFAULT_RUN_OPTIONS, validateRunOptions, withDefaults, type RunOptions } from '../options.js';
import { checkRange, type ChunkRange } from './range.js';

/** Options of {@link segmentVideo}. */
export interface SegmentVideoOptions extends RunOptions {
  /** Video file (or URL ffmpeg can read). */
  input: string;
  /** Stop after this many seconds of source time (files), or of stream time from the first frame (live streams: connecting does not count). */
  duration?: number;
  /** `--stats FILE.jsonl`: one JSON line per frame (index, timestamps, latency, drops so far). */
  stats?: string;
  /** Live streams: RTP transport for rtsp:// (default `tcp`). */
  rtspTransport?: RtspTransport;
  /** Live streams: connect/read timeout in ms (default 5000). */
  timeoutMs?: number;
  /** Live streams: consecutive failed reconnection attempts before giving up (default: keep trying). */
  reconnectMax?: number;
  /** Live streams: first retry delay in ms, doubling up to 8 s (default 500). */
  reconnectDelayMs?: number;
  /** Cut the overlay video into files of this many seconds (`out.mp4` → `out-00000.mp4`, …), each renamed into place when complete. */
  segmentTime?: number;
  /** Live streams: keep every frame and accept growing lag, instead of dropping stale frames. */
  noDrop?: boolean;
  /**
   * Live streams: the camera comes back at another frame size. `follow` (default): the overlay so
   * far is finished and the run goes on in a new file at the new size (`live-part2.mp4`, …; masks
   * take each frame's size); `stop`: end with `SEGSTREAM_ERR_STREAM_CHANGED`, keeping everything
   * written so far.
   */
  onSizeChange?: 'follow' | 'stop';
  /** Carry the input's audio over to the overlay (default true). */
  audio?: boolean;
  /**
   * URLs: read as a live stream (true) or as a finite file (false). Default: rtsp(s):// is live;
   * http(s):// is a file when ffprobe reports a finite duration, else live.
   */
  live?: boolean;
  /** Pad odd-sized frames to even for the overlay video instead of failing (default false). */
  padToEven?: boolean;
  /** Temporal smoothing strength, 0 (off, the default) to 0.95; see docs/temporal-stability.md. */
  smooth?: number;
  /**
   * Files only: run one chunk of the file, frames `startFrame` … `startFrame + frames - 1`,
   * starting at a source key frame (as {@link planChunks} cuts them). The decoder seeks there;
   * masks and `--stats` lines are numbered by the frame's place in the whole file (same digits);
   * the overlay has no audio ({@link stitchVideo} joins the chunk overlays and adds it once).
   * Refused for live streams, variable-frame-rate files, and with `frames`, `duration`,
   * `segmentTime` or `smooth`.
   */
  range?: ChunkRange;
}

/** Options after defaults are applied. */
export type ResolvedVideoOptions = Required<
  Pick<
    SegmentVideoOptions,
    | 'engine'
    | 'device'
    | 'batch'
    | 'workers'
    | 'threads'
    | 'alpha'
    | 'classes'
    | 'audio'
    | 'crf'
    | 'preset'
    | 'padToEven'
    | 'maxInFlight'
  >
> &
  SegmentVideoOptions;

/** Defaults of a video run. */
export const DEFAULT_VIDEO_OPTIONS = Object.freeze({
  ...DEFAULT_RUN_OPTIONS,
  workers: DEFAULTS.workers,
  threads: DEFAULTS.videoThreads,
  audio: true,
  padToEven: false,
});

/**
 * Merges `options` with {@link DEFAULT_VIDEO_OPTIONS} and validates every field.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` naming the option (`context.option`)
 */
export function resolveVideoOptions(options: SegmentVideoOptions, live = false): ResolvedVideoOptions {
  if (typeof options?.input !== 'string' || options.input === '')
    throw invalidOption('input', 'a video file path or URL', options?.input);
  if (!options.output && !options.masks && !options.freeSpace) {
    throw optionError(
      'output',
      'nothing to write: give an overlay video file (`output`), a masks folder (`masks`) and/or a free-space folder (`freeSpace`)',
    );
  }
  const merged = withDefaults(DEFAULT_VIDEO_OPTIONS, options) as ResolvedVideoOptions;
  merged.maxInFlight ??= live ? merged.batch + 1 : 4 + 2 * merged.workers + 2 * merged.batch;
  validateRunOptions(merged);
  if (merged.smooth !== undefined) checkSmooth(merged.smooth);
  if (merged.segmentTime !== undefined && !(typeof merged.segmentTime === 'number' && merged.segmentTime > 0))
    throw invalidOption('segmentTime', 'a number of seconds > 0', merged.segmentTime);
  if (merged.duration !== undefined && !(typeof merged.duration === 'number' && merged.duration > 0))
    throw invalidOption('duration', 'a number of seconds > 0', merged.duration);
  if (
    merged.reconnectMax !== undefined &&
    !(merged.reconnectMax === Infinity || (Number.isInteger(merged.reconnectMax) && merged.reconnectMax >= 0))
  ) {
    throw invalidOption('reconnectMax', 'an integer >= 0', merged.reconnectMax);
  }
  checkRange(merged, live);
  if (merged.onSizeChange !== undefined && merged.onSizeChange !== 'follow' && merged.onSizeChange !== 'stop')
    throw invalidOption('onSizeChange', '"follow" or "stop"', merged.onSizeChange);
  return merged;
}
