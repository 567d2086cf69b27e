/**
 * After a stop (Ctrl-C, SIGTERM) the overlay video ends early, but the encoder has been copying
 * the whole input's audio. This cuts the finished file to the video's length (stream copy, no
 * re-encode) so picture and sound end together, as they do with `--frames`.
 */
import { rename } from 'node:fs/promises';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { spawnManaged } from '../util/child.js';
import { removeQuietly, temporaryPathFor } from './atomic-file.js';
import { trackTemporary, untrackTemporary } from '../util/temp-files.js';

/** Rewrites `file` in place (through a temporary) with every stream cut at `seconds`. */
export async function trimToDuration(ffmpeg: string, file: string, seconds: number): Promise<void> {
  const trimmed = temporaryPathFor(file);
  trackTemporary(trimmed);
  try {
    const child = spawnManaged(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', file, '-map', '0', '-c', 'copy', '-t', seconds.toFixed(6), '-movflags', '+faststart', '-f', 'mp4', trimmed]);
    const { code, signal } = await child.exited;
    if (code !== 0 || /Error writing trailer|Error closing file|No space left on device/.test(child.stderrTail())) {
      throw new SegStreamError(ErrorCodes.ENCODE_FAILED, `could not trim the audio to the ${seconds.toFixed(3)} s of video written (${signal ? `signal ${signal}` : `exit code ${code}`}): ${child.stderrTail().split('\n').pop() ?? ''}`, {
        context: { stage: 'encode', stderrTail: child.stderrTail(), command: child.command },
      });
    }
    await rename(trimmed, file);
  } finally {
    await removeQuietly(trimmed);
    untrackTemporary(trimmed);
  }
}
