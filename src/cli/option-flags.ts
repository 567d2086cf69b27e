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
  return new SegStreamError(err.code, err.message.replace(`set option \`${option}\``, instead), { context: err.context, cause: err.cause });
}
