/** Frames and dataset layouts built in temp folders for the frame-folder tests. */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodePngBytes } from '../../../src/codecs/png-decode.js';
import { encodePng } from '../../../src/codecs/png-encode.js';
import { repoRoot } from '../../helpers/media.js';
import { readFileSync } from 'node:fs';

export const thresholdModel = path.join(repoRoot, 'test', 'fixtures', 'threshold-model');
export const RED = [230, 40, 60] as const;
export const BLUE = [20, 90, 200] as const;

/** A frame where `isRed(x, y)` pixels are red (the threshold model's free-space class) and the rest blue. */
export function twoColourFrame(w: number, h: number, isRed: (x: number, y: number) => boolean): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb.set(isRed(x, y) ? RED : BLUE, (y * w + x) * 3);
  return rgb;
}

/** Writes an RGB (or grey) PNG, creating folders. */
export function writePng(file: string, pixels: Uint8Array, w: number, h: number, color: 'rgb' | 'gray' = 'rgb'): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, encodePng(pixels, w, h, color));
}

/** Writes `n` frames into `dir` named by `name(i)`, red in the bottom half (sizes may vary with `size(i)`). */
export function writeFrames(
  dir: string,
  n: number,
  name: (i: number) => string,
  size: (i: number) => [number, number] = () => [128, 72],
): void {
  for (let i = 0; i < n; i++) {
    const [w, h] = size(i);
    writePng(
      path.join(dir, name(i)),
      twoColourFrame(w, h, (x, y) => y >= h / 2 + ((x + i) % 4)),
      w,
      h,
    );
  }
}

/** Decodes a PNG file with the project's decoder. */
export function readPng(file: string) {
  const png = decodePngBytes(readFileSync(file), file);
  if (!png) throw new Error(`unsupported PNG ${file}`);
  return png;
}

/** Files of a folder (sorted), hidden and temporary ones included so leftovers are caught. */
export const filesIn = (dir: string) => readdirSync(dir).sort();

/** Parses the `--json` line of a CLI run. */
export function summaryOf(stdout: string): Record<string, any> {
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, any>;
}
