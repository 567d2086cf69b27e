/**
 * The public entry of a driving-log run: the log kind (`kind.ts`) on the run-kind contract.
 * Every camera topic runs in one run with one model; frames of all cameras interleave in
 * log-time order.
 */
import { runKind } from '../core/run-kind.js';
import { logKind } from './kind.js';
import type { SegmentLogOptions } from './options.js';
import type { LogRunSummary } from './summary.js';

export type { LogRunSummary, SegmentLogOptions };

/**
 * Segments every camera topic of a driving log (MCAP, ROS 1 bag): writes the segmentation back
 * as a log (`logOut`), and/or per-topic masks, free-space masks, overlay videos, stats.
 *
 * @example
 * ```ts
 * const s = await segmentLog({ input: 'drive.mcap', logOut: 'drive.seg.mcap', masks: 'out/{topic}/' });
 * console.log(s.frames, s.topics);
 * ```
 * @throws {SegStreamError} with a stable code: `LOG_UNREADABLE` (not a log), `LOG_NO_IMAGES`
 *   (no camera topic), `INVALID_OPTION` naming the option, unwritable outputs, model/engine
 *   errors. A damaged log is no error: the summary's `damage` says what was salvaged.
 */
export async function segmentLog(options: SegmentLogOptions): Promise<LogRunSummary> {
  return runKind(logKind, options);
}
