/** The log writer of `logOut`, by its extension: `.bag` a ROS 1 bag (bag.ts), otherwise MCAP (mcap.ts). */
import { BagLogWriter } from './bag.js';
import { isBagPath, type LogWriter, type LogWriterOptions } from './log-writer.js';
import { McapLogWriter } from './mcap.js';

/** A writer for `options.path`: {@link BagLogWriter} for `.bag`, {@link McapLogWriter} otherwise. */
export function logWriterFor(options: LogWriterOptions): LogWriter {
  return isBagPath(options.path) ? new BagLogWriter(options) : new McapLogWriter(options);
}
