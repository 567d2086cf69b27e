/**
 * Options of a log run ({@link segmentLog}): frozen defaults declared once and one function that
 * merges and validates them. Paths of per-topic outputs may hold `{topic}` (see outputs.ts).
 */
import { DEFAULTS } from '../../defaults.js';
import { invalidOption } from '../../errors.js';
import { DEFAULT_RUN_OPTIONS, validateRunOptions, withDefaults, type RunOptions } from '../options.js';
import type { LogWindow } from './types.js';

/** A log time in ns: a bigint, or its decimal digits (as a fleet job's data carries it). */
export type LogTimeNs = bigint | string;

/** Options of a log run. `output`, `masks`, `freeSpace`, `stats`, `freeSpaceJson` may hold `{topic}`. */
export interface SegmentLogOptions extends RunOptions {
  /** An MCAP file or a ROS 1 bag (detected by its first bytes). */
  input: string;
  /** Camera topics to segment (default: every camera topic of the log). */
  topics?: string[];
  /** The segmentation written back as a log: an `.mcap` file, or a ROS 1 `.bag` (see the README "Driving logs"). */
  logOut?: string;
  /** Also write `T/seg/overlay` (JPEG) into `logOut`. Default false. */
  logOverlay?: boolean;
  /** Also copy every other topic of the input into `logOut` (MCAP inputs). Default false. */
  logCopyAll?: boolean;
  /** One JSON line per frame: index, stamp, log time, mask name (per topic with `{topic}`). */
  stats?: string;
  /** JSONL: per frame, the free-space boundary row per column and the free fraction. */
  freeSpaceJson?: string;
  /** JPEG quality of `T/seg/overlay` (default 85). */
  jpegQuality?: number;
  /**
   * Only the camera messages (and with `logCopyAll` the other messages) whose log time is in
   * `[from, to)`, read through the log's index; either end open when not given. Windows that meet
   * split a log exactly: the fleet's log chunks are such windows (`planLogChunks`). Per-topic
   * `stats` indexes then count from the window's first message. Not for compressed-video topics
   * (a window could start between key frames).
   */
  window?: { from?: LogTimeNs; to?: LogTimeNs };
}

/** Options after defaults. */
export type ResolvedLogOptions = Omit<SegmentLogOptions, 'window'> & { window?: LogWindow } & Required<
    Pick<
      SegmentLogOptions,
      | 'logOverlay'
      | 'logCopyAll'
      | 'jpegQuality'
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
    >
  >;

/** Defaults of a log run (decoding runs in the workers, as for frame folders). */
export const DEFAULT_LOG_OPTIONS = Object.freeze({
  ...DEFAULT_RUN_OPTIONS,
  logOverlay: false,
  logCopyAll: false,
  jpegQuality: 85,
  workers: DEFAULTS.workers,
  threads: DEFAULTS.folderThreads,
});

/**
 * Merges `options` with {@link DEFAULT_LOG_OPTIONS} and validates them.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` naming the option: no input, nothing
 *   to write, a bad topic list, a `logOut` that is not `.mcap` or `.bag`, a bad value
 */
export function resolveLogOptions(options: SegmentLogOptions): ResolvedLogOptions {
  if (typeof options?.input !== 'string' || options.input === '')
    throw invalidOption('input', 'an MCAP file or a ROS 1 bag', options?.input);
  const outputs = [
    options.logOut,
    options.output,
    options.masks,
    options.freeSpace,
    options.stats,
    options.freeSpaceJson,
  ];
  if (outputs.every((o) => o === undefined))
    throw invalidOption('logOut', 'an output (logOut, output, masks, freeSpace, stats or freeSpaceJson)', undefined);
  const { topics } = options;
  if (
    topics !== undefined &&
    (!Array.isArray(topics) || topics.length === 0 || !topics.every((t) => typeof t === 'string' && t !== ''))
  )
    throw invalidOption('topics', 'a non-empty list of topic names', topics);
  if (options.logOut !== undefined && !/\.(mcap|bag)$/i.test(options.logOut)) {
    throw invalidOption('logOut', 'a file name ending in .mcap or .bag (a ROS 1 bag)', options.logOut);
  }
  const window = resolveWindow(options.window);
  const o = withDefaults(DEFAULT_LOG_OPTIONS, { ...options, window }) as ResolvedLogOptions;
  o.maxInFlight ??= 4 + 2 * o.workers + 2 * o.batch;
  validateRunOptions(o);
  if (!Number.isInteger(o.jpegQuality) || o.jpegQuality < 1 || o.jpegQuality > 100)
    throw invalidOption('jpegQuality', 'an integer from 1 to 100', o.jpegQuality);
  return o;
}

/** Option `window` as bigints; checks each end and their order. */
function resolveWindow(w: SegmentLogOptions['window']): LogWindow | undefined {
  if (w === undefined) return undefined;
  if (typeof w !== 'object' || w === null)
    throw invalidOption('window', 'an object { from, to } of log times in ns', w);
  const end = (key: 'from' | 'to'): bigint | undefined => {
    const v = w[key];
    if (v === undefined) return undefined;
    if (typeof v === 'bigint' && v >= 0n) return v;
    if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return BigInt(v);
    throw invalidOption(`window.${key}`, 'a log time in ns >= 0 (a bigint or a decimal string)', v);
  };
  const from = end('from');
  const to = end('to');
  if (from !== undefined && to !== undefined && to <= from)
    throw invalidOption('window.to', `a log time after window.from (${from})`, String(to));
  return { from, to };
}
