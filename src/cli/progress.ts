/**
 * A one-line progress bar on a terminal: frames done/total, fps, ETA. Silent when the stream is
 * not a TTY, so logs and pipes stay clean.
 */
import type { Progress } from '../runs/stats.js';

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Formats one progress line (without the carriage return). */
export function formatProgress(p: Progress, width = 24): string {
  const frames = p.total !== undefined ? `${p.frames}/${p.total} frames` : `${p.frames} frames`;
  const fps = `${p.fps.toFixed(1)} fps`;
  const eta = p.etaSeconds !== undefined ? `ETA ${clock(p.etaSeconds)}` : '';
  let bar = '';
  if (p.total) {
    const filled = Math.min(width, Math.round((p.frames / p.total) * width));
    bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] `;
  }
  return `${bar}${frames}  ${fps}  ${eta}`.trimEnd();
}

/** Returns a progress callback writing to `stream` when it is a TTY, else undefined. */
export function terminalProgress(
  stream: NodeJS.WriteStream,
): { update: (p: Progress) => void; done: () => void } | undefined {
  if (!stream.isTTY) return undefined;
  let shown = false;
  return {
    update(p) {
      shown = true;
      stream.write(`\r\x1b[2K${formatProgress(p)}`);
    },
    done() {
      if (shown) stream.write('\n');
    },
  };
}
