/**
 * The ego mask: the pixels of the camera's own vehicle (bonnet, dashboard, mirror mounts), which the
 * outputs treat as "ego/void": no overlay colour, never free space, class-id masks {@link EGO_CLASS}.
 *
 * Stored as row spans (`rows[y] .. rows[y + 1]` index pairs `[start, end)` in `spans`), which is small
 * for the usual shapes (a bonnet is one span per row), cheap to copy to a worker per frame, and lets
 * every output touch exactly the masked pixels.
 */
import type { PixelFormat } from '../types.js';
import { chromaSize } from './yuv.js';

/** The value class-id masks hold under the ego mask ("ego/void"; no model class uses it). */
export const EGO_CLASS = 255;

/** An ego mask at a frame size, as row spans. */
export interface EgoMask {
  width: number;
  height: number;
  /** `height + 1` offsets into `spans` (in ints): row y's spans are `spans[rows[y] .. rows[y + 1])`. */
  rows: Int32Array;
  /** `[start, end)` column pairs, left to right per row. */
  spans: Int32Array;
  /** Masked pixels in all. */
  pixels: number;
}

/** The ego mask of a `width * height` byte mask (non-zero = ego). */
export function egoMaskFromBytes(mask: Uint8Array, width: number, height: number): EgoMask {
  const rows = new Int32Array(height + 1);
  const spans: number[] = [];
  let pixels = 0;
  for (let y = 0; y < height; y++) {
    rows[y] = spans.length;
    const base = y * width;
    for (let x = 0; x < width;) {
      if (mask[base + x] === 0) {
        x++;
        continue;
      }
      const start = x;
      while (x < width && mask[base + x] !== 0) x++;
      spans.push(start, x);
      pixels += x - start;
    }
  }
  rows[height] = spans.length;
  return { width, height, rows, spans: Int32Array.from(spans), pixels };
}

/** `ego` when it was made for frames of `width x height` (a live camera may change size), else null. */
export function egoFor(ego: EgoMask | null | undefined, width: number, height: number): EgoMask | null {
  return ego && ego.width === width && ego.height === height ? ego : null;
}

/** The mask as `width * height` bytes, 255 under the ego mask and 0 elsewhere (the PNG users check and reuse). */
export function egoMaskToBytes(ego: EgoMask): Uint8Array {
  const out = new Uint8Array(ego.width * ego.height);
  fillEgo(out, ego, 255);
  return out;
}

/** Sets every masked pixel of a `width * height` one-byte-per-pixel map (class ids, a 0/255 mask) to `value`. */
export function fillEgo(map: Uint8Array, ego: EgoMask, value: number): void {
  const { rows, spans, width } = ego;
  for (let y = 0; y < ego.height; y++) {
    for (let i = rows[y]; i < rows[y + 1]; i += 2) map.fill(value, y * width + spans[i], y * width + spans[i + 1]);
  }
}

/**
 * Copies the frame's bytes under the ego mask (`yuv420p`: luma per pixel; a chroma sample where the
 * luma pixel at its top-left is masked, as the overlay takes a block's class), so that
 * {@link restoreUnderEgo} can put them back after the overlay was blended.
 */
export function saveUnderEgo(pixels: Uint8Array, format: PixelFormat, ego: EgoMask): Uint8Array {
  const saved = new Uint8Array(savedLength(format, ego));
  copySpans(pixels, saved, format, ego, true);
  return saved;
}

/** Writes back the bytes {@link saveUnderEgo} copied: masked pixels show the camera's own picture. */
export function restoreUnderEgo(pixels: Uint8Array, format: PixelFormat, ego: EgoMask, saved: Uint8Array): void {
  copySpans(pixels, saved, format, ego, false);
}

function savedLength(format: PixelFormat, ego: EgoMask): number {
  let n = 0;
  forEachPlaneSpan(format, ego, (s, e) => (n += e - s));
  return n;
}

function copySpans(pixels: Uint8Array, saved: Uint8Array, format: PixelFormat, ego: EgoMask, save: boolean): void {
  let o = 0;
  forEachPlaneSpan(format, ego, (s, e) => {
    if (save) saved.set(pixels.subarray(s, e), o);
    else pixels.set(saved.subarray(o, o + e - s), s);
    o += e - s;
  });
}

/** Calls `span(start, end)` with byte ranges of the frame buffer covering the masked pixels. */
function forEachPlaneSpan(format: PixelFormat, ego: EgoMask, span: (s: number, e: number) => void): void {
  const { rows, spans, width: w, height: h } = ego;
  if (format === 'rgb24') {
    for (let y = 0; y < h; y++)
      for (let i = rows[y]; i < rows[y + 1]; i += 2) span((y * w + spans[i]) * 3, (y * w + spans[i + 1]) * 3);
    return;
  }
  for (let y = 0; y < h; y++)
    for (let i = rows[y]; i < rows[y + 1]; i += 2) span(y * w + spans[i], y * w + spans[i + 1]);
  // Chroma sample (cx, cy) follows luma pixel (2cx, 2cy): columns ceil(s/2) .. ceil(e/2) - 1 of luma row 2cy.
  const c = chromaSize(w, h);
  for (const base of [w * h, w * h + c.width * c.height]) {
    for (let cy = 0; cy < c.height; cy++) {
      const y = 2 * cy;
      for (let i = rows[y]; i < rows[y + 1]; i += 2) {
        const s = (spans[i] + 1) >> 1,
          e = (spans[i + 1] + 1) >> 1;
        if (e > s) span(base + cy * c.width + s, base + cy * c.width + e);
      }
    }
  }
}
