/**
 * Planar YUV 4:2:0 (I420) frames: sizes, and the whole-frame conversion to RGB24 as ffmpeg does
 * it (the colour matrix itself is in `colour.ts`).
 */
import type { PixelFormat } from '../types.js';
import { invalidOption } from '../errors.js';
import { checkDimension, checkExactLength, checkLength } from './check.js';
import { CLAMP, CLAMP_OFFSET, yuvToRgbTables } from './colour.js';

/** Width and height of each chroma plane of an I420 frame: `ceil(w / 2) x ceil(h / 2)`. */
export function chromaSize(width: number, height: number): { width: number; height: number } {
  return { width: (width + 1) >> 1, height: (height + 1) >> 1 };
}

/**
 * Bytes of one frame of `width x height` in `format`.
 *
 * @example
 * ```ts
 * frameByteLength('yuv420p', 641, 361); // 641 * 361 + 2 * 321 * 181
 * ```
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` for an unknown format
 */
export function frameByteLength(format: PixelFormat, width: number, height: number): number {
  if (format === 'rgb24') return width * height * 3;
  if (format === 'yuv420p') {
    const c = chromaSize(width, height);
    return width * height + 2 * c.width * c.height;
  }
  throw invalidOption('format', 'rgb24 or yuv420p', format);
}

/**
 * Converts a whole I420 frame to packed RGB24 the way ffmpeg's `-pix_fmt rgb24` does (see
 * `colour.ts`). The pipeline never needs this (preprocessing converts only the samples it
 * reads); it serves library users and tests.
 *
 * @param yuv - I420, `frameByteLength('yuv420p', width, height)` bytes
 * @param out - optional destination of exactly `width * height * 3` bytes
 * @returns `out`, or a new Uint8Array
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` when sizes or buffer lengths disagree
 * @example
 * ```ts
 * const rgb = i420ToRgb24(frame.pixels, frame.width, frame.height);
 * ```
 */
export function i420ToRgb24(yuv: Uint8Array, width: number, height: number, out?: Uint8Array): Uint8Array {
  checkDimension('width', width);
  checkDimension('height', height);
  checkLength('pixels', yuv, frameByteLength('yuv420p', width, height));
  if (out === undefined) out = new Uint8Array(width * height * 3);
  else checkExactLength('out', out, width * height * 3);
  const chroma = chromaSize(width, height);
  const uBase = width * height;
  const vBase = uBase + chroma.width * chroma.height;
  const { y: Y, vr: VR, ug: UG, vg: VG, ub: UB, shift, round } = yuvToRgbTables(height);
  const C = CLAMP_OFFSET;
  let o = 0;
  for (let row = 0; row < height; row++) {
    const cRow = (row >> 1) * chroma.width;
    for (let x = 0; x < width; x++) {
      const yt = Y[yuv[row * width + x]] + round;
      const u = yuv[uBase + cRow + (x >> 1)],
        v = yuv[vBase + cRow + (x >> 1)];
      out[o] = CLAMP[((yt + VR[v]) >> shift) + C];
      out[o + 1] = CLAMP[((yt + UG[u] + VG[v]) >> shift) + C];
      out[o + 2] = CLAMP[((yt + UB[u]) >> shift) + C];
      o += 3;
    }
  }
  return out;
}
