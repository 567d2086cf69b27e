/**
 * Types shared by the driving-log readers (MCAP, ROS 1 bags) and the log run.
 *
 * A log holds camera topics (compressed images, raw images, compressed video) among many other
 * topics. Readers yield {@link LogImageMessage}s of the chosen camera topics in log-time order;
 * {@link LogInfo} describes a log without reading its images.
 */

/** Container format of a driving log, detected from the file's magic bytes. */
export type LogFormat = 'mcap' | 'bag';

/** Message family of a camera topic: decides how outputs are written back. */
export type MessageFamily = 'ros1' | 'ros2' | 'foxglove';

/** One camera topic of a log. */
export interface LogCameraTopic {
  topic: string;
  /** Schema / message type name: `sensor_msgs/CompressedImage`, `sensor_msgs/msg/Image`, `foxglove.RawImage`, ... */
  schemaName: string;
  family: MessageFamily;
  kind: 'compressed' | 'raw' | 'video';
  /** `jpeg` | `png` | `rgb8` | `bgr8` | ... | `h264` | `h265` (the first message's). */
  encoding?: string;
  /** Messages on the topic (from the index/summary, or counted). */
  count: number;
  width?: number;
  height?: number;
  firstLogTimeNs?: bigint;
  lastLogTimeNs?: bigint;
  rateHz?: number;
}

/** What a log holds, as {@link inspectLog} reports it. */
export interface LogInfo {
  path: string;
  format: LogFormat;
  /** MCAP profile (`ros2`, `ros1`, `''`, ...) or `ros1` for bags. */
  profile: string;
  /** True when read through a summary/index. */
  indexed: boolean;
  cameras: LogCameraTopic[];
  otherTopics: { topic: string; schemaName: string; count: number }[];
}

/** One image message of a camera topic. */
export interface LogImageMessage {
  topic: string;
  family: MessageFamily;
  /** 0-based index of this message within its topic. */
  seq: number;
  logTimeNs: bigint;
  publishTimeNs: bigint;
  /** `header.stamp` (ROS) / `timestamp` (Foxglove), exact. */
  stampNs: bigint;
  frameId: string;
  /** See {@link LogCameraTopic.encoding}. */
  encoding: string;
  /** Raw images only. */
  width?: number;
  height?: number;
  step?: number;
  isBigEndian?: boolean;
  /** Compressed bytes, raw pixels, or one video access unit. */
  data: Uint8Array;
}

/** Damage found while reading a log; reported once at the end of a read. */
export interface LogDamage {
  /** No summary / torn tail / bag without index. */
  truncated: boolean;
  messagesRead: number;
  /** When the index or a summary says. */
  messagesExpected?: number;
  corruptChunks: number;
  /** Messages of a camera topic that could not be deserialised (skipped). */
  corruptMessages?: number;
  /**
   * Topics skipped for an unknown encoding; `message` is the coded error text
   * (`SEGSTREAM_ERR_LOG_ENCODING_UNSUPPORTED: topic ...: encoding ... is not supported ...`).
   */
  unsupported: { topic: string; encoding: string; message?: string }[];
}

/**
 * A span of log time, half-open: the messages with `from <= logTime < to` (either end open when
 * not given). Windows that meet (`a.to === b.from`) hold every message exactly once between them.
 */
export interface LogWindow {
  /** First log time in the window, ns (default: the log's start). */
  from?: bigint;
  /** First log time after the window, ns (default: past the log's end). */
  to?: bigint;
}

/** True when log time `t` is in window `w` (see {@link LogWindow}). */
export function inWindow(t: bigint, w: LogWindow | undefined): boolean {
  return w === undefined || ((w.from === undefined || t >= w.from) && (w.to === undefined || t < w.to));
}

/** True when a chunk spanning log times `start` … `end` (both included) may hold a message of window `w`. */
export function overlapsWindow(start: bigint, end: bigint, w: LogWindow | undefined): boolean {
  return w === undefined || ((w.from === undefined || end >= w.from) && (w.to === undefined || start < w.to));
}

/** Options of {@link readLogImages}. */
export interface ReadLogOptions {
  /** Camera topics to read (default: every camera topic). */
  topics?: string[];
  /**
   * Only the messages of this span of log time (read through the index: chunks outside it are
   * not read). A window may hold no message; the read is then empty, not an error.
   */
  window?: LogWindow;
  signal?: AbortSignal;
  /** Called once at the end of a read with what was found damaged or skipped. */
  onDamage?: (d: LogDamage) => void;
}
