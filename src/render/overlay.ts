/**
 * Paints the class overlay onto the frame at full source resolution, in place, in RGB24
 * ({@link blendOverlay}) or directly in I420 ({@link blendOverlayI420}).
 *
 * Every source pixel takes the class of the map pixel under its centre (the mapping of
 * {@link upscaleClassMap}), so the overlay is aligned exactly like the upscaled masks, but the
 * upscaled map is never materialised: each map row is turned once into runs of output columns
 * with one class, and every output row using that map row blends its runs with a constant
 * colour and alpha. Pixels of unselected classes are not written at all.
 */
import { checkDimension, checkLength } from '../pixels/check.js';
import { invalidOption } from '../errors.js';
import { LUT_CLASSES } from './palette.js';
import { TableCache } from '../pixels/cache.js';
import { LITTLE_ENDIAN } from '../pixels/class-map.js';
import { rgbToYuv } from '../pixels/colour.js';
import { nearestIndexTable } from '../pixels/sampler.js';
import { chromaSize, frameByteLength } from '../pixels/yuv.js';
import type { ClassChanges } from '../pixels/score-upsample.js';
import { reblendChanged, saveChanged } from './overlay-changes.js';

const runStartCache = new TableCache<Int32Array>();

/**
 * `starts[m]` is the first output column whose centre falls in map column `m`;
 * `starts[mapW] = dstW`. Map column `m` covers output columns `starts[m] .. starts[m + 1] - 1`
 * (empty when downscaling skips it). Derived from {@link nearestIndexTable}, so both agree.
 */
function columnStarts(mapW: number, dstW: number): Int32Array {
  return runStartCache.get(`${mapW}>${dstW}`, () => {
    const cols = nearestIndexTable(mapW, dstW);
    const starts = new Int32Array(mapW + 1);
    let d = 0;
    for (let m = 0; m <= mapW; m++) {
      while (d < dstW && cols[d] < m) d++;
      starts[m] = d;
    }
    return starts;
  });
}

// Per-call scratch, reused (one call at a time per thread): alpha and premultiplied colour per class.
// `premul[c * 256 + k]` is `colour[c] * a + 128` (rounding folded in); `lanes[(2 * phase + h) * 256 + k]`
// packs two of those into the 16-bit lanes of a 32-bit word for the SWAR path (see blendRun).
const classAlpha = new Int32Array(LUT_CLASSES);
const premul = new Int32Array(3 * LUT_CLASSES);
const lanes = new Int32Array(6 * LUT_CLASSES);
let runs = new Int32Array(3 * 1024);

/** Validates the arguments both blend functions share. */
function checkBlendArgs(
  name: string,
  pixels: Uint8Array,
  bytes: number,
  w: number,
  h: number,
  map: Uint8Array,
  mapW: number,
  mapH: number,
  lut: Uint8Array,
  alpha: number,
): void {
  checkDimension('width', w);
  checkDimension('height', h);
  checkDimension('mapWidth', mapW);
  checkDimension('mapHeight', mapH);
  checkLength(name, pixels, bytes);
  checkLength('classMap', map, mapW * mapH);
  checkLength('lut', lut, LUT_CLASSES * 4);
  if (!(alpha >= 0 && alpha <= 1)) throw invalidOption('alpha', 'a number from 0 to 1', alpha);
}

/**
 * Blends class colours over an RGB24 frame, in place.
 *
 * For each pixel whose class `k` has a non-zero LUT alpha: `out = (v * (256 - a) + c * a + 128) >> 8`,
 * with `a = round(alpha * 256) * lutAlpha[k] / 255` (rounded) in 0..256 fixed point and `c` the LUT colour.
 * Other pixels are untouched.
 *
 * @param rgb - packed RGB24 frame, `w * h * 3` bytes; modified in place
 * @param map - class ids at the model's output size, `mapW * mapH` bytes
 * @param lut - RGBA class LUT from {@link buildClassLut} (`256 * 4` bytes)
 * @param alpha - overlay opacity, 0..1 (0 leaves the frame unchanged, 1 paints solid colour)
 * @param changes - frame pixels whose class differs from the map's enlargement (`scoreClassChanges` at `w x h`):
 *   they are painted with their own class, as if the corrected frame-size map were blended
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` when sizes, lengths or alpha are wrong
 * @example
 * ```ts
 * blendOverlay(rgb, frame.width, frame.height, seg.classMap, seg.width, seg.height, lut, 0.5);
 * ```
 */
export function blendOverlay(
  rgb: Uint8Array,
  w: number,
  h: number,
  map: Uint8Array,
  mapW: number,
  mapH: number,
  lut: Uint8Array,
  alpha: number,
  changes?: ClassChanges | null,
): void {
  checkBlendArgs('rgb', rgb, w * h * 3, w, h, map, mapW, mapH, lut, alpha);
  if (!prepareClassAlpha(lut, alpha)) return;
  for (let k = 0; k < LUT_CLASSES; k++) {
    const ak = classAlpha[k];
    if (ak === 0) continue;
    for (let c = 0; c < 3; c++) premul[c * LUT_CLASSES + k] = lut[4 * k + c] * ak + 128;
    // A word starting at byte q holds channels ph, ph+1, ph+2, ph (mod 3) with ph = q % 3;
    // lanes: low = bytes 0 and 2, high = bytes 1 and 3.
    for (let ph = 0; ph < 3; ph++) {
      const p0 = premul[ph * LUT_CLASSES + k];
      const p1 = premul[((ph + 1) % 3) * LUT_CLASSES + k];
      const p2 = premul[((ph + 2) % 3) * LUT_CLASSES + k];
      lanes[2 * ph * LUT_CLASSES + k] = p0 | (p2 << 16);
      lanes[(2 * ph + 1) * LUT_CLASSES + k] = p1 | (p0 << 16);
    }
  }

  const starts = columnStarts(mapW, w);
  const rows = nearestIndexTable(mapH, h);
  if (runs.length < 3 * mapW) runs = new Int32Array(3 * mapW);
  const words =
    LITTLE_ENDIAN && rgb.byteOffset % 4 === 0 ? new Uint32Array(rgb.buffer, rgb.byteOffset, (w * h * 3) >> 2) : null;
  const rowBytes = w * 3;
  if (changes) saveChanged(rgb, true, w, h, changes);
  forEachRowRuns(map, mapW, rows, starts, h, 1, (y, nRuns) => {
    const rowOff = y * rowBytes;
    for (let i = 0; i < nRuns; i += 3)
      blendRun(rgb, words, rowOff + runs[i] * 3, rowOff + runs[i + 1] * 3, runs[i + 2]);
  });
  if (changes) reblendChanged(rgb, true, w, h, changes, classAlpha, premul);
}

/**
 * Blends class colours over an I420 (`yuv420p`) frame, in place, without converting it.
 *
 * Each class colour is converted once to limited-range BT.601 Y, U, V ({@link rgbToYuv}) and
 * blended with the same fixed-point rule and alpha as {@link blendOverlay}:
 * `out = (v * (256 - a) + c * a + 128) >> 8` per plane sample. Because RGB <-> YUV is affine,
 * blending in YUV gives the colour blending in RGB would (up to rounding and clipping).
 *
 * - Y: per pixel, with the class of the pixel (the mapping of {@link upscaleClassMap}).
 * - U and V: per 2x2 block (one chroma sample), with the class of the block's top-left pixel,
 *   i.e. map row/column of luma row `2 * cy` / column `2 * cx`. A block cut by a class boundary
 *   takes one side's chroma, so a boundary's colour may be one pixel off, as the chroma
 *   subsampling of the encoded video makes it anyway.
 *
 * Odd sizes work: the last chroma column/row covers a single luma column/row.
 *
 * @param yuv - I420 frame, `w * h + 2 * ceil(w/2) * ceil(h/2)` bytes; modified in place
 * @param map - class ids at the model's output size, `mapW * mapH` bytes
 * @param lut - RGBA class LUT from {@link buildClassLut} (`256 * 4` bytes)
 * @param alpha - overlay opacity, 0..1
 * @param changes - as for {@link blendOverlay}
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` when sizes, lengths or alpha are wrong
 * @example
 * ```ts
 * blendOverlayI420(frame.pixels, frame.width, frame.height, seg.classMap, seg.width, seg.height, lut, 0.5);
 * ```
 */
export function blendOverlayI420(
  yuv: Uint8Array,
  w: number,
  h: number,
  map: Uint8Array,
  mapW: number,
  mapH: number,
  lut: Uint8Array,
  alpha: number,
  changes?: ClassChanges | null,
): void {
  const total = frameByteLength('yuv420p', w, h);
  checkBlendArgs('pixels', yuv, total, w, h, map, mapW, mapH, lut, alpha);
  if (!prepareClassAlpha(lut, alpha)) return;
  // premul[plane * 256 + k] = colour * a + 128 for planes Y, U, V; lanes: the same in both 16-bit halves.
  for (let k = 0; k < LUT_CLASSES; k++) {
    const ak = classAlpha[k];
    if (ak === 0) continue;
    const yuvColour = rgbToYuv(lut[4 * k], lut[4 * k + 1], lut[4 * k + 2]);
    for (let c = 0; c < 3; c++) {
      const p = yuvColour[c] * ak + 128;
      premul[c * LUT_CLASSES + k] = p;
      lanes[c * LUT_CLASSES + k] = p | (p << 16);
    }
  }

  const words =
    LITTLE_ENDIAN && yuv.byteOffset % 4 === 0 ? new Uint32Array(yuv.buffer, yuv.byteOffset, total >> 2) : null;
  if (runs.length < 3 * mapW) runs = new Int32Array(3 * mapW);
  if (changes) saveChanged(yuv, false, w, h, changes);

  // Luma: every pixel.
  const starts = columnStarts(mapW, w);
  const rows = nearestIndexTable(mapH, h);
  forEachRowRuns(map, mapW, rows, starts, h, 1, (y, nRuns) => {
    const rowOff = y * w;
    for (let i = 0; i < nRuns; i += 3)
      blendPlaneRun(yuv, words, rowOff + runs[i], rowOff + runs[i + 1], runs[i + 2], 0);
  });

  // Chroma: block (cx, cy) has the class of luma pixel (2cx, 2cy). Map column m covers luma columns
  // starts[m] .. starts[m+1]-1, hence chroma columns ceil(starts[m] / 2) .. ceil(starts[m+1] / 2) - 1.
  const cStarts = chromaColumnStarts(mapW, w, starts);
  const chroma = chromaSize(w, h);
  const uBase = w * h;
  const vBase = uBase + chroma.width * chroma.height;
  forEachRowRuns(map, mapW, rows, cStarts, chroma.height, 2, (cy, nRuns) => {
    const rowOff = cy * chroma.width;
    for (let i = 0; i < nRuns; i += 3) {
      const s = rowOff + runs[i],
        e = rowOff + runs[i + 1],
        k = runs[i + 2];
      blendPlaneRun(yuv, words, uBase + s, uBase + e, k, 1);
      blendPlaneRun(yuv, words, vBase + s, vBase + e, k, 2);
    }
  });
  if (changes) reblendChanged(yuv, false, w, h, changes, classAlpha, premul);
}

/** Chroma-plane column starts: `ceil(starts[m] / 2)` (see {@link blendOverlayI420}). */
function chromaColumnStarts(mapW: number, dstW: number, starts: Int32Array): Int32Array {
  return runStartCache.get(`${mapW}>${dstW}/2`, () => starts.map((s) => (s + 1) >> 1));
}

/**
 * Blends the single-plane bytes `[ps, pe)` with class `k`'s colour in `plane` (0 Y, 1 U, 2 V),
 * four bytes per 32-bit word where aligned (same two-lane trick as {@link blendRun}).
 */
function blendPlaneRun(
  buf: Uint8Array,
  words: Uint32Array | null,
  ps: number,
  pe: number,
  k: number,
  plane: number,
): void {
  const inv = 256 - classAlpha[k];
  const pre = premul[plane * LUT_CLASSES + k];
  let p = ps;
  if (words !== null) {
    for (; (p & 3) !== 0 && p < pe; p++) buf[p] = (buf[p] * inv + pre) >> 8;
    const lane = lanes[plane * LUT_CLASSES + k];
    const end = pe >> 2;
    for (let q = p >> 2; q < end; q++) {
      const x = words[q];
      words[q] =
        (((Math.imul(x & 0xff00ff, inv) + lane) >>> 8) & 0xff00ff) |
        ((Math.imul((x >>> 8) & 0xff00ff, inv) + lane) & 0xff00ff00);
    }
    if (end << 2 > p) p = end << 2;
  }
  for (; p < pe; p++) buf[p] = (buf[p] * inv + pre) >> 8;
}

/**
 * Fills `classAlpha` for `lut` and `alpha`: `a = round(alpha * 256) * lutAlpha[k] / 255` (rounded),
 * 0..256 fixed point. Returns false when no class is painted.
 */
function prepareClassAlpha(lut: Uint8Array, alpha: number): boolean {
  const a = Math.round(alpha * 256);
  let painted = false;
  for (let k = 0; k < LUT_CLASSES; k++) {
    const ak = ((a * lut[4 * k + 3] + 127) / 255) | 0;
    classAlpha[k] = ak;
    if (ak !== 0) painted = true;
  }
  return painted;
}

/**
 * Blends bytes `[ps, pe)` (whole pixels) with class `k`. With a word view, the bytes are
 * processed twelve at a time (4 pixels = 3 words, channel phases 0, 1, 2) using two 16-bit
 * lanes per multiply: `v * inv + premul <= 255 * 256 + 128` always fits a lane.
 */
function blendRun(rgb: Uint8Array, words: Uint32Array | null, ps: number, pe: number, k: number): void {
  const inv = 256 - classAlpha[k];
  let p = ps;
  if (words !== null) {
    for (; p % 12 !== 0 && p < pe; p++) rgb[p] = (rgb[p] * inv + premul[(p % 3) * LUT_CLASSES + k]) >> 8;
    const blocks = ((pe - p) / 12) | 0;
    const l0 = lanes[k],
      h0 = lanes[LUT_CLASSES + k];
    const l1 = lanes[2 * LUT_CLASSES + k],
      h1 = lanes[3 * LUT_CLASSES + k];
    const l2 = lanes[4 * LUT_CLASSES + k],
      h2 = lanes[5 * LUT_CLASSES + k];
    for (let q = p >> 2, end = q + 3 * blocks; q < end; q += 3) {
      let x = words[q];
      words[q] =
        (((Math.imul(x & 0xff00ff, inv) + l0) >>> 8) & 0xff00ff) |
        ((Math.imul((x >>> 8) & 0xff00ff, inv) + h0) & 0xff00ff00);
      x = words[q + 1];
      words[q + 1] =
        (((Math.imul(x & 0xff00ff, inv) + l1) >>> 8) & 0xff00ff) |
        ((Math.imul((x >>> 8) & 0xff00ff, inv) + h1) & 0xff00ff00);
      x = words[q + 2];
      words[q + 2] =
        (((Math.imul(x & 0xff00ff, inv) + l2) >>> 8) & 0xff00ff) |
        ((Math.imul((x >>> 8) & 0xff00ff, inv) + h2) & 0xff00ff00);
    }
    p += 12 * blocks;
  }
  for (; p < pe; p++) rgb[p] = (rgb[p] * inv + premul[(p % 3) * LUT_CLASSES + k]) >> 8;
}

/**
 * For each of `count` destination rows `y`, fills `runs` with the painted runs of map row
 * `rows[y * step]` (rebuilt only when that map row changes; `step` 2 for chroma rows, which take
 * the class of luma row 2y) and calls `blendRow(y, nRuns)`.
 */
function forEachRowRuns(
  map: Uint8Array,
  mapW: number,
  rows: Int32Array,
  starts: Int32Array,
  count: number,
  step: number,
  blendRow: (y: number, nRuns: number) => void,
): void {
  let prevRow = -1;
  let nRuns = 0;
  for (let y = 0; y < count; y++) {
    const r = rows[y * step];
    if (r !== prevRow) {
      prevRow = r;
      nRuns = buildRuns(map, r * mapW, mapW, starts);
    }
    blendRow(y, nRuns);
  }
}

/**
 * Fills `runs` with (startCol, endCol, class) triples for the painted classes of one map row,
 * merging neighbouring map columns of the same class. Returns the number of ints written.
 */
function buildRuns(map: Uint8Array, base: number, mapW: number, starts: Int32Array): number {
  let n = 0;
  let open = false;
  let cls = -1;
  for (let m = 0; m < mapW; m++) {
    const s = starts[m],
      e = starts[m + 1];
    if (s === e) continue;
    const k = map[base + m];
    if (classAlpha[k] === 0) {
      open = false;
    } else if (open && k === cls) {
      runs[n - 2] = e;
    } else {
      runs[n] = s;
      runs[n + 1] = e;
      runs[n + 2] = k;
      n += 3;
      open = true;
      cls = k;
    }
  }
  return n;
}
