/**
 * Driving-log readers: format detection by magic bytes and {@link readLogImages}, the one way to read
 * the camera messages of an MCAP or a ROS 1 bag.
 */
import { ErrorCodes, SegStreamError } from '../../../errors.js';
import type { LogImageMessage, ReadLogOptions } from '../types.js';
import { readBagImages } from './bag.js';
import { newDamage } from './images.js';
import { readMcapImages } from './mcap.js';

import { detectLogFormat } from './detect.js';

export { detectLogFormat };

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
    if (seen === 0 && !options.signal?.aborted && !options.topics && !options.window) {
      throw new SegStreamError(
        ErrorCodes.LOG_NO_IMAGES,
        `${path} has no readable camera message (image topics: sensor_msgs Image/CompressedImage, foxglove RawImage/CompressedImage/CompressedVideo)`,
      );
    }
  } catch (err) {
    if (err instanceof SegStreamError) throw err;
    throw new SegStreamError(
      ErrorCodes.LOG_UNREADABLE,
      `${path} cannot be read as ${format === 'mcap' ? 'an MCAP file' : 'a ROS 1 bag'}: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    options.onDamage?.(damage);
  }
}
