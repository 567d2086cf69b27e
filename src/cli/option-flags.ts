/** Library errors name options; the command line names its flags instead. */
import { SegStreamError } from '../errors.js';

/**
 * A library error that tells the user to set option `option` (its `context.option`; the message
 * says "set option \`name\`"), reworded with what to type instead (`add --recursive`); any
 * other error unchanged.
 *
 * @example
 * ```ts
 * await enqueue(o).catch((e) => { throw sayFlag(e, 'recursive', 'add --recursive'); });
 * ```
 */
export function sayFlag(err: unknown, option: string, instead: string): unknown {
  if (!(err instanceof SegStreamError) || err.context.option !== option) return err;
  return new SegStreamError(err.code, err.message.replace(`set option \`${option}\``, instead), {
    context: err.context,
    cause: err.cause,
  });
}

/** Option name → the flag that sets it, for library messages that name options in backticks. */
export const FLAG_OF: Readonly<Record<string, string>> = {
  output: '-o',
  masks: '--masks',
  freeSpace: '--free-space',
  kittiRoad: '--kitti-road',
  freeSpaceJson: '--free-space-json',
  stats: '--stats',
  manifest: '--manifest',
  logOut: '--log-out',
  logOverlay: '--log-overlay',
  logCopyAll: '--log-copy-all',
  topics: '--topics',
  chunkSeconds: '--chunk',
  live: '--live',
  smooth: '--smooth',
  frames: '--frames',
  duration: '--duration',
  segmentTime: '--segment-time',
  recursive: '--recursive',
  classes: '--classes',
  palette: '--palette',
  egoMask: '--ego-mask',
  legend: '--legend',
  engine: '--engine',
  model: '-m',
  cameras: '--cameras',
  preview: '--preview',
  previewToken: '--preview-token',
};

/**
 * The error with each option the library names in backticks (`` `output` ``) replaced by its
 * flag (`-o`); the code and context are kept, so the exit code stays that of the error.
 *
 * @example
 * ```ts
 * withFlags(optionError('output', '`output` "a.mp4" is the input itself')).message; // '-o "a.mp4" is the input itself'
 * ```
 */
export function withFlags(err: SegStreamError): SegStreamError {
  const message = flagsIn(err.message);
  if (message === err.message) return err;
  const e = new SegStreamError(err.code, message, { context: err.context, cause: err.cause });
  e.stack = err.stack;
  return e;
}

/**
 * A library message with each option it names in backticks replaced by its flag (a fleet job's
 * failure, read back from the queue, is shown as `withFlags` shows a local run's error).
 *
 * @example
 * ```ts
 * flagsIn('cannot write `masks` folder "/out/m"'); // 'cannot write --masks folder "/out/m"'
 * ```
 */
export function flagsIn(message: string): string {
  return message.replace(/`(\w+)`/g, (named, option: string) => FLAG_OF[option] ?? named);
}
