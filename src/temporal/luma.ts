/**
 * What the temporal stage knows of the source: a luma plane at the model's output size, taken
 * from the preprocessed network input (so it costs one pass over a small tensor, never the full
 * frame), and where it changed between two consecutive frames.
 */
import type { InputSpec } from '../infer/types.js';

/**
 * Largest luma change (0..255, 3x3 neighbourhood, at the model's output size) for which a pixel
 * counts as unchanged in the source. Above video-compression noise, well below an edge passing by.
 */
export const STATIC_LUMA_THRESHOLD = 6;

/**
 * Luma (BT.601 weights, 0..255) of a preprocessed network input, undoing the card's normalisation
 * (`(v * scale - mean) / std`, channel order, layout). One value per input pixel.
 */
export function lumaOfInput(input: Float32Array, spec: InputSpec, layout: 'NCHW' | 'NHWC'): Uint8Array {
  const pixels = spec.width * spec.height;
  const rgbWeights = [0.299, 0.587, 0.114];
  const order = spec.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  // Per network channel k: luma += x * a[k] + b[k].
  const a = [0, 0, 0];
  let b = 0;
  for (let k = 0; k < 3; k++) {
    const w = rgbWeights[order[k]];
    a[k] = (w * spec.std[k]) / spec.scale;
    b += (w * spec.mean[k]) / spec.scale;
  }
  const [a0, a1, a2] = a as [number, number, number];
  const out = new Uint8Array(pixels);
  if (layout === 'NCHW') {
    for (let p = 0; p < pixels; p++)
      out[p] = input[p] * a0 + input[pixels + p] * a1 + input[2 * pixels + p] * a2 + b + 0.5;
  } else {
    for (let p = 0, i = 0; p < pixels; p++, i += 3)
      out[p] = input[i] * a0 + input[i + 1] * a1 + input[i + 2] * a2 + b + 0.5;
  }
  return out;
}

/**
 * Box-averages a luma plane to another size (each output pixel averages the source pixels whose
 * centres fall in it; at least the nearest one). Returns `luma` itself when the sizes agree.
 */
export function resizeLuma(
  luma: Uint8Array,
  width: number,
  height: number,
  toWidth: number,
  toHeight: number,
): Uint8Array {
  if (width === toWidth && height === toHeight) return luma;
  if (width === 2 * toWidth && height === 2 * toHeight) return halveLuma(luma, width, toWidth, toHeight);
  const out = new Uint8Array(toWidth * toHeight);
  const fx = width / toWidth;
  const fy = height / toHeight;
  for (let y = 0; y < toHeight; y++) {
    const y0 = Math.min(height - 1, Math.floor(y * fy));
    const y1 = Math.max(y0 + 1, Math.min(height, Math.floor((y + 1) * fy)));
    for (let x = 0; x < toWidth; x++) {
      const x0 = Math.min(width - 1, Math.floor(x * fx));
      const x1 = Math.max(x0 + 1, Math.min(width, Math.floor((x + 1) * fx)));
      let sum = 0;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0, i = yy * width + x0; xx < x1; xx++, i++) sum += luma[i];
      out[y * toWidth + x] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
    }
  }
  return out;
}

/** {@link resizeLuma} at exactly half the size (the common case: 2x2 boxes), in a tighter loop with the same rounding. */
function halveLuma(luma: Uint8Array, width: number, toWidth: number, toHeight: number): Uint8Array {
  const out = new Uint8Array(toWidth * toHeight);
  for (let y = 0, o = 0; y < toHeight; y++) {
    // (sum + 2) >> 2 is Math.round(sum / 4) for a non-negative integer sum (halves round up).
    for (let x = 0, i = 2 * y * width; x < toWidth; x++, i += 2, o++)
      out[o] = (luma[i] + luma[i + 1] + luma[i + width] + luma[i + width + 1] + 2) >> 2;
  }
  return out;
}

/**
 * Per pixel, the largest absolute luma difference between `prev` and `cur` in its 3x3
 * neighbourhood: a pixel next to a moving edge counts as changed too, since a network's label
 * there follows the edge although its own luma may not have changed. With `from` (per pixel of
 * `cur`, its index in `prev`, see `blockMotion`), each pixel is compared with where it came from.
 */
export function lumaChange(
  prev: Uint8Array,
  cur: Uint8Array,
  width: number,
  height: number,
  out: Uint8Array = new Uint8Array(width * height),
  from?: Int32Array,
): Uint8Array {
  const n = width * height;
  // Scratch planes reused from call to call (this runs once per frame, on one thread at a time).
  if (scratch.diff.length !== n) scratch = { diff: new Uint8Array(n), row: new Uint8Array(n) };
  const { diff, row } = scratch;
  for (let i = 0; i < n; i++) {
    const d = cur[i] - prev[from ? from[i] : i];
    diff[i] = d < 0 ? -d : d;
  }
  // Separable 3x3 max: rows into `row`, then columns into `out`; the edges clamp.
  for (let r = 0; r < n; r += width) {
    const last = r + width - 1;
    let left = diff[r];
    let mid = left;
    for (let i = r; i < last; i++) {
      const right = diff[i + 1];
      let m = mid > left ? mid : left;
      if (right > m) m = right;
      row[i] = m;
      left = mid;
      mid = right;
    }
    row[last] = mid > left ? mid : left;
  }
  for (let i = 0; i < n; i++) {
    let m = row[i];
    if (i >= width && row[i - width] > m) m = row[i - width]!;
    if (i + width < n && row[i + width] > m) m = row[i + width]!;
    out[i] = m;
  }
  return out;
}

let scratch = { diff: new Uint8Array(0), row: new Uint8Array(0) };
