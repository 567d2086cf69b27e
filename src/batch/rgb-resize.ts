/**
 * Packed RGB24 → RGB24 at another size, bilinear with half-pixel centres. Used to bring frames of
 * a sequence whose sizes differ to the overlay video's one size.
 */
import { linearAxisTable } from '../render/resize.js';

/** Resizes `rgb` (`width * height * 3` bytes) to `dstW x dstH`; returns `rgb` itself when the size is unchanged. */
export function resizeRgb24(rgb: Uint8Array, width: number, height: number, dstW: number, dstH: number): Uint8Array {
  if (width === dstW && height === dstH) return rgb;
  const cols = linearAxisTable(width, dstW, 3);
  const rows = linearAxisTable(height, dstH, 3 * width);
  const out = new Uint8Array(dstW * dstH * 3);
  for (let y = 0, o = 0; y < dstH; y++) {
    const r0 = rows.i0[y]!;
    const r1 = rows.i1[y]!;
    const wy0 = rows.w0[y]!;
    const wy1 = rows.w1[y]!;
    for (let x = 0; x < dstW; x++) {
      const c0 = cols.i0[x]!;
      const c1 = cols.i1[x]!;
      const wx0 = cols.w0[x]!;
      const wx1 = cols.w1[x]!;
      for (let c = 0; c < 3; c++, o++) {
        const v = wy0 * (wx0 * rgb[r0 + c0 + c]! + wx1 * rgb[r0 + c1 + c]!) + wy1 * (wx0 * rgb[r1 + c0 + c]! + wx1 * rgb[r1 + c1 + c]!);
        out[o] = v + 0.5;
      }
    }
  }
  return out;
}
