/** Bilinear resizes of images that stay images (RGB24 frames, probability maps); the network input's is in `tensor.ts`. */
import { bilinear, planeAxisTables, rgbAxisTables } from './sampler.js';

/**
 * Packed RGB24 → RGB24 at another size, bilinear with half-pixel centres. Used to bring frames of
 * a sequence whose sizes differ to the overlay video's one size.
 *
 * @returns `rgb` itself when the size is unchanged, else a new `dstW * dstH * 3` array
 */
export function resizeRgb24(rgb: Uint8Array, width: number, height: number, dstW: number, dstH: number): Uint8Array {
  if (width === dstW && height === dstH) return rgb;
  const { cols, rows } = rgbAxisTables(width, height, dstW, dstH);
  const out = new Uint8Array(dstW * dstH * 3);
  for (let y = 0, o = 0; y < dstH; y++) {
    const r0 = rows.i0[y];
    const r1 = rows.i1[y];
    const wy0 = rows.w0[y];
    const wy1 = rows.w1[y];
    for (let x = 0; x < dstW; x++) {
      const c0 = cols.i0[x];
      const c1 = cols.i1[x];
      const wx0 = cols.w0[x];
      const wx1 = cols.w1[x];
      for (let c = 0; c < 3; c++, o++) {
        out[o] =
          bilinear(rgb[r0 + c0 + c], rgb[r0 + c1 + c], rgb[r1 + c0 + c], rgb[r1 + c1 + c], wx0, wx1, wy0, wy1) + 0.5;
      }
    }
  }
  return out;
}

/**
 * Resizes a probability map (0..1 floats, model output size) to the frame size with bilinear
 * interpolation, half-pixel centres (`align_corners=False`), and quantises it to bytes:
 * `round(p * 255)`.
 */
export function probabilityToBytes(
  prob: Float32Array,
  mapW: number,
  mapH: number,
  width: number,
  height: number,
  out = new Uint8Array(width * height),
): Uint8Array {
  const { cols, rows } = planeAxisTables(mapW, mapH, width, height);
  for (let y = 0; y < height; y++) {
    const r0 = rows.i0[y] * mapW;
    const r1 = rows.i1[y] * mapW;
    const wy0 = rows.w0[y];
    const wy1 = rows.w1[y];
    const o = y * width;
    for (let x = 0; x < width; x++) {
      const c0 = cols.i0[x];
      const c1 = cols.i1[x];
      const p = bilinear(prob[r0 + c0], prob[r0 + c1], prob[r1 + c0], prob[r1 + c1], cols.w0[x], cols.w1[x], wy0, wy1);
      out[o + x] = Math.round(Math.min(1, Math.max(0, p)) * 255);
    }
  }
  return out;
}
