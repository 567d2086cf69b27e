/**
 * The colour matrix, BT.601 limited range, in the forms the pixel code needs: exact and
 * fixed-point coefficients, per-value lookup tables, and the inverse for overlay colours.
 *
 * The decoder hands frames over as ffmpeg's `yuv420p` rawvideo, so YUV -> RGB has to be done here
 * exactly as ffmpeg would have done it for `-pix_fmt rgb24`, or the network sees other inputs
 * than in training (where frames were RGB). ffmpeg's default `yuv420p -> rgb24` conversion
 * (swscale, unscaled path, no `accurate_rnd`) uses the BT.601 limited-range matrix, takes each
 * 2x2 block's chroma sample as it is (no chroma interpolation) and computes in 16-bit fixed
 * point: every term is `(value << 3) * coeff >> 16` (floored) with the coefficients rounded to
 * 1/8192. The tables below reproduce that arithmetic; on the bundled ffmpeg the result matches
 * its rgb24 output byte for byte (see test/pixels/yuv.test.ts for the check against ffmpeg).
 * For odd heights ffmpeg takes its generic scaler instead ({@link yuvToRgbTables}).
 */

/**
 * BT.601 limited range as YUV -> RGB coefficients (`R = cy*(Y-16) + crv*(V-128)`, `G = cy*(Y-16) -
 * cgu*(U-128) - cgv*(V-128)`, `B = cy*(Y-16) + cbu*(U-128)`): swscale's inverse table
 * {104597, 132201, 25675, 53279} / 65536, luma * 255/219.
 */
export const BT601 = Object.freeze({
  cy: 255 / 219,
  crv: 104597 / 65536,
  cbu: 132201 / 65536,
  cgu: 25675 / 65536,
  cgv: 53279 / 65536,
});

const q8192 = (c: number) => Math.floor(c * 8192 + 0.5) / 8192;

/** {@link BT601} with the coefficients rounded to 1/8192, as ffmpeg's fast unscaled converter uses them. */
export const BT601_FAST: typeof BT601 = Object.freeze({
  cy: q8192(BT601.cy),
  crv: q8192(BT601.crv),
  cbu: q8192(BT601.cbu),
  cgu: q8192(BT601.cgu),
  cgv: q8192(BT601.cgv),
});

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

function tables(term: (v: number, coeff: number, luma: boolean) => number, shift: number): YuvToRgbTables {
  const t = {
    y: new Int32Array(256),
    vr: new Int32Array(256),
    ug: new Int32Array(256),
    vg: new Int32Array(256),
    ub: new Int32Array(256),
    shift,
    round: shift > 0 ? 1 << (shift - 1) : 0,
  };
  for (let v = 0; v < 256; v++) {
    t.y[v] = term(v, BT601.cy, true);
    t.vr[v] = term(v, BT601.crv, false);
    t.ug[v] = term(v, -BT601.cgu, false);
    t.vg[v] = term(v, -BT601.cgv, false);
    t.ub[v] = term(v, BT601.cbu, false);
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
