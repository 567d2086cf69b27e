/**
 * What every written log provides (`logOut`): the messages of one frame in the output family,
 * the writer interface that the MCAP and the ROS 1 bag writers implement, and the choice of
 * writer by the file's extension (`.bag` → ROS 1 bag v2.0, otherwise MCAP).
 */
import { rename, type FileHandle } from 'node:fs/promises';
import { ErrorCodes, SegStreamError } from '../../../errors.js';
import { untrackTemporary } from '../../../process/temp-files.js';
import { removeQuietly } from '../../../sinks/atomic-file.js';
import { invalidOption } from '../../../errors.js';
import type { Sink } from '../../core/sink.js';
import type { LogFrameOutput } from '../log-frame.js';
import type { LogInfo, MessageFamily } from '../types.js';
import type { MessageCodec, SchemaInfo } from './codec.js';

/** The class table written into the log. */
export interface ClassTable {
  model: string;
  classes: { id: number; name: string; color: [number, number, number] }[];
  /** Names of the classes counted as free space. */
  freeSpace: string[];
}

/** Options of a log writer. */
export interface LogWriterOptions {
  /** The file to write (published by rename when finished). */
  path: string;
  /** Family of the written messages: that of the input's cameras (the first camera's when mixed); a bag is always `ros1`. */
  family: MessageFamily;
  classes: ClassTable;
  /** Also write `T/seg/overlay` JPEG images. */
  overlay: boolean;
}

/** A written log: a sink of frame outputs that can also copy other topics' messages as they are. */
export interface LogWriter extends Sink<LogFrameOutput> {
  /** Messages written per output topic. */
  readonly counts: Map<string, number>;
  /** Copies a message of another topic as it is (`logCopyAll`). */
  copy(
    topic: string,
    schema: SchemaInfo,
    metadata: Map<string, string>,
    logTimeNs: bigint,
    publishTimeNs: bigint,
    data: Uint8Array,
  ): Promise<void>;
}

/** Topic of the class table. */
export const CLASSES_TOPIC = '/seg_stream/classes';

/** One message a frame writes. */
export interface OutMessage {
  topic: string;
  schema: SchemaInfo;
  data: Uint8Array;
}

/** The messages of one frame's outputs: `T/seg/class_ids`, `T/seg/free_space`, with `overlay` `T/seg/overlay`. */
export function frameMessages(out: LogFrameOutput, codec: MessageCodec, overlay: boolean): OutMessage[] {
  const { source } = out;
  const at = { stampNs: source.stampNs, frameId: source.frameId };
  const list: OutMessage[] = [];
  if (out.classIds)
    list.push({
      topic: `${source.topic}/seg/class_ids`,
      schema: codec.image,
      data: codec.mono8(at, out.width, out.height, out.classIds),
    });
  if (out.freeSpace)
    list.push({
      topic: `${source.topic}/seg/free_space`,
      schema: codec.image,
      data: codec.mono8(at, out.width, out.height, out.freeSpace),
    });
  if (overlay && out.overlayJpeg)
    list.push({
      topic: `${source.topic}/seg/overlay`,
      schema: codec.compressed,
      data: codec.jpeg(at, out.overlayJpeg),
    });
  return list;
}

/** True when `file` is written as a ROS 1 bag (by its extension). */
export function isBagPath(file: string): boolean {
  return /\.bag$/i.test(file);
}

/**
 * Checks that the input can be written as `logOut`: the segmentation of any camera family can go
 * into a bag (its messages are made as ROS 1 `sensor_msgs`, stamps and frame ids copied), but the
 * other topics of a ROS 2 / Foxglove input cannot be copied into one (`logCopyAll`).
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` naming `logCopyAll`
 */
export function assertLogOutFits(logOut: string, copyAll: boolean, info: LogInfo): void {
  if (isBagPath(logOut) && copyAll && info.profile !== 'ros1' && info.otherTopics.length > 0) {
    throw invalidOption(
      'logCopyAll',
      `a ROS 1 input (a bag or an MCAP with the ros1 profile) when logOut is a .bag (this log's profile is ${JSON.stringify(info.profile)}: its other topics cannot be copied into a ROS 1 bag; write .mcap instead)`,
      true,
    );
  }
}

/**
 * Publishes a log written under `temporary`: `complete` writes its end (summary, index), then the
 * file is closed and renamed to `path`. On failure the temporary is removed and the run gets
 * OUTPUT_UNWRITABLE. Either way the temporary is no longer tracked.
 */
export function publishLog(
  handle: FileHandle | undefined,
  temporary: string,
  path: string,
  complete: () => Promise<void>,
): Promise<void> {
  return (async () => {
    try {
      await complete();
      await handle?.close();
      await rename(temporary, path);
    } catch (cause) {
      await handle?.close().catch(() => {});
      await removeQuietly(temporary);
      throw new SegStreamError(
        ErrorCodes.OUTPUT_UNWRITABLE,
        `could not finish the log ${JSON.stringify(path)}: ${(cause as Error).message}`,
        { cause },
      );
    }
  })().finally(() => untrackTemporary(temporary));
}

/** Drops a log written under `temporary`: closed, removed, untracked; never throws. */
export function discardLog(handle: FileHandle | undefined, temporary: string): Promise<void> {
  return (async () => {
    await handle?.close().catch(() => {});
    await removeQuietly(temporary);
  })().finally(() => untrackTemporary(temporary));
}
