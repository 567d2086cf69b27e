/**
 * A folder of per-frame PNGs named by zero-padded frame index (`000042.png`), each written
 * atomically so an interrupted run never leaves a truncated PNG under a final name.
 */
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

/** Writes `<dir>/<index padded to digits>.png`. */
export class PngDirectory {
  constructor(
    readonly dir: string,
    readonly digits = 6,
  ) {}

  /** Final path of frame `index`. */
  pathFor(index: number): string {
    return path.join(this.dir, `${String(index).padStart(this.digits, '0')}.png`);
  }

  /** Writes the PNG bytes of frame `index`. */
  write(index: number, png: Uint8Array): Promise<void> {
    return writeFileAtomic(this.pathFor(index), png);
  }
}
