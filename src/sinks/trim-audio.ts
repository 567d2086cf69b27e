/**
 * After a stop (Ctrl-C, SIGTERM) the overlay video ends early, but the encoder has been copying
 * the whole input's audio. This cuts the finished file to the video's length (stream copy, no
 * re-encode) so picture and sound end together, as they do with `--frames`.
 */
import { rename } from 'node:fs/promises';
import { ErrorCodes } from '../errors.js';
import { childError, exitText, lastLine, runOnce } from '../process/run-once.js';
import { trackTemporary, untrackTemporary } from '../process/temp-files.js';
import { removeQuietly, temporaryPathFor } from './atomic-file.js';

/** Rewrites `file` in place (through a temporary) with every stream cut at `seconds`. */
export async function trimToDuration(ffmpeg: string, file: string, seconds: number): Promise<void> {
  const trimmed = temporaryPathFor(file);
  trackTemporary(trimmed);
  try {
    const args = [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      '-i',
      file,
      '-map',
      '0',
      '-c',
      'copy',
      '-t',
      seconds.toFixed(6),
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      trimmed,
    ];
    const result = await runOnce(ffmpeg, args, { tool: 'ffmpeg', stage: 'encode', doing: 'trimming the audio' });
    const tail = result.context.stderrTail;
    if (result.code !== 0 || /Error writing trailer|Error closing file|No space left on device/.test(tail)) {
      throw childError(
        ErrorCodes.ENCODE_FAILED,
        `could not trim the audio to the ${seconds.toFixed(3)} s of video written (${exitText(result.code, result.signal)}): ${lastLine(tail)}`,
        result,
      );
    }
    await rename(trimmed, file);
  } finally {
    await removeQuietly(trimmed);
    untrackTemporary(trimmed);
  }
}
