/**
 * Planar YUV 4:2:0 (I420) frames: sizes, and the colour conversion ffmpeg uses.
 *
 * The decoder hands frames over as ffmpeg's `yuv420p` rawvideo, so YUV -> RGB has to be done here
 * exactly as ffmpeg would have done it for `-pix_fmt rgb24`, or the network sees other inputs
 * than in training (where frames were RGB). ffmpeg's default `yuv420p -> rgb24` conversion
 * (swscale, unscaled path, no `accurate_rnd`) uses the BT.601 limited-range matrix, takes each
 * 2x2 block's chroma sample as it is (no chroma interpolation) and computes in 16-bit fixed
 * point: every term is `(value << 3) * coeff >> 16` (floored) with the coefficients rounded to
 * 1/8192. The tables below reproduce that arithmetic; on the bundled ffmpeg the result matches
 * its rgb24 output byte for byte (see test/render/yuv.test.ts for the check against ffmpeg).
 * For odd heights ffmpeg takes its generic scaler instead ({@link yuvToRgbTables}).
 */
import type { PixelFormat } from '../types.js';
import { invalidOption } from '../errors.js';
import { checkDimension, checkExactLength, checkLength } from './check.js';

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
 * Per-value lookup tables of one YUV -> RGB conversion: a channel is
 * `CLAMP[((Y + VR[v]) + round >> shift) + CLAMP_OFFSET]` (green: `Y + UG[u] + VG[v]`, blue: `Y + UB[u]`).
 */
export interface YuvToRgbTables {
  readonly y: Int32Array;
  readonly vr: Int32Array;
  readonly ug: Int32Array;
  readonly vg: Int32Array;
  readonly ub: Int32Array;
  readonly shift: number;
  readonly round: number;
}

// BT.601 limited range: swscale's inverse table {104597, 132201, 25675, 53279} / 65536, luma * 255/219.
const CY = 255 / 219, CRV = 104597 / 65536, CBU = 132201 / 65536, CGU = 25675 / 65536, CGV = 53279 / 65536;

function tables(term: (v: number, coeff: number, luma: boolean) => number, shift: number): YuvToRgbTables {
  const t = { y: new Int32Array(256), vr: new Int32Array(256), ug: new Int32Array(256), vg: new Int32Array(256), ub: new Int32Array(256), shift, round: shift > 0 ? 1 << (shift - 1) : 0 };
  for (let v = 0; v < 256; v++) {
    t.y[v] = term(v, CY, true);
    t.vr[v] = term(v, CRV, false);
    t.ug[v] = term(v, -CGU, false);
    t.vg[v] = term(v, -CGV, false);
    t.ub[v] = term(v, CBU, false);
  }
  return t;
}

/**
 * ffmpeg's fast unscaled converter, used for even heights: 16-bit fixed point, each term
 * `floor((value << 3) * round(coeff * 8192) / 65536)`, luma below 16 saturated to 16.
 */
const FAST = tables((v, c, luma) => {
  const coeff = Math.floor(c * 8192 + 0.5);
  const x = luma ? Math.max(0, v - 16) << 3 : (v - 128) << 3;
  return Math.floor((x * coeff) / 65536);
}, 0);

/**
 * ffmpeg's generic scaler, which it uses for odd heights: the exact matrix, rounded once (it
 * also interpolates chroma there; this keeps each block's sample, see {@link yuvToRgbTables}).
 */
const ACCURATE = tables((v, c, luma) => Math.round((luma ? v - 16 : v - 128) * c * 4096), 12);

/**
 * The conversion ffmpeg applies to a `yuv420p` frame of this height for `-pix_fmt rgb24`.
 * Even heights: bit-exact with the bundled ffmpeg. Odd heights: ffmpeg switches to its generic
 * scaler, which also interpolates chroma; taking each block's chroma sample as it is stays
 * within about half a level (mean) of it on camera footage.
 */
export function yuvToRgbTables(height: number): YuvToRgbTables {
  return height % 2 === 0 ? FAST : ACCURATE;
}

/** Offset added to a converted value before indexing {@link CLAMP}. */
export const CLAMP_OFFSET = 1024;
/** `CLAMP[v + CLAMP_OFFSET]` is `v` clamped to 0..255 for any converted value. */
export const CLAMP = new Uint8Array(2 * CLAMP_OFFSET + 256);
for (let i = 0; i < CLAMP.length; i++) CLAMP[i] = Math.min(255, Math.max(0, i - CLAMP_OFFSET));

/**
 * Converts an RGB colour to limited-range BT.601 Y, U, V (rounded), the inverse of the matrix
 * above. Used once per class colour by the YUV overlay.
 *
 * @example
 * ```ts
 * rgbToYuv(255, 0, 0); // [81, 90, 240]
 * ```
 */
export function rgbToYuv(r: number, g: number, b: number): [number, number, number] {
  const clamp = (v: number) => Math.min(255, Math.max(0, Math.round(v)));
  return [
    clamp(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255),
    clamp(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255),
    clamp(128 + (112 * r - 93.786 * g - 18.214 * b) / 255),
  ];
}

/**
 * Converts a whole I420 frame to packed RGB24 the way ffmpeg's `-pix_fmt rgb24` does (see the
 * module notes). The pipeline never needs this (preprocessing converts only the samples it
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
      const u = yuv[uBase + cRow + (x >> 1)], v = yuv[vBase + cRow + (x >> 1)];
      out[o] = CLAMP[((yt + VR[v]) >> shift) + C];
      out[o + 1] = CLAMP[((yt + UG[u] + VG[v]) >> shift) + C];
      out[o + 2] = CLAMP[((yt + UB[u]) >> shift) + C];
      o += 3;
    }
  }
  return out;
}
