/**
 * A driving log's format from its first bytes (never its extension). Light to load: the CLI asks it
 * of every input before choosing the run.
 */
import { open } from 'node:fs/promises';
import { ErrorCodes, SegStreamError } from '../../../errors.js';
import type { LogFormat } from '../types.js';

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
    throw new SegStreamError(ErrorCodes.INPUT_NOT_FOUND, `cannot open ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // @mcap/core is loaded only for a file that may be one: a video run asks this of every input.
  if (head[0] === 0x89) {
    const { hasMcapPrefix } = await import('@mcap/core');
    if (hasMcapPrefix(new DataView(head.buffer, head.byteOffset, head.byteLength))) return 'mcap';
  }
  const text = head.toString('latin1');
  if (text.startsWith(`${BAG_MAGIC}2.0\n`)) return 'bag';
  if (text.startsWith(BAG_MAGIC)) {
    const version = text.slice(BAG_MAGIC.length).split('\n')[0];
    throw new SegStreamError(
      ErrorCodes.LOG_UNREADABLE,
      `${path} is a ROS bag of version ${version}; only v2.0 bags are read (convert it with \`rosbag fix\`)`,
    );
  }
  throw new SegStreamError(
    ErrorCodes.LOG_UNREADABLE,
    `${path} is not a driving log: neither an MCAP file nor a ROS 1 bag (v2.0) by its first bytes`,
  );
}
