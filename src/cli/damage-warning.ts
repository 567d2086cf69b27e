/** The one warning line for a file that decoded with errors (damage mid-file, a truncated end). */
import type { RunSummary } from '../runs/video/summary.js';

/** `seg-stream: warning: ...`, or undefined for a clean input. */
export function damageWarning(
  summary: Pick<RunSummary, 'decodeErrors' | 'missingFrames' | 'frames' | 'live'>,
): string | undefined {
  if (summary.live || (summary.decodeErrors === 0 && summary.missingFrames === 0)) return undefined;
  const total = summary.frames + summary.missingFrames;
  const missing =
    summary.missingFrames > 0
      ? `${summary.missingFrames} of ${total} frames could not be decoded`
      : 'every frame decoded';
  return `seg-stream: warning: the input is damaged or truncated (${summary.decodeErrors} decode error${summary.decodeErrors === 1 ? '' : 's'}; ${missing}); the overlay keeps the source timing across gaps (the last good frame is held)`;
}
