/**
 * Cuts a driving log into chunks of log time that run independently (`segmentLog({ window })`,
 * one per chunk, on any machine) and are then merged by {@link mergeLogParts}. The windows are
 * half-open and meet (the first open at its start, the last at its end), so every message of the
 * log is in exactly one chunk, whatever its time. docs/driving-logs.md "Fleet".
 */
import { invalidOption } from '../../errors.js';
import { inspectLog } from './topics.js';
import type { LogCameraTopic } from './types.js';

/** Options of {@link planLogChunks}. */
export interface PlanLogChunksOptions {
  /** Target chunk length in seconds of log time. */
  chunkSeconds: number;
  /** Camera topics the run reads (default: every camera topic). */
  topics?: string[];
  signal?: AbortSignal;
}

/**
 * One chunk of a log: its place in the plan and its window of log time, ends as decimal ns
 * strings (job data is JSON). Pass `window` as `segmentLog`'s `window`.
 */
export interface LogChunk {
  /** 0, 1, 2, … in log-time order. */
  index: number;
  /** Seconds from the log's first camera message to the window's start (0 for the first). */
  startSeconds: number;
  /** `[from, to)` in ns; no `from` on the first chunk, no `to` on the last. */
  window: { from?: string; to?: string };
  /** Camera messages expected in the chunk (the log's count shared by time: for progress only). */
  frames: number;
}

/** What {@link planLogChunks} returns. */
export interface LogChunkPlan {
  /** Camera messages in the whole log (from its index). */
  frames: number;
  /** The chunks in order; one chunk (no window) means "run the log whole". */
  chunks: LogChunk[];
  /** Set when the log cannot be chunked and runs whole: the reason, for logs and status. */
  whole?: string;
}

const NS_PER_S = 1_000_000_000;
/** More chunks than this is a mistaken `chunkSeconds` (each is a job with its own setup). */
const MAX_CHUNKS = 10_000;

/**
 * Plans the chunks of driving log `input` from its index (MCAP summary and statistics, bag
 * index): the span of its camera messages cut every `chunkSeconds`.
 *
 * A log shorter than `chunkSeconds` is one chunk. A log without index (cut by a crash) and a log
 * with compressed-video camera topics (a window could start between key frames) run whole, with
 * the reason in `whole`.
 *
 * @example
 * ```ts
 * const plan = await planLogChunks('drive.mcap', { chunkSeconds: 60 });
 * for (const c of plan.chunks) await segmentLog({ input: 'drive.mcap', logOut: `part-${c.index}.mcap`, window: c.window });
 * await mergeLogParts({ parts: plan.chunks.map((c) => `part-${c.index}.mcap`), output: 'seg.mcap' });
 * ```
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` for a bad `chunkSeconds` (also one that
 *   makes more than 10,000 chunks) or `topics`; the
 *   log's read errors (`INPUT_NOT_FOUND`, `LOG_UNREADABLE`, `LOG_NO_IMAGES`)
 */
export async function planLogChunks(input: string, options: PlanLogChunksOptions): Promise<LogChunkPlan> {
  const { chunkSeconds } = options ?? {};
  if (typeof chunkSeconds !== 'number' || !Number.isFinite(chunkSeconds) || chunkSeconds <= 0)
    throw invalidOption('chunkSeconds', 'a number of seconds > 0', chunkSeconds);
  const info = await inspectLog(input, { signal: options.signal });
  const cameras = chosen(info.cameras, options.topics);
  const frames = cameras.reduce((n, c) => n + c.count, 0);
  const whole = (reason?: string): LogChunkPlan => ({
    frames,
    chunks: [{ index: 0, startSeconds: 0, window: {}, frames }],
    ...(reason ? { whole: reason } : {}),
  });
  if (!info.indexed) return whole('the log has no index (a recording cut short): it is read front to back');
  const video = cameras.filter((c) => c.kind === 'video').map((c) => c.topic);
  if (video.length > 0) return whole(`compressed-video topics (${video.join(', ')}) cannot be cut between key frames`);
  const times = cameras.flatMap((c) => [c.firstLogTimeNs, c.lastLogTimeNs]).filter((t) => t !== undefined);
  if (times.length === 0) return whole();
  const start = times.reduce((a, b) => (b < a ? b : a));
  const end = times.reduce((a, b) => (b > a ? b : a));
  const step = BigInt(Math.max(1, Math.round(chunkSeconds * NS_PER_S)));
  const span = end - start + 1n;
  if (span <= step) return whole();
  const n = Number((span + step - 1n) / step);
  if (n > MAX_CHUNKS)
    throw invalidOption(
      'chunkSeconds',
      `at least ${Math.ceil(Number(span / BigInt(MAX_CHUNKS)) / 1e6) / 1e3} s for this log (at most ${MAX_CHUNKS} chunks)`,
      chunkSeconds,
    );
  const share = (i: number) => Math.round((frames * (i + 1)) / n) - Math.round((frames * i) / n);
  const chunks = Array.from({ length: n }, (_, i): LogChunk => {
    const from = start + BigInt(i) * step;
    return {
      index: i,
      startSeconds: (i * Number(step)) / NS_PER_S,
      window: { ...(i > 0 ? { from: String(from) } : {}), ...(i < n - 1 ? { to: String(from + step) } : {}) },
      frames: share(i),
    };
  });
  return { frames, chunks };
}

/** The camera topics a run with option `topics` reads. */
function chosen(cameras: LogCameraTopic[], topics: string[] | undefined): LogCameraTopic[] {
  if (topics === undefined) return cameras;
  if (!Array.isArray(topics)) throw invalidOption('topics', 'a list of topic names', topics);
  return cameras.filter((c) => topics.includes(c.topic));
}
