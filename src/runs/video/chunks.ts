/**
 * Cuts a long video file into chunks that run independently (`segmentVideo({ range })`, one per
 * chunk, on any machine) and are then joined by {@link stitchVideo}. Chunks start at source key
 * frames, so a chunk's decoder seeks straight there and its frames are exactly the whole file's.
 * docs/fleet.md "Chunked runs of a long video".
 */
import { ErrorCodes, SegStreamError, invalidOption } from '../../errors.js';
import { probeVideo } from '../../ingest/probe.js';
import { resolveFfmpeg } from '../../process/binaries.js';
import { redact } from '../../process/redact.js';
import { childError, exitText, lastLine, runOnce } from '../../process/run-once.js';
import type { Rational } from '../../types.js';
import type { ChunkRange } from './range.js';

/** Options of {@link planChunks}. */
export interface PlanChunksOptions {
  /** Target chunk length in seconds; each cut is at the first key frame at or after a multiple of it. */
  chunkSeconds: number;
  /** The ffprobe binary to run (default: resolved like every run's, see `ffmpegPath`). */
  ffprobe?: string;
  /** Explicit ffmpeg binary (else FFMPEG_PATH, packages, PATH); its ffprobe is used when `ffprobe` is not given. */
  ffmpegPath?: string;
  /** Give up each ffprobe call after this long (default 10 minutes: a long file is read once). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** One chunk: a {@link ChunkRange} (pass it as `segmentVideo`'s `range`) and its place in the plan. */
export interface Chunk extends ChunkRange {
  /** 0, 1, 2, … in file order. */
  index: number;
}

/** What {@link planChunks} returns. */
export interface ChunkPlan {
  /** Frames in the whole file (as `segmentVideo` counts them). */
  frames: number;
  /** The file's exact frame rate. */
  fps: Rational;
  /**
   * The chunks in order: contiguous, together every frame once. One chunk means "run the file
   * whole" (`segmentVideo` without `range`, nothing to stitch).
   */
  chunks: Chunk[];
  /** Set when the file cannot be chunked exactly and runs whole: the reason, for logs and status. */
  whole?: string;
}

/** The most bytes ffprobe prints per packet line (`packet,<pts>,<flags>`), with room to spare. */
const BYTES_PER_PACKET = 48;

/**
 * Plans the chunks of video file `input`.
 *
 * A file shorter than `chunkSeconds`, or with too few key frames, gets fewer chunks (down to
 * one). A variable-frame-rate file (and one whose packets carry no timestamps) is never chunked:
 * its plan is one chunk with the reason in `whole`, because chunk overlays are joined by their
 * frame count at the file's one rate. Rotated (phone) video is chunked like any other: every
 * chunk decodes upright, as a whole-file run does.
 *
 * Reads the file's packet list once (no decoding): about 20 bytes of ffprobe output and 8 bytes
 * of memory per frame, e.g. ~4 MB and ~1.6 MB for a 2-hour video at 25 fps.
 *
 * @example
 * ```ts
 * const plan = await planChunks('drive.mp4', { chunkSeconds: 300 });
 * for (const chunk of plan.chunks) await segmentVideo({ input: 'drive.mp4', output: `part-${chunk.index}.mp4`, masks: 'masks/', range: chunk });
 * ```
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` for a bad `chunkSeconds`; the probe's
 *   input errors (`INPUT_NOT_FOUND`, `INPUT_NOT_VIDEO`, …)
 */
export async function planChunks(input: string, options: PlanChunksOptions): Promise<ChunkPlan> {
  const { chunkSeconds } = options ?? {};
  if (typeof chunkSeconds !== 'number' || !Number.isFinite(chunkSeconds) || chunkSeconds <= 0)
    throw invalidOption('chunkSeconds', 'a number of seconds > 0', chunkSeconds);
  const ffprobe = options.ffprobe ?? resolveFfmpeg({ ffmpegPath: options.ffmpegPath }).ffprobe.path;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const info = await probeVideo(input, { ffprobe, signal: options.signal, timeoutMs });
  const frames = info.frames!;
  const whole = (reason?: string): ChunkPlan => ({
    frames,
    fps: info.fps,
    chunks: [{ index: 0, startFrame: 0, frames, startSeconds: 0 }],
    ...(reason ? { whole: reason } : {}),
  });
  if (info.variableFrameRate)
    return whole('variable frame rate: chunk overlays could not be joined at the exact times');
  if ((frames * info.fps.den) / info.fps.num <= chunkSeconds) return whole();
  const packets = await readPackets(input, ffprobe, frames, timeoutMs, options.signal);
  if (!packets) return whole('the video packets carry no timestamps');
  return { frames, fps: info.fps, chunks: cutAtKeyFrames(packets, frames, chunkSeconds) };
}

/** Video packet times: every presentation time (sorted), the key frames', and the time base. */
export interface PacketTimes {
  /** Presentation times in time-base ticks, ascending. */
  pts: Float64Array;
  /** Key frames' presentation times in ticks, ascending. */
  keys: number[];
  timeBase: Rational;
}

/**
 * Chunks from packet times: a cut at the first key frame at or after each multiple of
 * `chunkSeconds` (measured from the first frame), its frame index the number of frames shown
 * before it. Cuts that would repeat one or fall past `frames` are skipped.
 */
export function cutAtKeyFrames(packets: PacketTimes, frames: number, chunkSeconds: number): Chunk[] {
  const { pts, keys, timeBase } = packets;
  const first = pts[0] ?? 0;
  const seconds = (ticks: number) => ((ticks - first) * timeBase.num) / timeBase.den;
  const starts: { frame: number; seconds: number }[] = [{ frame: 0, seconds: 0 }];
  let k = 0;
  for (let n = 1; ; n++) {
    const target = n * chunkSeconds;
    // A tolerance of 1 µs: a key frame exactly on the multiple counts as "at" it.
    while (k < keys.length && seconds(keys[k]) < target - 1e-6) k++;
    if (k >= keys.length) break;
    const frame = countBelow(pts, keys[k]);
    if (frame >= frames) break;
    if (frame > starts[starts.length - 1].frame) starts.push({ frame, seconds: seconds(keys[k]) });
    // The next multiple after this key frame: a long gap between key frames is not cut twice.
    n = Math.max(n, Math.floor(seconds(keys[k]) / chunkSeconds + 1e-9));
  }
  return starts.map((s, index) => ({
    index,
    startFrame: s.frame,
    frames: (starts[index + 1]?.frame ?? frames) - s.frame,
    startSeconds: s.seconds,
  }));
}

/** How many values of ascending `sorted` are below `value`. */
function countBelow(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The first video stream's packet times (one ffprobe pass, no decoding); undefined when a packet
 * has no presentation time. Packets marked discard (before an MP4 edit list's start) are never
 * shown and not counted.
 */
async function readPackets(
  input: string,
  ffprobe: string,
  frames: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<PacketTimes | undefined> {
  const shown = redact(input);
  const args = [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=time_base:packet=pts,flags',
    '-of',
    'csv',
    '-i',
    input,
  ];
  const result = await runOnce(ffprobe, args, {
    tool: 'ffprobe',
    stage: 'probe',
    timeoutMs,
    signal,
    scrub: redact,
    maxStdoutBytes: 4096 + frames * BYTES_PER_PACKET * 2,
    doing: `listing the key frames of ${JSON.stringify(shown)}`,
  });
  if (result.aborted)
    throw new SegStreamError(ErrorCodes.ABORTED, `stopped while listing the key frames of ${JSON.stringify(shown)}`, {
      context: result.context,
    });
  if (result.timedOut || result.code !== 0 || result.overflow) {
    const why = result.timedOut
      ? `it took longer than ${timeoutMs / 1000} s`
      : result.overflow
        ? 'ffprobe listed more packets than the file has frames'
        : lastLine(result.context.stderrTail) || exitText(result.code, result.signal);
    throw childError(
      ErrorCodes.INPUT_CORRUPT,
      `could not list the key frames of ${JSON.stringify(shown)}: ${why}`,
      result,
    );
  }
  const text = result.stdout.toString('latin1');
  let pts = new Float64Array(frames + 16);
  const keys: number[] = [];
  let count = 0;
  let timeBase: Rational | undefined;
  let lineStart = 0;
  while (lineStart < text.length) {
    let end = text.indexOf('\n', lineStart);
    if (end < 0) end = text.length;
    const line = text.slice(lineStart, end).trim();
    lineStart = end + 1;
    if (line.startsWith('packet,')) {
      const [, value, flags = ''] = line.split(',');
      if (flags.includes('D')) continue;
      const ticks = Number(value);
      if (value === 'N/A' || !Number.isFinite(ticks)) return undefined;
      if (count === pts.length) {
        const grown = new Float64Array(pts.length * 2);
        grown.set(pts);
        pts = grown;
      }
      pts[count++] = ticks;
      if (flags.includes('K')) keys.push(ticks);
    } else if (line.startsWith('stream,')) {
      const m = /^stream,(\d+)\/(\d+)/.exec(line);
      if (m && Number(m[1]) > 0 && Number(m[2]) > 0) timeBase = { num: Number(m[1]), den: Number(m[2]) };
    }
  }
  if (!timeBase || count === 0) return undefined;
  const sorted = pts.subarray(0, count).sort();
  keys.sort((a, b) => a - b);
  return { pts: sorted, keys, timeBase };
}
