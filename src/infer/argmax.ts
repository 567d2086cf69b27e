/**
 * Post-processing in plain JS: per-pixel argmax over a head's channels, mapped into the
 * model's global class ids. Used by the ONNX engine (the TF.js engine does the same with tf ops).
 */
import type { HeadInfo } from './types.js';

/** Per channel: the global class id, or -1 for `null` ("keep what earlier heads said"). */
export function headLookup(head: HeadInfo): Int16Array {
  return Int16Array.from(head.classes, (c) => (c === null ? -1 : c));
}

/** One head's logits for one batch item, in a flat tensor buffer. */
export interface HeadLogits {
  data: Float32Array;
  /** Index of this item's first value in `data`. */
  offset: number;
  channels: number;
  layout: 'NCHW' | 'NHWC';
}

/**
 * Writes the argmax of one head into `classMap` (length = pixels): channel `c` winning at a
 * pixel sets it to `lut[c]`, unless that is -1, which leaves the pixel as it was. Ties go to
 * the lower channel, like `argmax` in PyTorch, NumPy and TF.
 */
export function applyHead(classMap: Uint8Array, logits: HeadLogits, lut: Int16Array): void {
  const { data, offset, channels, layout } = logits;
  const pixels = classMap.length;
  if (layout === 'NCHW') {
    const best = data.slice(offset, offset + pixels);
    const winner = new Uint8Array(pixels);
    for (let c = 1; c < channels; c++) {
      const base = offset + c * pixels;
      for (let p = 0; p < pixels; p++) {
        const v = data[base + p]!;
        if (v > best[p]!) {
          best[p] = v;
          winner[p] = c;
        }
      }
    }
    for (let p = 0; p < pixels; p++) {
      const id = lut[winner[p]!]!;
      if (id >= 0) classMap[p] = id;
    }
    return;
  }
  for (let p = 0, base = offset; p < pixels; p++, base += channels) {
    let w = 0;
    let best = data[base]!;
    for (let c = 1; c < channels; c++) {
      const v = data[base + c]!;
      if (v > best) {
        best = v;
        w = c;
      }
    }
    const id = lut[w]!;
    if (id >= 0) classMap[p] = id;
  }
}
