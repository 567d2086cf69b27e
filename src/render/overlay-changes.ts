/**
 * The overlay of a class map given as its network-size map plus the pixels where the frame-size
 * classes differ from the map's nearest enlargement (`ClassChanges`, from `scoreClassChanges`):
 * the changed pixels' bytes are saved, the small map is blended by runs as usual, and then only
 * the changed pixels are blended again, from their saved bytes, with their own class. The bytes
 * equal blending the frame-size class map, at the cost of blending the small one.
 *
 * I420: a chroma sample takes the class of luma pixel `(2cx, 2cy)`, so it changes with that pixel.
 */
import type { ClassChanges } from '../pixels/score-upsample.js';
import { chromaSize } from '../pixels/yuv.js';
import { LUT_CLASSES } from './palette.js';

// The changed pixels' bytes, before the blend (one call at a time per thread).
let saved = new Uint8Array(0);

/** Where a frame's samples lie: RGB24 (`uBase` -1) or I420 (planes from `uBase`, `vBase`, chroma `cw` wide). */
interface Layout {
  w: number;
  uBase: number;
  vBase: number;
  cw: number;
}

function layoutOf(rgb: boolean, w: number, h: number): Layout {
  if (rgb) return { w, uBase: -1, vBase: -1, cw: 0 };
  const c = chromaSize(w, h);
  return { w, uBase: w * h, vBase: w * h + c.width * c.height, cw: c.width };
}

/** Byte offsets of the samples pixel `p` owns: RGB24 3 channels; I420 Y, and U, V at even pixels (-1 otherwise). */
function sampleOffsets(l: Layout, p: number, into: Int32Array): void {
  if (l.uBase < 0) {
    into[0] = 3 * p;
    into[1] = 3 * p + 1;
    into[2] = 3 * p + 2;
    return;
  }
  into[0] = p;
  const y = (p / l.w) | 0;
  const x = p - y * l.w;
  if ((x & 1) === 0 && (y & 1) === 0) {
    const ci = (y >> 1) * l.cw + (x >> 1);
    into[1] = l.uBase + ci;
    into[2] = l.vBase + ci;
  } else into[1] = into[2] = -1;
}

const at = new Int32Array(3);

/** Saves the bytes of the changed pixels of `frame` (RGB24 when `rgb`, else I420). */
export function saveChanged(frame: Uint8Array, rgb: boolean, w: number, h: number, changes: ClassChanges): void {
  if (saved.length < 3 * changes.count) saved = new Uint8Array(Math.max(3 * changes.count, 2 * saved.length));
  const l = layoutOf(rgb, w, h);
  for (let i = 0; i < changes.count; i++) {
    sampleOffsets(l, changes.index[i], at);
    for (let s = 0; s < 3; s++) if (at[s] >= 0) saved[3 * i + s] = frame[at[s]];
  }
}

/**
 * Blends the changed pixels again from their saved bytes: `(v * (256 - a) + premul) >> 8` with
 * class `k`'s alpha `classAlpha[k]` and `premul[s * LUT_CLASSES + k]` (sample `s`: RGB channel or
 * Y/U/V plane), the rule of the run blend; unpainted classes get their bytes back.
 */
export function reblendChanged(
  frame: Uint8Array,
  rgb: boolean,
  w: number,
  h: number,
  changes: ClassChanges,
  classAlpha: Int32Array,
  premul: Int32Array,
): void {
  const l = layoutOf(rgb, w, h);
  for (let i = 0; i < changes.count; i++) {
    const k = changes.classes[i];
    const a = classAlpha[k];
    sampleOffsets(l, changes.index[i], at);
    for (let s = 0; s < 3; s++) {
      if (at[s] < 0) continue;
      const v = saved[3 * i + s];
      frame[at[s]] = a === 0 ? v : (v * (256 - a) + premul[s * LUT_CLASSES + k]) >> 8;
    }
  }
}
