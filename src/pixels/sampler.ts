/**
 * Resampling shared by every resize: per-axis tables of bilinear (half-pixel, PyTorch
 * `align_corners=False`) and pixel-centre nearest sampling, cached per size, and the one bilinear
 * kernel. The loops stay with their layouts (tensor, resample, class map, overlay), each monomorphic.
 */
import { TableCache } from './cache.js';

/**
 * Per-output-position source indices and weights along one axis.
 * `i0`/`i1` are source indices already multiplied by `stride` (bytes per step on that axis).
 */
export interface LinearAxisTable {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w0: Float64Array;
  readonly w1: Float64Array;
}

const f32 = Math.fround;

/**
 * Builds the half-pixel bilinear table for one axis:
 * `src = max((dst + 0.5) * scale - 0.5 - offset, 0)`, `i0 = min(floor(src), srcSize - 1)`,
 * `i1 = min(i0 + 1, srcSize - 1)`, `w1 = clamp(src - i0, 0, 1)`, `w0 = 1 - w1`.
 *
 * Rounding follows torch's CPU kernel for float tensors bit for bit (checked against the
 * project's torch 1.13): `scale = float32(srcSize) / dstSize` is a float32, the source position
 * is then computed in double, and the weights are stored as float32.
 *
 * @param stride - multiplier applied to the stored indices (e.g. 3 for RGB columns, `3 * width` for rows)
 * @param offset - where source pixel `i` lies beyond the half-pixel grid, in source pixels: its centre is at `i + 0.5 + offset` (default 0)
 */
export function linearAxisTable(srcSize: number, dstSize: number, stride = 1, offset = 0): LinearAxisTable {
  const i0 = new Int32Array(dstSize);
  const i1 = new Int32Array(dstSize);
  const w0 = new Float64Array(dstSize);
  const w1 = new Float64Array(dstSize);
  const scale = f32(srcSize / dstSize);
  for (let d = 0; d < dstSize; d++) {
    let src = scale * (d + 0.5) - 0.5 - offset;
    if (src < 0) src = 0;
    const lo = Math.min(Math.floor(src), srcSize - 1);
    const hi = lo < srcSize - 1 ? lo + 1 : lo;
    const lambda = Math.min(Math.max(f32(src - lo), 0), 1);
    i0[d] = lo * stride;
    i1[d] = hi * stride;
    w1[d] = lambda;
    w0[d] = f32(1 - lambda);
  }
  return { i0, i1, w0, w1 };
}

/** Bilinear blend of four neighbours, always in this order so every resize rounds alike (small enough to be inlined). */
export function bilinear(
  v00: number,
  v01: number,
  v10: number,
  v11: number,
  wx0: number,
  wx1: number,
  wy0: number,
  wy1: number,
): number {
  return wy0 * (wx0 * v00 + wx1 * v01) + wy1 * (wx0 * v10 + wx1 * v11);
}

/** Column and row tables of one resize. */
export interface AxisTables {
  readonly cols: LinearAxisTable;
  readonly rows: LinearAxisTable;
}

const rgbCache = new TableCache<AxisTables>();

/** The cached tables of a packed RGB24 `srcW x srcH` -> `dstW x dstH` resize, indices in bytes (strides 3 and `3 * srcW`). */
export function rgbAxisTables(srcW: number, srcH: number, dstW: number, dstH: number): AxisTables {
  return rgbCache.get(`${srcW}x${srcH}>${dstW}x${dstH}`, () => ({
    cols: linearAxisTable(srcW, dstW, 3),
    rows: linearAxisTable(srcH, dstH, srcW * 3),
  }));
}

const planeCache = new TableCache<AxisTables & { readonly chromaCol0: Int32Array; readonly chromaCol1: Int32Array }>();

/**
 * The cached tables of a single-plane `srcW x srcH` -> `dstW x dstH` resize (luma, probabilities,
 * scores; `offset` as in {@link linearAxisTable}, both axes), unstrided, plus the chroma column (`i >> 1`) of each column neighbour for I420 frames.
 */
export function planeAxisTables(srcW: number, srcH: number, dstW: number, dstH: number, offset = 0) {
  return planeCache.get(`${srcW}x${srcH}>${dstW}x${dstH}${offset ? `+${offset}` : ''}`, () => {
    const cols = linearAxisTable(srcW, dstW, 1, offset);
    return {
      cols,
      rows: linearAxisTable(srcH, dstH, 1, offset),
      chromaCol0: cols.i0.map((i) => i >> 1),
      chromaCol1: cols.i1.map((i) => i >> 1),
    };
  });
}

const nearestCache = new TableCache<Int32Array>();

/**
 * Pixel-centre nearest-neighbour table of one axis: the source index of output position `d` is
 * `min(floor((d + 0.5) * srcSize / dstSize), srcSize - 1)`, computed with exact integer arithmetic
 * (torch `nearest-exact`, PIL `NEAREST`). Cached per (srcSize, dstSize); do not modify the result.
 */
export function nearestIndexTable(srcSize: number, dstSize: number): Int32Array {
  return nearestCache.get(`${srcSize}>${dstSize}`, () => {
    const t = new Int32Array(dstSize);
    const den = 2 * dstSize;
    for (let d = 0; d < dstSize; d++) t[d] = Math.min(Math.floor(((2 * d + 1) * srcSize) / den), srcSize - 1);
    return t;
  });
}
