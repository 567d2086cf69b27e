/**
 * The merge of a chunked log run: the logs the chunks wrote (`segmentLog({ window, logOut })`, one
 * per window of {@link planLogChunks}) copied in chunk order into one log, as a whole-log run
 * writes it. The windows are disjoint and in order, so copying each part in log-time order gives
 * the whole in log-time order. Schemas and channels are registered once (by the writer, per topic),
 * the `seg-stream` metadata record is written once, and the latched `/seg_stream/classes` message
 * is kept from the first part that has one (the one a whole run writes at its first frame).
 * MCAP parts are read with `@mcap/core`'s indexed reader and written by the MCAP writer; bag parts
 * with `@foxglove/rosbag` and written by the bag writer.
 */
import { ErrorCodes, SegStreamError, invalidOption } from '../../errors.js';
import { openMcap } from './readers/mcap.js';
import type { MessageFamily } from './types.js';
import { logWriterFor } from './writers/choose.js';
import { copyLogMessages } from './writers/copy.js';
import { CLASSES_TOPIC, isBagPath, type ClassTable } from './writers/log-writer.js';

/** Options of {@link mergeLogParts}. */
export interface MergeLogPartsOptions {
  /** The chunks' logs in chunk order, all `.mcap` or all `.bag` as `output`. */
  parts: string[];
  /** The merged log (`.mcap` or `.bag`); written under a temporary name and renamed when complete. */
  output: string;
  signal?: AbortSignal;
}

/** What {@link mergeLogParts} wrote. */
export interface MergedLog {
  output: string;
  /** Messages written per topic. */
  counts: Record<string, number>;
}

/** A bag's writer copies only: the class table travels in the parts' latched message. */
const COPIED_TABLE: ClassTable = Object.freeze({ model: '', classes: [], freeSpace: [] });

/**
 * Merges the logs of a chunked run into `output` (see the module comment).
 *
 * @example
 * ```ts
 * await mergeLogParts({ parts: ['part-0.mcap', 'part-1.mcap'], output: 'seg.mcap' });
 * ```
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` (no parts, parts of another format than
 *   `output`), `SEGSTREAM_ERR_LOG_UNREADABLE` (a part without index), `SEGSTREAM_ERR_OUTPUT_UNWRITABLE`,
 *   `SEGSTREAM_ERR_ABORTED`
 */
export async function mergeLogParts(options: MergeLogPartsOptions): Promise<MergedLog> {
  const { parts, output, signal } = options;
  if (!Array.isArray(parts) || parts.length === 0) throw invalidOption('parts', 'a non-empty list of log files', parts);
  const bag = isBagPath(output);
  const odd = parts.find((p) => isBagPath(p) !== bag);
  if (odd !== undefined) throw invalidOption('parts', `logs of the format of output (${bag ? '.bag' : '.mcap'})`, odd);
  const head = bag ? { family: 'ros1' as const, classes: COPIED_TABLE } : await mcapHead(parts[0]);
  const writer = logWriterFor({ path: output, ...head, overlay: false });
  let classes = false;
  const keep = (topic: string) => topic !== CLASSES_TOPIC || !classes;
  try {
    await writer.open();
    for (const part of parts) {
      if (signal?.aborted) throw new SegStreamError(ErrorCodes.ABORTED, `the merge of ${output} was stopped`);
      const copied = await copyLogMessages(part, bag ? 'bag' : 'mcap', writer, { keep });
      if (copied === undefined)
        throw new SegStreamError(ErrorCodes.LOG_UNREADABLE, `the chunk log ${part} has no index: it was not finished`);
      classes ||= writer.counts.has(CLASSES_TOPIC);
    }
    await writer.finish();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return { output, counts: Object.fromEntries(writer.counts) };
}

/** The family (by the MCAP profile) and class table (the `seg-stream` metadata record) of a chunk's MCAP. */
async function mcapHead(part: string): Promise<{ family: MessageFamily; classes: ClassTable }> {
  const m = await openMcap(part);
  try {
    if (!m.indexed)
      throw new SegStreamError(ErrorCodes.LOG_UNREADABLE, `the chunk log ${part} has no index: it was not finished`);
    const profile = m.indexed.header.profile;
    const family: MessageFamily = profile === 'ros1' || profile === 'ros2' ? profile : 'foxglove';
    for await (const record of m.indexed.readMetadata({ name: 'seg-stream' })) {
      const meta = record.metadata;
      return {
        family,
        classes: {
          model: meta.get('model') ?? '',
          classes: JSON.parse(meta.get('classes') ?? '[]') as ClassTable['classes'],
          freeSpace: JSON.parse(meta.get('free_space') ?? '[]') as string[],
        },
      };
    }
    throw new SegStreamError(ErrorCodes.LOG_UNREADABLE, `the chunk log ${part} has no seg-stream metadata record`);
  } finally {
    await m.handle.close();
  }
}
