/**
 * Probes a video input with ffprobe: size, exact frame rate, frame count (counted, not guessed
 * from the container header), audio streams. Classifies bad input into coded errors before any
 * output is created.
 */
import { open, stat } from 'node:fs/promises';
import { ErrorCodes, SegStreamError, isSegStreamError } from '../errors.js';
import { fallbackFfprobe } from '../config/binary-choice.js';
import { crashError } from '../util/child-exit.js';
import type { Rational } from '../types.js';
import { spawnManaged } from '../util/child.js';
import { redact } from '../util/redact.js';
import { displayRotation, displayedSize, type RotatedStream } from './display-rotation.js';

/** What the pipeline needs to know about a video input. */
export interface VideoInfo {
  /** The input as given (file path or URL). */
  input: string;
  width: number;
  height: number;
  /** Exact frame rate of the video stream. */
  fps: Rational;
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
}
interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string };
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
export async function probeVideo(input: string, options: ProbeOptions): Promise<VideoInfo> {
  try {
    return await probeVideoWith(input, options);
  } catch (err) {
    // A crashed ffprobe says nothing about the input: retry with another build when there is one.
    const other = isSegStreamError(err, ErrorCodes.FFMPEG_CRASHED) ? fallbackFfprobe(options.ffprobe) : undefined;
    if (!other) throw err;
    return probeVideoWith(input, { ...options, ffprobe: other });
  }
}

async function probeVideoWith(input: string, options: ProbeOptions): Promise<VideoInfo> {
  const shown = redact(input);
  const isUrl = IS_URL.test(input);
  if (!isUrl) {
    let info;
    try {
      info = await stat(input);
    } catch {
      throw new SegStreamError(ErrorCodes.INPUT_NOT_FOUND, `input ${JSON.stringify(shown)} does not exist; check the path`, {
        context: { stage: 'probe' },
      });
    }
    if (!info.isFile()) {
      throw new SegStreamError(ErrorCodes.INPUT_NOT_VIDEO, `input ${JSON.stringify(shown)} is not a video file (it is a directory or device)`, {
        context: { stage: 'probe' },
      });
    }
    if (info.size === 0) {
      throw new SegStreamError(ErrorCodes.INPUT_NOT_VIDEO, `input ${JSON.stringify(shown)} is empty (0 bytes)`, { context: { stage: 'probe' } });
    }
  }
  const args = ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format'];
  if (!isUrl) args.push('-count_packets');
  args.push('-i', input);
  const child = spawnManaged(options.ffprobe, args, { stdout: 'pipe' });
  const chunks: Buffer[] = [];
  child.process.stdout!.on('data', (c: Buffer) => chunks.push(c));
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void child.kill(500);
  }, timeoutMs);
  const onAbort = () => void child.kill(500);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const spawnError = new Promise<Error | undefined>((resolve) => {
    child.process.once('error', resolve);
    child.exited.then(() => resolve(undefined), () => resolve(undefined));
  });
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  const err = await spawnError;
  if (err) {
    throw new SegStreamError(ErrorCodes.FFMPEG_NOT_FOUND, `could not run ffprobe (${err.message}); set FFPROBE_PATH`, { cause: err });
  }
  const stderr = child.stderrTail();
  const context = { stage: 'probe', stderrTail: stderr, command: child.command };
  if (timedOut) {
    throw new SegStreamError(ErrorCodes.INPUT_CORRUPT, `probing ${JSON.stringify(shown)} took longer than ${timeoutMs / 1000} s; the input is unreadable or unreachable`, { context });
  }
  if (signal && !options.signal?.aborted) throw crashError('ffprobe', options.ffprobe, signal, `probing ${JSON.stringify(shown)}`, context);
  if (code !== 0) {
    if (/end of file|truncat/i.test(stderr) || (!isUrl && (await looksLikeIsoMedia(input)))) {
      throw new SegStreamError(ErrorCodes.INPUT_TRUNCATED, `input ${JSON.stringify(shown)} is truncated (${lastLine(stderr)}); re-copy or repair the file (e.g. untrunc)`, { context });
    }
    if (/Invalid data found|moov atom not found|could not find codec|unknown format|no such file/i.test(stderr)) {
      throw new SegStreamError(ErrorCodes.INPUT_NOT_VIDEO, `input ${JSON.stringify(shown)} is not a video ffmpeg can read (${lastLine(stderr)})`, { context });
    }
    throw new SegStreamError(ErrorCodes.INPUT_CORRUPT, `ffprobe could not read ${JSON.stringify(shown)}: ${lastLine(stderr) || `exit code ${code}`}`, { context });
  }
  let parsed: FfprobeOutput;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FfprobeOutput;
  } catch (cause) {
    throw new SegStreamError(ErrorCodes.INPUT_CORRUPT, `ffprobe printed unreadable output for ${JSON.stringify(shown)}`, { cause, context });
  }
  return interpret(input, shown, parsed, isUrl, context);
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

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}

/** Still-image and text "formats" ffmpeg accepts but which are not video. */
const NOT_VIDEO_CODECS = new Set(['ansi', 'bintext', 'xbin', 'idf', 'tty']);

function interpret(input: string, shown: string, probe: FfprobeOutput, isUrl: boolean, context: object): VideoInfo {
  const streams = probe.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !NOT_VIDEO_CODECS.has(s.codec_name ?? ''));
  const format = probe.format?.format_name ?? 'unknown';
  if (streams.length === 0 && !isUrl) {
    throw new SegStreamError(ErrorCodes.NO_FRAMES, `input ${JSON.stringify(shown)} contains no frames (an empty ${format} file)`, { context });
  }
  if (!video || format === 'tty') {
    throw new SegStreamError(ErrorCodes.INPUT_NOT_VIDEO, `input ${JSON.stringify(shown)} has no video stream (format: ${format})`, { context });
  }
  // The decoder turns rotated (phone) video upright; frames have the displayed size.
  const rotation = displayRotation(video);
  const { width, height } = displayedSize(video.width ?? 0, video.height ?? 0, rotation);
  const fps = chooseFrameRate(parseRational(video.r_frame_rate), parseRational(video.avg_frame_rate));
  const counted = video.nb_read_packets === undefined ? undefined : Number(video.nb_read_packets);
  const declared = video.nb_frames === undefined ? undefined : Number(video.nb_frames);
  if (!isUrl && (counted === 0 || (counted === undefined && declared === 0))) {
    throw new SegStreamError(ErrorCodes.NO_FRAMES, `input ${JSON.stringify(shown)} has a video stream with no frames`, { context });
  }
  if (!width || !height) {
    throw new SegStreamError(ErrorCodes.INPUT_CORRUPT, `input ${JSON.stringify(shown)} has a video stream without a frame size`, { context });
  }
  if (counted !== undefined && declared !== undefined && declared > counted) {
    throw new SegStreamError(
      ErrorCodes.INPUT_TRUNCATED,
      `input ${JSON.stringify(shown)} is truncated: its header lists ${declared} frames but only ${counted} are in the file; re-copy or repair it`,
      { context },
    );
  }
  if (!fps) {
    throw new SegStreamError(ErrorCodes.INPUT_CORRUPT, `input ${JSON.stringify(shown)} has no usable frame rate (r_frame_rate=${video.r_frame_rate})`, { context });
  }
  const duration = Number(video.duration ?? probe.format?.duration);
  return {
    input,
    width,
    height,
    fps,
    frames: isUrl ? undefined : (counted ?? declared),
    durationSeconds: Number.isFinite(duration) && duration > 0 ? duration : undefined,
    videoCodec: video.codec_name ?? 'unknown',
    rotation,
    framesByDuration: framesByDurationTag(video.tags?.DURATION, fps),
    variableFrameRate: isVariableRate(parseRational(video.r_frame_rate), parseRational(video.avg_frame_rate)),
    audioCodecs: streams.filter((s) => s.codec_type === 'audio').map((s) => s.codec_name ?? 'unknown'),
    format,
  };
}
