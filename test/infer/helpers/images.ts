/**
 * Test images and a tiny preprocessing helper (stretch resize + normalise + layout); the real
 * preprocessing lives in src/workers/ and is tested there.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { InputSpec } from '../../../src/infer/types.js';
import { repoRoot } from './model-folders.js';

export interface RgbImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** Bilinear stretch to `spec` size, (pixel*scale - mean)/std, in NCHW or NHWC. */
export function preprocess(img: RgbImage, spec: InputSpec, layout: 'NCHW' | 'NHWC'): Float32Array {
  const { width: W, height: H } = spec;
  const out = new Float32Array(3 * W * H);
  const order = spec.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const sx = img.width / W;
  const sy = img.height / H;
  for (let y = 0; y < H; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < W; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const src = order[c];
        const at = (xx: number, yy: number) => img.rgb[(yy * img.width + xx) * 3 + src];
        const v = (at(x0, y0) * (1 - wx) + at(x1, y0) * wx) * (1 - wy) + (at(x0, y1) * (1 - wx) + at(x1, y1) * wx) * wy;
        const n = (v * spec.scale - spec.mean[c]) / spec.std[c];
        out[layout === 'NCHW' ? c * W * H + y * W + x : (y * W + x) * 3 + c] = n;
      }
    }
  }
  return out;
}

/**
 * A synthetic road scene: sky gradient, grass verges, a grey road trapezoid with white lane
 * markings and a dark "car" box. Structured like a dashcam frame, no files needed.
 */
export function roadScene(width = 480, height = 360, seed = 0): RgbImage {
  const rgb = new Uint8Array(width * height * 3);
  const horizon = Math.round(height * (0.42 + 0.04 * Math.sin(seed)));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let c: [number, number, number];
      if (y < horizon) {
        const t = y / horizon;
        c = [Math.round(90 + 100 * t), Math.round(140 + 80 * t), 235];
      } else {
        const t = (y - horizon) / (height - horizon);
        const half = width * (0.06 + 0.5 * t);
        const cx = width / 2 + seed * 7;
        const dx = Math.abs(x - cx);
        if (dx < half) {
          const lane = Math.abs(dx - half * 0.5) < 1 + 3 * t && Math.floor(y / 12) % 2 === 0;
          const edge = half - dx < 2 + 4 * t;
          const g = 95 + Math.round(20 * t) + ((x * 7 + y * 13) % 9);
          c = lane || edge ? [235, 235, 225] : [g, g, g + 4];
        } else {
          c = [60 + ((x + y) % 11), 120 + Math.round(30 * t), 50];
        }
      }
      const car =
        y > horizon + (height - horizon) * 0.25 &&
        y < horizon + (height - horizon) * 0.55 &&
        x > width * 0.56 &&
        x < width * 0.72;
      if (car) c = [35, 30, 40];
      rgb.set(c, (y * width + x) * 3);
    }
  }
  return { rgb, width, height };
}

export const ffmpegPath = path.join(repoRoot, 'node_modules', '@ffmpeg-installer', 'linux-x64', 'ffmpeg');

/** Decodes an image file to RGB24 with the bundled ffmpeg binary. */
export function decodeImage(file: string): RgbImage {
  const size = imageSize(file);
  const res = execFileSync(ffmpegPath, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (res.byteLength !== size.width * size.height * 3)
    throw new Error(`ffmpeg gave ${res.byteLength} bytes for ${size.width}x${size.height} ${file}`);
  return { rgb: new Uint8Array(res.buffer, res.byteOffset, res.byteLength), ...size };
}

function imageSize(file: string): { width: number; height: number } {
  // ffprobe-like: ffmpeg prints the stream size on stderr when given no output.
  let text = '';
  try {
    execFileSync(ffmpegPath, ['-hide_banner', '-i', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    text = String((err as { stderr?: string }).stderr ?? '');
  }
  const m = /Video: .*?, (\d{2,5})x(\d{2,5})/.exec(text);
  if (!m) throw new Error(`cannot read the size of ${file}: ${text.slice(-300)}`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** Share of pixels where two class maps agree. */
export function agreement(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return 0;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** Share of pixels in rows [y0, y1) whose class is in `ids`. */
export function share(map: Uint8Array, width: number, from: number, to: number, ids: number[]): number {
  const [y0, y1] = [Math.round(from), Math.round(to)];
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = 0; x < width; x++) if (ids.includes(map[y * width + x])) n++;
  return n / ((y1 - y0) * width);
}
