/** Small labelled datasets written as PNGs for the eval tests. */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodePng } from '../../../src/codecs/png-encode.js';
import { repoRoot, sharedDir } from '../../helpers/media.js';

/** The threshold network (class 0 where the pixel is red, else class 1), with its own class names. */
export const thresholdModel = path.join(repoRoot, 'test', 'fixtures', 'threshold-model');

/** Writes the threshold network with CamVid names into `dir`: class 0 (red) is "Car", class 1 is "Road". */
export function writeCarRoadModel(dir: string): void {
  mkdirSync(dir);
  const card = JSON.parse(readFileSync(path.join(thresholdModel, 'model.json'), 'utf8'));
  card.name = 'car-road';
  card.classes = [
    { name: 'Car', color: [64, 0, 128] },
    { name: 'Road', color: [128, 64, 128] },
  ];
  card.roles = { freeSpace: ['Road'], road: ['Road'], vehicle: ['Car'] };
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(card));
  copyFileSync(path.join(thresholdModel, 'model.onnx'), path.join(dir, 'model.onnx'));
}

/** Fixture image size: twice the threshold model's 64x36 input, so resizing and upscaling both run. */
export const W = 128;
export const H = 72;
/** Columns left of this are red (the threshold model predicts class 0 there), the rest are not. */
export const RED_COLS = 48;

/** An image whose columns `x < RED_COLS` are red (R > 0.5) and the rest blue-green (R < 0.5), with texture. */
export function redLeftImage(seed = 0): Uint8Array {
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const t = (x * 7 + y * 3 + seed * 11) % 40;
      if (x < RED_COLS) rgb.set([200 + t, 20 + t, 30 + t], o);
      else rgb.set([40 + t, 120 + t, 180 + t], o);
    }
  }
  return rgb;
}

/** A label map filled by `fn(x, y)`. */
export function labelMap(fn: (x: number, y: number) => number): Uint8Array {
  const map = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) map[y * W + x] = fn(x, y);
  return map;
}

/** True inside the rectangle rows y0..y1, columns x0..x1 (inclusive). */
export const inRect = (x: number, y: number, [x0, y0, x1, y1]: [number, number, number, number]) =>
  x >= x0 && x <= x1 && y >= y0 && y <= y1;

/** Writes an RGB or grey PNG, creating its folder. */
export function writePng(file: string, pixels: Uint8Array, color: 'rgb' | 'gray', width = W, height = H): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, encodePng(pixels, width, height, color));
}

/** The shared CamVid copy; under CI=true its absence fails instead of skipping. */
export const camvidDir = path.join(sharedDir, 'datasets', 'camvid');

/** True when ../shared/datasets/camvid is present (val split); throws under CI=true when absent. */
export function haveCamvid(): boolean {
  const present = existsSync(path.join(camvidDir, 'val')) && existsSync(path.join(camvidDir, 'valannot'));
  if (!present && process.env.CI === 'true')
    throw new Error(`the CamVid dataset is required under CI=true but ${camvidDir} is missing`);
  if (!present)
    console.warn(`skipping: ${camvidDir} is absent (the CamVid evaluation test needs ../shared/datasets/camvid)`);
  return present;
}
