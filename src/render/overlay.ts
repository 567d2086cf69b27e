/**
 * Paints the class overlay onto the frame at full source resolution, in place.
 *
 * Every source pixel takes the class of the map pixel under its centre (the mapping of
 * {@link upscaleClassMap}), so the overlay is aligned exactly like the upscaled masks, but the
 * upscaled map is never materialised: each map row is turned once into runs of output columns
 * with one class, and every output row using that map row blends its runs with a constant
 * colour and alpha. Pixels of unselected classes are not written at all.
 */
import { checkDimension, checkLength } from './check.js';
import { invalidOption } from '../errors.js';
import { LUT_CLASSES } from './palette.js';
import { nearestIndexTable } from './upscale.js';

const MAX_CACHED = 16;
const runStartCache = new Map<string, Int32Array>();

/**
 * `starts[m]` is the first output column whose centre falls in map column `m`;
 * `starts[mapW] = dstW`. Map column `m` covers output columns `starts[m] .. starts[m + 1] - 1`
 * (empty when downscaling skips it). Derived from {@link nearestIndexTable}, so both agree.
 */
function columnStarts(mapW: number, dstW: number): Int32Array {
  const key = `${mapW}>${dstW}`;
  let starts = runStartCache.get(key);
  if (starts === undefined) {
    const cols = nearestIndexTable(mapW, dstW);
    starts = new Int32Array(mapW + 1);
    let d = 0;
    for (let m = 0; m <= mapW; m++) {
      while (d < dstW && cols[d] < m) d++;
      starts[m] = d;
    }
    if (runStartCache.size >= MAX_CACHED) runStartCache.delete(runStartCache.keys().next().value as string);
    runStartCache.set(key, starts);
  }
  return starts;
}

// Per-call scratch, reused (one call at a time per thread): alpha and premultiplied colour per class.
const classAlpha = new Int32Array(LUT_CLASSES);
const premulR = new Int32Array(LUT_CLASSES);
const premulG = new Int32Array(LUT_CLASSES);
const premulB = new Int32Array(LUT_CLASSES);
let runs = new Int32Array(3 * 1024);

/**
 * Blends class colours over an RGB24 frame, in place.
 *
 * For each pixel whose class `k` has a non-zero LUT alpha: `out = (v * (256 - a) + c * a + 128) >> 8`,
 * with `a = round(alpha * 256) * lutAlpha[k] / 255` in 0..256 fixed point and `c` the LUT colour.
 * Other pixels are untouched.
 *
 * @param rgb - packed RGB24 frame, `w * h * 3` bytes; modified in place
 * @param map - class ids at the model's output size, `mapW * mapH` bytes
 * @param lut - RGBA class LUT from {@link buildClassLut} (`256 * 4` bytes)
 * @param alpha - overlay opacity, 0..1 (0 leaves the frame unchanged, 1 paints solid colour)
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` when sizes, lengths or alpha are wrong
 * @example
 * ```ts
 * blendOverlay(frame.rgb, frame.width, frame.height, seg.classMap, seg.width, seg.height, lut, 0.5);
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
): void {
  checkDimension('width', w);
  checkDimension('height', h);
  checkDimension('mapWidth', mapW);
  checkDimension('mapHeight', mapH);
  checkLength('rgb', rgb, w * h * 3);
  checkLength('classMap', map, mapW * mapH);
  checkLength('lut', lut, LUT_CLASSES * 4);
  if (!(alpha >= 0 && alpha <= 1)) throw invalidOption('alpha', 'a number from 0 to 1', alpha);

  const a = Math.round(alpha * 256);
  let painted = false;
  for (let k = 0; k < LUT_CLASSES; k++) {
    const ak = ((a * lut[4 * k + 3] + 127) / 255) | 0;
    classAlpha[k] = ak;
    premulR[k] = lut[4 * k] * ak + 128;
    premulG[k] = lut[4 * k + 1] * ak + 128;
    premulB[k] = lut[4 * k + 2] * ak + 128;
    if (ak !== 0) painted = true;
  }
  if (!painted) return;

  const starts = columnStarts(mapW, w);
  const rows = nearestIndexTable(mapH, h);
  if (runs.length < 3 * mapW) runs = new Int32Array(3 * mapW);
  const rowBytes = w * 3;
  let prevRow = -1;
  let nRuns = 0;

  for (let y = 0; y < h; y++) {
    const r = rows[y];
    if (r !== prevRow) {
      prevRow = r;
      nRuns = buildRuns(map, r * mapW, mapW, starts);
    }
    const rowOff = y * rowBytes;
    for (let i = 0; i < nRuns; i += 3) {
      const k = runs[i + 2];
      const inv = 256 - classAlpha[k];
      const cr = premulR[k], cg = premulG[k], cb = premulB[k];
      const end = rowOff + runs[i + 1] * 3;
      for (let p = rowOff + runs[i] * 3; p < end; p += 3) {
        rgb[p] = (rgb[p] * inv + cr) >> 8;
        rgb[p + 1] = (rgb[p + 1] * inv + cg) >> 8;
        rgb[p + 2] = (rgb[p + 2] * inv + cb) >> 8;
      }
    }
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
    const s = starts[m], e = starts[m + 1];
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
