import { describe, expect, it } from 'vitest';
import { formatProgress, terminalProgress } from '../../src/cli/progress.js';

describe('progress line', () => {
  it('shows frames done/total, fps and ETA', () => {
    const line = formatProgress({ frames: 50, total: 200, fps: 25, etaSeconds: 6 }, 10);
    expect(line).toBe('[###-------] 50/200 frames  25.0 fps  ETA 0:06');
    expect(formatProgress({ frames: 7, fps: 3.14159 })).toBe('7 frames  3.1 fps');
    expect(formatProgress({ frames: 1, total: 10, fps: 1, etaSeconds: 3725 }, 4)).toMatch(/ETA 1:02:05$/);
  });

  it('draws only on a terminal', () => {
    const written: string[] = [];
    const fake = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    expect(terminalProgress(fake)).toBeUndefined();
    const tty = { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const bar = terminalProgress(tty)!;
    bar.update({ frames: 1, total: 2, fps: 10, etaSeconds: 0.1 });
    bar.done();
    // eslint-disable-next-line no-control-regex -- the progress line starts with the ANSI erase-line sequence
    expect(written.join('')).toMatch(/^\r\x1b\[2K\[.*1\/2 frames.*\n$/);
  });
});
