/**
 * Driving-log readers: format detection by magic bytes and {@link readLogImages}, the one way to read
 * the camera messages of an MCAP or a ROS 1 bag.
 */
import { open } from 'node:fs/promises';
import { hasMcapPrefix } from '@mcap/core';
import { ErrorCodes, SegStreamError } from '../../../errors.js';
import type { LogFormat, LogImageMessage, ReadLogOptions } from '../types.js';
import { readBagImages } from './bag.js';
import { newDamage } from './images.js';
import { readMcapImages } from './mcap.js';

const BAG_MAGIC = '#ROSBAG V';

/**
 * The format of a log from its first bytes (never its extension).
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INPUT_NOT_FOUND` when it cannot be opened;
 *   `SEGSTREAM_ERR_LOG_UNREADABLE` when it is neither an MCAP nor a ROS 1 bag v2.0
 */
export async function detectLogFormat(path: string): Promise<LogFormat> {
  let head: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      head = Buffer.alloc(16);
      const { bytesRead } = await handle.read(head, 0, 16, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new SegStreamError(ErrorCodes.INPUT_NOT_FOUND, `cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (hasMcapPrefix(new DataView(head.buffer, head.byteOffset, head.byteLength))) return 'mcap';
  const text = head.toString('latin1');
  if (text.startsWith(`${BAG_MAGIC}2.0\n`)) return 'bag';
  if (text.startsWith(BAG_MAGIC)) {
    const version = text.slice(BAG_MAGIC.length).split('\n')[0];
    throw new SegStreamError(ErrorCodes.LOG_UNREADABLE, `${path} is a ROS bag of version ${version}; only v2.0 bags are read (convert it with \`rosbag fix\`)`);
  }
  throw new SegStreamError(ErrorCodes.LOG_UNREADABLE, `${path} is not a driving log: neither an MCAP file nor a ROS 1 bag (v2.0) by its first bytes`);
}

/**
 * The messages of the chosen camera topics (option `topics`; default every camera topic), all topics
 * interleaved in log-time order, in bounded memory: read chunk by chunk through the index where the
 * log has one; a log without one (cut by a crash) is read front to back and what is complete is
 * salvaged. `onDamage` is called once at the end (also after an early stop) with what was damaged
 * or skipped. An aborted `signal` ends the iteration early without error.
 *
 * @example
 * ```ts
 * for await (const m of readLogImages('drive.mcap', { topics: ['/cam_front/image_raw/compressed'] })) {
 *   const { width, height, rgb } = await decodeLogImage(m);
 * }
 * ```
 * @throws {SegStreamError} `SEGSTREAM_ERR_LOG_UNREADABLE` (not a log, unreadable index or header),
 *   `SEGSTREAM_ERR_LOG_NO_IMAGES` (no camera topic, or none readable), `SEGSTREAM_ERR_INVALID_OPTION` (option `topics`)
 */
export async function* readLogImages(path: string, options: ReadLogOptions = {}): AsyncGenerator<LogImageMessage> {
  const format = await detectLogFormat(path);
  const damage = newDamage();
  try {
    yield* format === 'mcap' ? readMcapImages(path, options, damage) : readBagImages(path, options, damage);
    const seen = damage.messagesRead + damage.unsupported.length + (damage.corruptMessages ?? 0);
    if (seen === 0 && !options.signal?.aborted && !options.topics) {
      throw new SegStreamError(ErrorCodes.LOG_NO_IMAGES, `${path} has no readable camera message (image topics: sensor_msgs Image/CompressedImage, foxglove RawImage/CompressedImage/CompressedVideo)`);
    }
  } catch (err) {
    if (err instanceof SegStreamError) throw err;
    throw new SegStreamError(ErrorCodes.LOG_UNREADABLE, `${path} cannot be read as ${format === 'mcap' ? 'an MCAP file' : 'a ROS 1 bag'}: ${(err as Error).message}`, { cause: err });
  } finally {
    options.onDamage?.(damage);
  }
}
