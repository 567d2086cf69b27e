/**
 * The class map at the output size from the network's scores: the scores are resized with
 * bilinear interpolation (half-pixel centres, `align_corners=False`, the tables every resize of the
 * project uses) and the class is taken there, so class edges follow the scores instead of the
 * network's pixel grid (with temporal smoothing: the smoothed scores). Without scores the
 * network-size class map is enlarged by pixel-centre nearest neighbour as before.
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
import { checkDimension, checkLength } from './check.js';
import { upscaleClassMap } from './class-map.js';
import { nearestIndexTable, planeAxisTables, type LinearAxisTable } from './sampler.js';

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
  /**
   * Where the network's output pixel `j` lies, in output pixels: its centre is at `j + 0.5 + offset`
   * of the output map (the model card's `outputOffset`). Default 0, the half-pixel grid.
   */
  offset?: number;
}

/**
 * The output pixels whose class differs from the nearest-neighbour enlargement of the class map
 * (`upscaleClassMap`): `index[i]` (`y * dstW + x`) takes class `classes[i]`, for `i < count`.
 * Views of the thread's scratch, valid until the next call.
 */
export interface ClassChanges {
  index: Int32Array;
  classes: Uint8Array;
  count: number;
}

// Scratch reused across frames of one size (one call at a time per thread).
let mixed = new Uint8Array(0);
const winners: Uint8Array[] = [];
const startsCache = new WeakMap<LinearAxisTable, Int32Array>();
const insideCache = new WeakMap<LinearAxisTable, boolean>();
let mixedCols = new Int32Array(0);
let candStart = new Int32Array(0);
let cands = new Uint8Array(0);
let cornerMax = new Float64Array(0);
let candEnd = new Int32Array(0);
let blockFloor = new Float64Array(0);
let blockMag = new Float64Array(0);
let blockCols = new Int32Array(0);
let hStart = new Int32Array(0);
let hTop = new Float64Array(0);
let hBottom = new Float64Array(0);
let hChannel = new Uint8Array(0);
const changes: ClassChanges = { index: new Int32Array(1024), classes: new Uint8Array(1024), count: 0 };

/**
 * The class map of `src` at `dstW x dstH`: bilinear scores then per-head argmax (ties to the lower
 * channel, heads applied in order, -1 channels keep the earlier heads' class), or nearest
 * neighbour when `src.scores` is absent. The one path of overlays, masks and evaluation: the
 * nearest-neighbour enlargement with {@link scoreClassChanges} applied.
 *
 * @param out - destination of exactly `dstW * dstH` bytes; default a new array
 * @returns `out`
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` when sizes or lengths disagree
 * @example
 * ```ts
 * const full = classMapAt({ ...seg, luts: model.card.heads.map(headLookup) }, frame.width, frame.height);
 * ```
 */
export function classMapAt(
  src: ClassSource,
  dstW: number,
  dstH: number,
  out = new Uint8Array(dstW * dstH),
): Uint8Array {
  upscaleClassMap(src.classMap, src.width, src.height, dstW, dstH, out);
  if (src.scores && src.luts) applyClassChanges(out, scoreClassChanges(src, dstW, dstH));
  return out;
}

/** Writes `changes` into a class map at their output size (e.g. the nearest enlargement they were found against). */
export function applyClassChanges(out: Uint8Array, changes: ClassChanges): void {
  const { index, classes, count } = changes;
  for (let i = 0; i < count; i++) out[index[i]] = classes[i];
}

/**
 * Where the class of the bilinear scores of `src` at `dstW x dstH` (see {@link classMapAt})
 * differs from the nearest-neighbour enlargement of `src.classMap`. Only output pixels of blocks
 * that straddle a class edge are computed: elsewhere both take the block's class, since the
 * nearest network pixel is one of the block's corners.
 *
 * @returns the thread's scratch, valid until the next call
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` when sizes or lengths disagree, or `src` has no scores
 */
export function scoreClassChanges(src: ClassSource, dstW: number, dstH: number): ClassChanges {
  const { classMap, width: w, height: h, scores, luts } = src;
  checkSizes(src, dstW, dstH);
  if (!scores || !luts) throw invalidOption('scores', 'the scores and their luts', scores ? 'no luts' : 'none');
  checkScores(scores, luts, w * h);
  markMixedBlocks(classMap, w, h, scores, luts);
  const { cols, rows } = planeAxisTables(w, h, dstW, dstH, src.offset ?? 0);
  const starts = columnStarts(cols, w, dstW);
  const nearCols = nearestIndexTable(w, dstW);
  const nearRows = nearestIndexTable(h, dstH);
  // Normally the nearest network pixel is a corner of the block; otherwise uniform pixels are compared too.
  const inside = nearestInside(cols, nearCols) && nearestInside(rows, nearRows);
  if (mixedCols.length < dstW) mixedCols = new Int32Array(dstW);
  let prevRow = -1;
  let nMixed = 0;
  changes.count = 0;
  for (let y = 0; y < dstH; y++) {
    const r0 = rows.i0[y];
    const base = r0 * w;
    if (r0 !== prevRow) {
      prevRow = r0;
      blockCandidates(scores, luts, w, h, r0);
      // Output columns of block column c: starts[c] .. starts[c + 1] - 1.
      nMixed = 0;
      for (let c = 0; c < w; c++)
        if (mixed[base + c] === 1) for (let x = starts[c]; x < starts[c + 1]; x++) mixedCols[nMixed++] = x;
      horizontalPass(scores, luts, w * h, base, rows.i1[y] * w, cols, nMixed);
    }
    const o = y * dstW;
    const near = nearRows[y] * w;
    const wy0 = rows.w0[y];
    const wy1 = rows.w1[y];
    for (let k = 0; k < nMixed; k++) {
      const x = mixedCols[k];
      const cls = verticalClass(luts, k, wy0, wy1);
      if (cls !== classMap[near + nearCols[x]]) addChange(o + x, cls);
    }
    if (!inside) {
      for (let x = 0; x < dstW; x++) {
        const cls = classMap[base + cols.i0[x]];
        if (mixed[base + cols.i0[x]] === 0 && cls !== classMap[near + nearCols[x]]) addChange(o + x, cls);
      }
    }
  }
  return changes;
}

function addChange(at: number, cls: number): void {
  if (changes.count === changes.index.length) {
    const index = new Int32Array(2 * changes.count);
    const classes = new Uint8Array(2 * changes.count);
    index.set(changes.index);
    classes.set(changes.classes);
    [changes.index, changes.classes] = [index, classes];
  }
  changes.index[changes.count] = at;
  changes.classes[changes.count++] = cls;
}

/** Whether every output position's nearest source index is one of its two bilinear ones (cached with the table). */
function nearestInside(table: LinearAxisTable, nearest: Int32Array): boolean {
  let inside = insideCache.get(table);
  if (inside === undefined) {
    inside = nearest.every((i, d) => i === table.i0[d] || i === table.i1[d]);
    insideCache.set(table, inside);
  }
  return inside;
}

/** `starts[c]`: the first output column whose left source column is `c` or later (`starts[w] = dstW`); cached with the table. */
function columnStarts(cols: LinearAxisTable, w: number, dstW: number): Int32Array {
  let starts = startsCache.get(cols);
  if (!starts) {
    starts = new Int32Array(w + 1);
    for (let c = 0, x = 0; c <= w; c++) {
      while (x < dstW && cols.i0[x] < c) x++;
      starts[c] = x;
    }
    startsCache.set(cols, starts);
  }
  return starts;
}

function checkSizes(src: ClassSource, dstW: number, dstH: number): void {
  checkDimension('mapWidth', src.width);
  checkDimension('mapHeight', src.height);
  checkDimension('width', dstW);
  checkDimension('height', dstH);
  checkLength('classMap', src.classMap, src.width * src.height);
}

function checkScores(scores: HeadScoresView, luts: Int16Array[], pixels: number): void {
  if (
    scores.heads.length === 0 ||
    scores.heads.length !== luts.length ||
    scores.heads.some((s, i) => s.length !== luts[i].length * pixels)
  ) {
    throw invalidOption(
      'scores',
      `one array of channels x ${pixels} values per head of luts`,
      scores.heads.map((s) => s.length).join(', '),
    );
  }
}

/** `mixed[p] = 1` where the 2x2 block from pixel p (edges clamped) has more than one winning channel in some head. */
function markMixedBlocks(classMap: Uint8Array, w: number, h: number, scores: HeadScoresView, luts: Int16Array[]): void {
  const n = w * h;
  if (mixed.length !== n) mixed = new Uint8Array(n);
  else mixed.fill(0);
  // One head whose channels map to distinct classes: the class map itself tells the channels apart.
  const keys = luts.length === 1 && isInjective(luts[0]) ? [classMap] : winningChannels(scores, luts, n);
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
    if (winners[i].length !== n) winners[i] = new Uint8Array(n);
    const win = winners[i];
    const data = scores.heads[i];
    const channels = lut.length;
    const [cStride, pStride] = scores.layout === 'NCHW' ? [n, 1] : [1, channels];
    for (let p = 0, base = 0; p < n; p++, base += pStride) {
      let best = data[base];
      let k = 0;
      for (let c = 1; c < channels; c++) {
        const v = data[base + c * cStride];
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
 * For each mixed block of block row `r0` and each head: the channels that can win anywhere inside
 * the block. An interpolated score lies between its corners' minimum and maximum, so the best one
 * is at least `L = max over channels of the corner minimum`, and a channel whose corner maximum is
 * below `L` never wins. The margin (1e-6 of the block's largest magnitude) covers the weights' float32
 * rounding (each pair sums to 1 within 2^-23), so no channel that could win or tie is left out.
 */
function blockCandidates(scores: HeadScoresView, luts: Int16Array[], w: number, h: number, r0: number): void {
  const n = w * h;
  const nh = luts.length;
  let total = 0;
  for (const lut of luts) total += lut.length;
  if (candStart.length < w * nh + 1) [candStart, candEnd] = [new Int32Array(w * nh + 1), new Int32Array(w * nh + 1)];
  if (cands.length < w * total) cands = new Uint8Array(w * total);
  if (blockFloor.length < w)
    [blockFloor, blockMag, blockCols] = [new Float64Array(w), new Float64Array(w), new Int32Array(w)];
  if (cornerMax.length < w * total) cornerMax = new Float64Array(w * total);
  const a0 = r0 * w;
  const a1 = (r0 < h - 1 ? r0 + 1 : r0) * w;
  let m = 0;
  for (let c = 0; c < w; c++) if (mixed[a0 + c] === 1) blockCols[m++] = c;
  const nchw = scores.layout === 'NCHW';
  let k = 0;
  let j = 0;
  for (let c = 0; c < w; c++) {
    const isMixed = j < m && blockCols[j] === c;
    for (let i = 0, at = k; i < nh; at += luts[i].length, i++) candStart[c * nh + i] = isMixed ? at : k;
    if (!isMixed) continue;
    // Filled head by head below; positions reserved here.
    k += total;
    j++;
  }
  candStart[w * nh] = k;
  // Channel by channel over the row's mixed blocks: each channel plane is read along its two rows in order.
  for (let i = 0, chBase = 0; i < nh; chBase += luts[i].length, i++) {
    const data = scores.heads[i];
    const channels = luts[i].length;
    const cStride = nchw ? n : 1;
    const pStride = nchw ? 1 : channels;
    for (let q = 0; q < m; q++) {
      blockFloor[q] = -Infinity;
      blockMag[q] = 0;
    }
    for (let ch = 0, off = 0; ch < channels; ch++, off += cStride) {
      for (let q = 0; q < m; q++) {
        const c = blockCols[q];
        const c1 = c < w - 1 ? c + 1 : c;
        const v0 = data[(a0 + c) * pStride + off],
          v1 = data[(a0 + c1) * pStride + off],
          v2 = data[(a1 + c) * pStride + off],
          v3 = data[(a1 + c1) * pStride + off];
        const lo = min2(min2(v0, v1), min2(v2, v3));
        const hi = max2(max2(v0, v1), max2(v2, v3));
        cornerMax[q * total + chBase + ch] = hi;
        if (lo > blockFloor[q]) blockFloor[q] = lo;
        if (hi > blockMag[q]) blockMag[q] = hi;
        if (-lo > blockMag[q]) blockMag[q] = -lo;
      }
    }
    for (let q = 0; q < m; q++) {
      const c = blockCols[q];
      const bar = blockFloor[q] - 1e-6 * blockMag[q];
      let at = candStart[c * nh + i];
      for (let ch = 0; ch < channels; ch++) if (cornerMax[q * total + chBase + ch] >= bar) cands[at++] = ch;
      candEnd[c * nh + i] = at;
    }
  }
}

const min2 = (a: number, b: number) => (b < a ? b : a);
const max2 = (a: number, b: number) => (b > a ? b : a);

/**
 * The first half of the bilinear blend at the mixed output columns of a block row, for each head's
 * candidate channels: `hTop = wx0 * v00 + wx1 * v01` on source row `a0`, `hBottom` on row `a1`
 * (pixel indices of the row starts). Every output row of the block row then needs only
 * `wy0 * hTop + wy1 * hBottom`, the same operations in the same order as `bilinear`, so the
 * values are bit for bit those of a full bilinear resize.
 */
function horizontalPass(
  scores: HeadScoresView,
  luts: Int16Array[],
  n: number,
  a0: number,
  a1: number,
  cols: LinearAxisTable,
  nMixed: number,
): void {
  const nh = luts.length;
  if (hStart.length < nMixed * nh + 1) hStart = new Int32Array(Math.max(nMixed * nh + 1, 2 * hStart.length));
  let q = 0;
  for (let k = 0; k < nMixed; k++) {
    const x = mixedCols[k];
    const c0 = cols.i0[x];
    const c1 = cols.i1[x];
    const wx0 = cols.w0[x];
    const wx1 = cols.w1[x];
    for (let i = 0; i < nh; i++) {
      hStart[k * nh + i] = q;
      const data = scores.heads[i];
      const nchw = scores.layout === 'NCHW';
      const cStride = nchw ? n : 1;
      const pStride = nchw ? 1 : luts[i].length;
      const p00 = (a0 + c0) * pStride,
        p01 = (a0 + c1) * pStride,
        p10 = (a1 + c0) * pStride,
        p11 = (a1 + c1) * pStride;
      const end = candEnd[c0 * nh + i];
      if (hTop.length < q + end - candStart[c0 * nh + i]) growH(q + end);
      for (let j = candStart[c0 * nh + i]; j < end; j++, q++) {
        const off = cands[j] * cStride;
        hTop[q] = wx0 * data[p00 + off] + wx1 * data[p01 + off];
        hBottom[q] = wx0 * data[p10 + off] + wx1 * data[p11 + off];
        hChannel[q] = cands[j]!;
      }
    }
  }
  hStart[nMixed * nh] = q;
}

function growH(needed: number): void {
  const size = Math.max(needed, 2 * hTop.length);
  const [t, b, c] = [new Float64Array(size), new Float64Array(size), new Uint8Array(size)];
  t.set(hTop);
  b.set(hBottom);
  c.set(hChannel);
  [hTop, hBottom, hChannel] = [t, b, c];
}

/** The class of mixed column `k` of the current block row at row weights `wy0`, `wy1` (heads in order, ties to the lower channel). */
function verticalClass(luts: Int16Array[], k: number, wy0: number, wy1: number): number {
  let cls = 0;
  const nh = luts.length;
  for (let i = 0; i < nh; i++) {
    let best = -Infinity;
    let win = 0;
    for (let q = hStart[k * nh + i], end = hStart[k * nh + i + 1]; q < end; q++) {
      const v = wy0 * hTop[q] + wy1 * hBottom[q];
      if (v > best) {
        best = v;
        win = hChannel[q]!;
      }
    }
    const id = luts[i][win];
    if (id >= 0) cls = id;
  }
  return cls;
}
