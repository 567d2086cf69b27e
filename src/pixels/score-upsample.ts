/**
 * The class map at the output size from the network's scores: the scores are resized with
 * bilinear interpolation (half-pixel centres, `align_corners=False`, the tables every resize of the
 * project uses) and the class is taken there, so class edges follow the scores instead of the
 * network's pixel grid. Without scores (temporal smoothing keeps them on the inference thread)
 * the network-size class map is enlarged by pixel-centre nearest neighbour as before.
 *
 * Exact and cheap: an output pixel reads a 2x2 block of network pixels. When every head's winning
 * channel is the same at the four corners, that channel's interpolated score is a convex
 * combination of per-corner maxima, so it stays the maximum (float rounding is monotone, so this
 * holds in float arithmetic too) and the pixel takes the block's class. Only pixels of blocks that
 * straddle a class edge interpolate every channel. The result equals interpolating every channel
 * of every pixel, except where two channels tie exactly after interpolation: there the uniform
 * block keeps its corner's class, the full interpolation would take the lower channel.
 */
import { invalidOption } from '../errors.js';
import { checkDimension, checkExactLength, checkLength } from './check.js';
import { upscaleClassMap } from './class-map.js';
import { bilinear, planeAxisTables } from './sampler.js';

/** A network's raw outputs for one frame, one array of `channels * width * height` values per head. */
export interface HeadScoresView {
  layout: 'NCHW' | 'NHWC';
  heads: Float32Array[];
}

/** The network-size result a full-size class map is made from. */
export interface ClassSource {
  /** Global class ids at `width x height` (the per-head argmax of `scores`). */
  classMap: Uint8Array;
  width: number;
  height: number;
  /** The scores behind `classMap`; absent: nearest-neighbour enlargement of `classMap`. */
  scores?: HeadScoresView | null;
  /** Per head, per channel: its global class id, -1 for "keep earlier heads" (`headLookup`). Required with `scores`. */
  luts?: Int16Array[] | null;
}

// Scratch reused across frames of one size (one call at a time per thread).
let mixed = new Uint8Array(0);
let winners: Uint8Array[] = [];
let blockClass = new Int16Array(0);
let mixedCols = new Int32Array(0);

/**
 * The class map of `src` at `dstW x dstH`: bilinear scores then per-head argmax (ties to the lower
 * channel, heads applied in order, -1 channels keep the earlier heads' class), or nearest
 * neighbour when `src.scores` is absent. The one path of overlays, masks and evaluation.
 *
 * @param out - destination of exactly `dstW * dstH` bytes; default a new array
 * @returns `out`
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` when sizes or lengths disagree
 * @example
 * ```ts
 * const full = classMapAt({ ...seg, luts: model.card.heads.map(headLookup) }, frame.width, frame.height);
 * ```
 */
export function classMapAt(src: ClassSource, dstW: number, dstH: number, out = new Uint8Array(dstW * dstH)): Uint8Array {
  const { classMap, width: w, height: h, scores, luts } = src;
  if (!scores || !luts) return upscaleClassMap(classMap, w, h, dstW, dstH, out);
  checkSizes(src, dstW, dstH, out);
  checkScores(scores, luts, w * h);
  markMixedBlocks(classMap, w, h, scores, luts);
  const { cols, rows } = planeAxisTables(w, h, dstW, dstH);
  if (blockClass.length < w) blockClass = new Int16Array(w);
  if (mixedCols.length < dstW) mixedCols = new Int32Array(dstW);
  let prevRow = -1;
  let nMixed = 0;
  for (let y = 0; y < dstH; y++) {
    const r0 = rows.i0[y]!;
    const o = y * dstW;
    if (r0 === prevRow) {
      // Same block row: uniform pixels as above, only the mixed ones differ (other row weights).
      out.copyWithin(o, o - dstW, o);
    } else {
      prevRow = r0;
      const base = r0 * w;
      for (let c = 0; c < w; c++) blockClass[c] = mixed[base + c] === 1 ? -1 : classMap[base + c]!;
      nMixed = 0;
      for (let x = 0; x < dstW; x++) {
        const v = blockClass[cols.i0[x]!]!;
        if (v < 0) mixedCols[nMixed++] = x;
        else out[o + x] = v;
      }
    }
    for (let k = 0; k < nMixed; k++) {
      const x = mixedCols[k]!;
      out[o + x] = interpolatedClass(scores, luts, w * h, r0 * w, rows.i1[y]! * w, cols.i0[x]!, cols.i1[x]!, cols.w0[x]!, cols.w1[x]!, rows.w0[y]!, rows.w1[y]!);
    }
  }
  return out;
}

function checkSizes(src: ClassSource, dstW: number, dstH: number, out: Uint8Array): void {
  checkDimension('mapWidth', src.width);
  checkDimension('mapHeight', src.height);
  checkDimension('width', dstW);
  checkDimension('height', dstH);
  checkLength('classMap', src.classMap, src.width * src.height);
  checkExactLength('out', out, dstW * dstH);
}

function checkScores(scores: HeadScoresView, luts: Int16Array[], pixels: number): void {
  if (scores.heads.length === 0 || scores.heads.length !== luts.length || scores.heads.some((s, i) => s.length !== luts[i]!.length * pixels)) {
    throw invalidOption('scores', `one array of channels x ${pixels} values per head of luts`, scores.heads.map((s) => s.length).join(', '));
  }
}

/** `mixed[p] = 1` where the 2x2 block from pixel p (edges clamped) has more than one winning channel in some head. */
function markMixedBlocks(classMap: Uint8Array, w: number, h: number, scores: HeadScoresView, luts: Int16Array[]): void {
  const n = w * h;
  if (mixed.length !== n) mixed = new Uint8Array(n);
  else mixed.fill(0);
  // One head whose channels map to distinct classes: the class map itself tells the channels apart.
  const keys = luts.length === 1 && isInjective(luts[0]!) ? [classMap] : winningChannels(scores, luts, n);
  for (const key of keys) {
    for (let y = 0; y < h; y++) {
      const a = y * w;
      const b = y < h - 1 ? a + w : a;
      for (let x = 0; x < w; x++) {
        const x1 = x < w - 1 ? x + 1 : x;
        const k = key[a + x];
        if (k !== key[a + x1] || k !== key[b + x] || k !== key[b + x1]) mixed[a + x] = 1;
      }
    }
  }
}

function isInjective(lut: Int16Array): boolean {
  const seen = new Set<number>();
  for (const id of lut) {
    if (id < 0 || seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

/** Per head, the winning channel at every network pixel (ties to the lower channel). */
function winningChannels(scores: HeadScoresView, luts: Int16Array[], n: number): Uint8Array[] {
  while (winners.length < luts.length) winners.push(new Uint8Array(0));
  return luts.map((lut, i) => {
    if (winners[i]!.length !== n) winners[i] = new Uint8Array(n);
    const win = winners[i]!;
    const data = scores.heads[i]!;
    const channels = lut.length;
    const [cStride, pStride] = scores.layout === 'NCHW' ? [n, 1] : [1, channels];
    for (let p = 0, base = 0; p < n; p++, base += pStride) {
      let best = data[base]!;
      let k = 0;
      for (let c = 1; c < channels; c++) {
        const v = data[base + c * cStride]!;
        if (v > best) {
          best = v;
          k = c;
        }
      }
      win[p] = k;
    }
    return win;
  });
}

/**
 * The class at one output pixel from every head's bilinear scores: `a0`/`a1` are the row starts
 * (pixel indices) of the two source rows, `c0`/`c1` the source columns.
 */
function interpolatedClass(scores: HeadScoresView, luts: Int16Array[], n: number, a0: number, a1: number, c0: number, c1: number, wx0: number, wx1: number, wy0: number, wy1: number): number {
  let cls = 0;
  for (let i = 0; i < luts.length; i++) {
    const data = scores.heads[i]!;
    const lut = luts[i]!;
    const channels = lut.length;
    const nchw = scores.layout === 'NCHW';
    const cStride = nchw ? n : 1;
    const pStride = nchw ? 1 : channels;
    const p00 = (a0 + c0) * pStride;
    const p01 = (a0 + c1) * pStride;
    const p10 = (a1 + c0) * pStride;
    const p11 = (a1 + c1) * pStride;
    let best = -Infinity;
    let win = 0;
    for (let c = 0, off = 0; c < channels; c++, off += cStride) {
      const v = bilinear(data[p00 + off]!, data[p01 + off]!, data[p10 + off]!, data[p11 + off]!, wx0, wx1, wy0, wy1);
      if (v > best) {
        best = v;
        win = c;
      }
    }
    const id = lut[win]!;
    if (id >= 0) cls = id;
  }
  return cls;
}
