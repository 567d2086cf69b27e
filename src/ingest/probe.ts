/**
 * Probes a video input with ffprobe: size, exact frame rate, frame count (counted, not guessed
 * from the container header), audio streams. Classifies bad input into coded errors before any
 * output is created.
 */
import { open, stat } from 'node:fs/promises';
import { ErrorCodes, SegStreamError, type ErrorContext } from '../errors.js';
import { redact } from '../process/redact.js';
import { childError, exitText, lastLine, runOnce } from '../process/run-once.js';
import type { Rational } from '../types.js';
import { displayRotation, displayedSize, type RotatedStream } from './display-rotation.js';

/** A probed video file: its frame rate is always known. */
export type FileVideoInfo = VideoInfo & { fps: Rational };

/** What the pipeline needs to know about a video input. */
export interface VideoInfo {
  /** The input as given (file path or URL). */
  input: string;
  width: number;
  height: number;
  /**
   * Exact frame rate of the video stream. Always set for files ({@link probeVideo} fails without
   * one); for a live stream, the rate it declares, or undefined when it declares none.
   */
  fps?: Rational;
  /** Frames in the stream, counted by demuxing the file; undefined for live streams. */
  frames?: number;
  /** Duration in seconds, when known. */
  durationSeconds?: number;
  videoCodec: string;
  /** Degrees the stored picture is turned for display (0, 90, 180, 270); sizes above are as displayed. */
  rotation?: number;
  /**
   * Frames the stream's own duration tag implies (Matroska), when it has one: more than
   * `frames` means the file was cut short (it has no index to compare against).
   */
  framesByDuration?: number;
  /** The nominal and the average frame rate disagree: frames are not evenly spaced (phones, many dashcams). */
  variableFrameRate?: boolean;
  /**
   * Files: seconds from the start of the file, as ffmpeg's `-ss` counts them, to the first video
   * frame (0 for most files; MPEG-TS and some MP4s start their video a little later).
   */
  videoStartSeconds?: number;
  /** Codec names of the audio streams, in order (empty when there is none). */
  audioCodecs: string[];
  /** Container format name(s) as ffprobe reports them. */
  format: string;
}

/** Options for {@link probeVideo}. */
export interface ProbeOptions {
  ffprobe: string;
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface FfprobeStream extends RotatedStream {
  /** Matroska writes each stream's length as a `DURATION` tag (`HH:MM:SS.nnnnnnnnn`). */
  tags?: RotatedStream['tags'] & { DURATION?: string };
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  duration?: string;
  start_time?: string;
}
interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string; start_time?: string };
}

/** Parses `num/den` into a reduced rational; undefined for 0/0, 0/1 and garbage. */
export function parseRational(text: string | undefined): Rational | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text ?? '');
  if (!m) return undefined;
  let num = Number(m[1]);
  let den = Number(m[2]);
  if (!num || !den) return undefined;
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  const g = gcd(num, den);
  num /= g;
  den /= g;
  return { num, den };
}

/**
 * The frame rate to encode at: the nominal `r_frame_rate` when the measured average agrees with
 * it (within 0.1%), else the average (variable-rate sources), never an assumed 30.
 */
export function chooseFrameRate(r: Rational | undefined, avg: Rational | undefined): Rational | undefined {
  if (r && avg) {
    const rv = r.num / r.den;
    const av = avg.num / avg.den;
    return Math.abs(rv - av) / av <= 0.001 ? r : avg;
  }
  return avg ?? r;
}

/** True when both rates are known and differ by more than 0.1 % (see {@link chooseFrameRate}). */
export function isVariableRate(r: Rational | undefined, avg: Rational | undefined): boolean {
  return r !== undefined && avg !== undefined && chooseFrameRate(r, avg) !== r;
}

/** `HH:MM:SS.nnnnnnnnn` × frame rate, rounded; undefined when absent or unreadable. */
export function framesByDurationTag(tag: string | undefined, fps: Rational): number | undefined {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(tag ?? '');
  if (!m) return undefined;
  const seconds = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  return Math.round((seconds * fps.num) / fps.den);
}

const IS_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Probes `input`.
 *
 * @throws {SegStreamError} `INPUT_NOT_FOUND`, `INPUT_NOT_VIDEO`, `INPUT_TRUNCATED`,
 * `INPUT_CORRUPT`, `NO_FRAMES`.
 */
export async function probeVideo(input: string, options: ProbeOptions): Promise<FileVideoInfo> {
  const shown = redact(input);
  const isUrl = IS_URL.test(input);
  if (!isUrl) {
    let info;
    try {
      info = await stat(input);
    } catch {
      throw new SegStreamError(
        ErrorCodes.INPUT_NOT_FOUND,
        `input ${JSON.stringify(shown)} does not exist; check the path`,
        {
          context: { stage: 'probe' },
        },
      );
    }
    if (!info.isFile()) {
      throw new SegStreamError(
        ErrorCodes.INPUT_NOT_VIDEO,
        `input ${JSON.stringify(shown)} is not a video file (it is a directory or device)`,
        {
          context: { stage: 'probe' },
        },
      );
    }
    if (info.size === 0) {
      throw new SegStreamError(ErrorCodes.INPUT_NOT_VIDEO, `input ${JSON.stringify(shown)} is empty (0 bytes)`, {
        context: { stage: 'probe' },
      });
    }
  }
  const args = ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format'];
  if (!isUrl) args.push('-count_packets');
  args.push('-i', input);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const result = await runOnce(options.ffprobe, args, {
    tool: 'ffprobe',
    stage: 'probe',
    timeoutMs,
    signal: options.signal,
    scrub: redact,
    doing: `probing ${JSON.stringify(shown)}`,
  });
  const stderr = result.context.stderrTail;
  if (result.timedOut) {
    throw childError(
      ErrorCodes.INPUT_CORRUPT,
      `probing ${JSON.stringify(shown)} took longer than ${timeoutMs / 1000} s; the input is unreadable or unreachable`,
      result,
    );
  }
  if (result.code !== 0) {
    if (/end of file|truncat/i.test(stderr) || (!isUrl && (await looksLikeIsoMedia(input)))) {
      throw childError(
        ErrorCodes.INPUT_TRUNCATED,
        `input ${JSON.stringify(shown)} is truncated (${lastLine(stderr)}); re-copy or repair the file (e.g. untrunc)`,
        result,
      );
    }
    if (/Invalid data found|moov atom not found|could not find codec|unknown format|no such file/i.test(stderr)) {
      throw childError(
        ErrorCodes.INPUT_NOT_VIDEO,
        `input ${JSON.stringify(shown)} is not a video ffmpeg can read (${lastLine(stderr)})`,
        result,
      );
    }
    throw childError(
      ErrorCodes.INPUT_CORRUPT,
      `ffprobe could not read ${JSON.stringify(shown)}: ${lastLine(stderr) || exitText(result.code, result.signal)}`,
      result,
    );
  }
  const info = interpretProbe(input, result.stdout.toString('utf8'), { live: isUrl, shown, context: result.context });
  if (!info)
    throw childError(
      ErrorCodes.INPUT_CORRUPT,
      `input ${JSON.stringify(shown)} has a video stream without a frame size`,
      result,
    );
  if (!info.fps) {
    throw childError(ErrorCodes.INPUT_CORRUPT, `input ${JSON.stringify(shown)} has no usable frame rate`, result);
  }
  return info as FileVideoInfo;
}

/** True when the file starts like an MP4/MOV (an ISO BMFF `ftyp` box): unreadable ones are cut short. */
async function looksLikeIsoMedia(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'r');
    try {
      const head = Buffer.alloc(8);
      await handle.read(head, 0, 8, 0);
      return head.toString('latin1', 4, 8) === 'ftyp';
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}

/** Still-image and text "formats" ffmpeg accepts but which are not video. */
const NOT_VIDEO_CODECS = new Set(['ansi', 'bintext', 'xbin', 'idf', 'tty']);

/** Options of {@link interpretProbe}. */
export interface InterpretProbeOptions {
  /** A live stream: no frame count, no "empty file" checks, a missing frame size is `undefined` (retry). */
  live: boolean;
  /** The input as shown in messages (credentials removed). */
  shown: string;
  /** Attached to the errors thrown. */
  context: ErrorContext;
}

/**
 * What ffprobe's JSON (`-show_streams -show_format`) says about a video input: the one reading
 * of it for files and live streams. The frame rate is the stream's own (see
 * {@link chooseFrameRate}); when it declares none, `fps` is undefined, never assumed.
 *
 * @returns the facts, or undefined for a live stream whose video has no frame size yet
 * @throws {SegStreamError} `NO_FRAMES`, `INPUT_NOT_VIDEO`, `INPUT_CORRUPT`, `INPUT_TRUNCATED`
 */
export function interpretProbe(
  input: string,
  json: string,
  options: InterpretProbeOptions & { live: false },
): VideoInfo;
export function interpretProbe(input: string, json: string, options: InterpretProbeOptions): VideoInfo | undefined;
export function interpretProbe(input: string, json: string, options: InterpretProbeOptions): VideoInfo | undefined {
  const { shown, context, live } = options;
  let probe: FfprobeOutput;
  try {
    probe = JSON.parse(json) as FfprobeOutput;
  } catch (cause) {
    if (live) return undefined;
    throw new SegStreamError(
      ErrorCodes.INPUT_CORRUPT,
      `ffprobe printed unreadable output for ${JSON.stringify(shown)}`,
      { cause, context },
    );
  }
  const streams = probe.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !NOT_VIDEO_CODECS.has(s.codec_name ?? ''));
  const format = probe.format?.format_name ?? 'unknown';
  if (streams.length === 0 && !live) {
    throw new SegStreamError(
      ErrorCodes.NO_FRAMES,
      `input ${JSON.stringify(shown)} contains no frames (an empty ${format} file)`,
      { context },
    );
  }
  if (!video || format === 'tty') {
    throw new SegStreamError(
      ErrorCodes.INPUT_NOT_VIDEO,
      live ? `${shown} has no video stream` : `input ${JSON.stringify(shown)} has no video stream (format: ${format})`,
      { context },
    );
  }
  // The decoder turns rotated (phone) video upright; frames have the displayed size.
  const rotation = displayRotation(video);
  const { width, height } = displayedSize(video.width ?? 0, video.height ?? 0, rotation);
  const fps = chooseFrameRate(parseRational(video.r_frame_rate), parseRational(video.avg_frame_rate));
  const counted = video.nb_read_packets === undefined ? undefined : Number(video.nb_read_packets);
  const declared = video.nb_frames === undefined ? undefined : Number(video.nb_frames);
  if (!live && (counted === 0 || (counted === undefined && declared === 0))) {
    throw new SegStreamError(ErrorCodes.NO_FRAMES, `input ${JSON.stringify(shown)} has a video stream with no frames`, {
      context,
    });
  }
  if (!width || !height) {
    if (live) return undefined;
    throw new SegStreamError(
      ErrorCodes.INPUT_CORRUPT,
      `input ${JSON.stringify(shown)} has a video stream without a frame size`,
      { context },
    );
  }
  if (counted !== undefined && declared !== undefined && declared > counted) {
    throw new SegStreamError(
      ErrorCodes.INPUT_TRUNCATED,
      `input ${JSON.stringify(shown)} is truncated: its header lists ${declared} frames but only ${counted} are in the file; re-copy or repair it`,
      { context },
    );
  }
  const duration = Number(video.duration ?? probe.format?.duration);
  const videoStart = Number(video.start_time) - Number(probe.format?.start_time);
  return {
    input,
    width,
    height,
    fps,
    frames: live ? undefined : (counted ?? declared),
    durationSeconds: Number.isFinite(duration) && duration > 0 ? duration : undefined,
    videoCodec: video.codec_name ?? 'unknown',
    rotation,
    framesByDuration: fps && framesByDurationTag(video.tags?.DURATION, fps),
    variableFrameRate: isVariableRate(parseRational(video.r_frame_rate), parseRational(video.avg_frame_rate)),
    videoStartSeconds: live ? undefined : Number.isFinite(videoStart) ? Math.max(0, videoStart) : 0,
    audioCodecs: streams.filter((s) => s.codec_type === 'audio').map((s) => s.codec_name ?? 'unknown'),
    format,
  };
}
