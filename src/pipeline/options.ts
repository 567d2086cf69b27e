/**
 * Options of a video run: frozen defaults declared once, and one function that merges and
 * validates them at the public boundary.
 */
import { availableParallelism } from 'node:os';
import { invalidOption, ErrorCodes, SegStreamError } from '../errors.js';
import type { DeviceName, Engine, EngineName, LoadedModel } from '../infer/types.js';
import type { RtspTransport } from '../ingest/live-source.js';
import type { Progress } from './stats.js';

/** Options of {@link segmentVideo}. */
export interface SegmentVideoOptions {
  /** Video file (or URL ffmpeg can read). */
  input: string;
  /** Overlay video to write (MP4, H.264 yuv420p, faststart). */
  output?: string;
  /** Folder for class-id PNG masks, one per frame, named by zero-padded frame index. */
  masks?: string;
  /** Folder for 0/255 free-space PNG masks, one per frame. */
  freeSpace?: string;
  /** Stop after this many frames; outputs are still finished and playable. */
  frames?: number;
  /** Stop after this many seconds of source time (files) or wall-clock time (live streams). */
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
  /** Worker threads for pre-processing and rendering (default: cores, at least 1). */
  workers?: number;
  /** Threads for CPU inference (default: cores - 1, at least 1: ffmpeg and the workers use the rest). */
  threads?: number;
  /** Overlay opacity, 0..1 (default 0.5). */
  alpha?: number;
  /** Classes painted on the overlay: `all`, roles (`road`, `vehicle`, `free-space`) and/or class names. Default `road,vehicle`. */
  classes?: string;
  /** Carry the input's audio over to the overlay (default true). */
  audio?: boolean;
  /** x264 CRF (default 23). */
  crf?: number;
  /** x264 preset (default `veryfast`). */
  preset?: string;
  /** Pad odd-sized frames to even for the overlay video instead of failing (default false). */
  padToEven?: boolean;
  /** Frames allowed between decoder and sinks (default: 4 + 2 × workers + 2 × batch for files, batch + 1 for live streams, which keeps latency low). */
  maxInFlight?: number;
  /** Stops the run gracefully: no new frames are read, frames in flight finish, outputs are finalised. */
  signal?: AbortSignal;
  /** Called at most every 100 ms and once at the end. */
  onProgress?: (progress: Progress) => void;
  /** Explicit ffmpeg / ffprobe binaries (else FFMPEG_PATH / FFPROBE_PATH, packages, PATH). */
  ffmpegPath?: string;
  ffprobePath?: string;
}

/** Options after defaults are applied. */
export type ResolvedVideoOptions = Required<
  Pick<SegmentVideoOptions, 'engine' | 'device' | 'batch' | 'workers' | 'threads' | 'alpha' | 'classes' | 'audio' | 'crf' | 'preset' | 'padToEven' | 'maxInFlight'>
> &
  SegmentVideoOptions;

const cores = Math.max(1, availableParallelism());

/** Defaults of a video run. */
export const DEFAULT_VIDEO_OPTIONS = Object.freeze({
  engine: 'onnx' as EngineName,
  device: 'cpu' as DeviceName,
  batch: 1,
  workers: cores,
  // One core left to decoding, encoding and the workers: on 2 cores this measured faster than 2
  // inference threads competing with them (bench/video-e2e.mjs).
  threads: Math.max(1, cores - 1),
  alpha: 0.5,
  classes: 'road,vehicle',
  audio: true,
  crf: 23,
  preset: 'veryfast',
  padToEven: false,
});

const PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'];

function positiveInt(value: unknown, option: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalidOption(option, `an integer from 1 to ${max}`, value);
  }
  return value;
}

/**
 * Merges `options` with {@link DEFAULT_VIDEO_OPTIONS} and validates every field.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` / `SEGSTREAM_ERR_USAGE`
 */
export function resolveVideoOptions(options: SegmentVideoOptions, live = false): ResolvedVideoOptions {
  if (typeof options?.input !== 'string' || options.input === '') throw invalidOption('input', 'a video file path or URL', options?.input);
  if (!options.output && !options.masks && !options.freeSpace) {
    throw new SegStreamError(ErrorCodes.USAGE, 'nothing to write: give an overlay video (-o FILE), --masks DIR and/or --free-space DIR');
  }
  const merged = { ...DEFAULT_VIDEO_OPTIONS, ...stripUndefined(options) } as ResolvedVideoOptions;
  if (typeof merged.engine === 'object') {
    if (typeof merged.engine?.run !== 'function') throw invalidOption('engine', 'onnx, tfjs or an Engine', merged.engine);
  } else if (merged.engine !== 'onnx' && merged.engine !== 'tfjs') throw invalidOption('engine', 'onnx or tfjs', merged.engine);
  if (merged.device !== 'cpu' && merged.device !== 'cuda') throw invalidOption('device', 'cpu or cuda', merged.device);
  positiveInt(merged.batch, 'batch', 64);
  positiveInt(merged.workers, 'workers', 64);
  positiveInt(merged.threads, 'threads', 256);
  if (merged.frames !== undefined) positiveInt(merged.frames, 'frames');
  if (typeof merged.alpha !== 'number' || !(merged.alpha >= 0 && merged.alpha <= 1)) throw invalidOption('alpha', 'a number from 0 to 1', merged.alpha);
  if (typeof merged.crf !== 'number' || !Number.isInteger(merged.crf) || merged.crf < 0 || merged.crf > 51) throw invalidOption('crf', 'an integer from 0 to 51', merged.crf);
  if (!PRESETS.includes(merged.preset)) throw invalidOption('preset', `one of ${PRESETS.join(', ')}`, merged.preset);
  if (typeof merged.classes !== 'string' || merged.classes.trim() === '') throw invalidOption('classes', 'all, road, vehicle, free-space or class names', merged.classes);
  if (merged.segmentTime !== undefined && !(typeof merged.segmentTime === 'number' && merged.segmentTime > 0)) throw invalidOption('segmentTime', 'a number of seconds > 0', merged.segmentTime);
  if (merged.duration !== undefined && !(typeof merged.duration === 'number' && merged.duration > 0)) throw invalidOption('duration', 'a number of seconds > 0', merged.duration);
  if (merged.reconnectMax !== undefined && !(merged.reconnectMax === Infinity || (Number.isInteger(merged.reconnectMax) && merged.reconnectMax >= 0))) {
    throw invalidOption('reconnectMax', 'an integer >= 0', merged.reconnectMax);
  }
  merged.maxInFlight ??= live ? merged.batch + 1 : 4 + 2 * merged.workers + 2 * merged.batch;
  positiveInt(merged.maxInFlight, 'maxInFlight', 1024);
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
