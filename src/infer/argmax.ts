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
    // Pixel by pixel, reading the channel planes in step: no scratch arrays, one pass.
    for (let p = 0; p < pixels; p++) {
      let w = 0;
      let best = data[offset + p];
      for (let c = 1, i = offset + pixels + p; c < channels; c++, i += pixels) {
        const v = data[i];
        if (v > best) {
          best = v;
          w = c;
        }
      }
      const id = lut[w];
      if (id >= 0) classMap[p] = id;
    }
    return;
  }
  for (let p = 0, base = offset; p < pixels; p++, base += channels) {
    let w = 0;
    let best = data[base];
    for (let c = 1; c < channels; c++) {
      const v = data[base + c];
      if (v > best) {
        best = v;
        w = c;
      }
    }
    const id = lut[w];
    if (id >= 0) classMap[p] = id;
  }
}

/**
 * Per channel of a head: 1 when its global class is one of `ids`, -1 when it is `null` (passes
 * the earlier heads' probability on), 0 otherwise. Input of {@link applyHeadProbability}.
 */
export function headMembership(head: HeadInfo, ids: readonly number[]): Int8Array {
  const set = new Set(ids);
  return Int8Array.from(head.classes, (c) => (c === null ? -1 : set.has(c) ? 1 : 0));
}

/**
 * Folds one head into a probability map (length = pixels): per pixel, with `p = softmax(logits)`,
 * `prob = Σ p[c: member 1] + Σ p[c: member -1] × prob`. Start from zeros and apply the heads in
 * order. Softmax is computed stably (max subtracted) in float64.
 */
export function applyHeadProbability(prob: Float32Array, logits: HeadLogits, member: Int8Array): void {
  const { data, offset, channels, layout } = logits;
  const pixels = prob.length;
  const cStride = layout === 'NCHW' ? pixels : 1;
  const pStride = layout === 'NCHW' ? 1 : channels;
  for (let p = 0, base = offset; p < pixels; p++, base += pStride) {
    let max = -Infinity;
    for (let c = 0; c < channels; c++) {
      const v = data[base + c * cStride];
      if (v > max) max = v;
    }
    let sum = 0;
    let inSet = 0;
    let pass = 0;
    for (let c = 0; c < channels; c++) {
      const e = Math.exp(data[base + c * cStride] - max);
      sum += e;
      const m = member[c];
      if (m === 1) inSet += e;
      else if (m === -1) pass += e;
    }
    prob[p] = (inSet + pass * prob[p]) / sum;
  }
}
