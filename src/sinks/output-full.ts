/**
 * A full disk (or an exhausted quota) while writing any output — overlay video, masks, free-space
 * masks, stats — is one clear error, `SEGSTREAM_ERR_OUTPUT_FULL`, whichever writer met it: node's
 * own writes fail with ENOSPC/EDQUOT, ffmpeg says "No space left on device" on stderr.
 */
import { ErrorCodes, SegStreamError } from '../errors.js';

const FULL_TEXT = /No space left on device|Disk quota exceeded|ENOSPC|EDQUOT/i;

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < 5; e = (e as { cause?: unknown }).cause)
    chain.push(e);
  return chain;
}

/** The output-full error for `err` when it is one (anywhere in its cause chain), else undefined. */
export function outputFullError(err: unknown, outputs: string[]): SegStreamError | undefined {
  for (const e of causes(err)) {
    const code = (e as NodeJS.ErrnoException).code;
    const text = `${(e as Error)?.message ?? ''}\n${(e as SegStreamError).context?.stderrTail ?? ''}`;
    if (code === 'ENOSPC' || code === 'EDQUOT' || FULL_TEXT.test(text)) {
      const where = (e as NodeJS.ErrnoException).path ?? outputs.join(', ');
      return new SegStreamError(
        ErrorCodes.OUTPUT_FULL,
        `no space left on the device while writing ${where}; free some space or write the outputs to another disk (unfinished files were removed; finished masks stay)`,
        { cause: err },
      );
    }
  }
  return undefined;
}
