/**
 * `--kitti-road`: the model's road probability as an 8-bit confidence PNG in the KITTI road
 * benchmark's perspective-image format (`um_road_000000.png`: grey, 0..255 = probability 0..1).
 */
import { linearAxisTable } from '../render/resize.js';

/**
 * Output file name of the road map of an input frame: KITTI road frames `<cat>_<id>.png`
 * (`um`, `umm`, `uu`) become `<cat>_road_<id>.png` as the benchmark expects; any other frame
 * `<stem>_road.png`.
 *
 * @example
 * ```ts
 * roadMapName('um_000000'); // 'um_road_000000.png'
 * roadMapName('0000000042'); // '0000000042_road.png'
 * ```
 */
export function roadMapName(stem: string): string {
  const m = /^(um|umm|uu)_(\d+)$/.exec(stem);
  return m ? `${m[1]}_road_${m[2]}.png` : `${stem}_road.png`;
}

/**
 * Resizes a probability map (0..1 floats, model output size) to the frame size with bilinear
 * interpolation, half-pixel centres (`align_corners=False`), and quantises it to bytes:
 * `round(p * 255)`.
 */
export function probabilityToBytes(prob: Float32Array, mapW: number, mapH: number, width: number, height: number, out = new Uint8Array(width * height)): Uint8Array {
  const cols = linearAxisTable(mapW, width);
  const rows = linearAxisTable(mapH, height);
  for (let y = 0; y < height; y++) {
    const r0 = rows.i0[y]! * mapW;
    const r1 = rows.i1[y]! * mapW;
    const wy0 = rows.w0[y]!;
    const wy1 = rows.w1[y]!;
    const o = y * width;
    for (let x = 0; x < width; x++) {
      const c0 = cols.i0[x]!;
      const c1 = cols.i1[x]!;
      const p = wy0 * (cols.w0[x]! * prob[r0 + c0]! + cols.w1[x]! * prob[r0 + c1]!) + wy1 * (cols.w0[x]! * prob[r1 + c0]! + cols.w1[x]! * prob[r1 + c1]!);
      out[o + x] = Math.round(Math.min(1, Math.max(0, p)) * 255);
    }
  }
  return out;
}
