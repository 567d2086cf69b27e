/**
 * Frame -> network input tensor: bilinear stretch to the model's fixed size, normalise, lay out.
 *
 * The resampling is exactly PyTorch's `F.interpolate(x, size, mode='bilinear',
 * align_corners=False)` without antialias (also OpenCV `INTER_LINEAR` on float input), because
 * the project's training code resizes float 0..255 images that way; a different kernel here
 * would feed the network inputs it never saw in training.
 */
import type { InputSpec } from '../infer/types.js';
import { invalidOption } from '../errors.js';
import { checkDimension, checkExactLength, checkLength } from './check.js';
import { CLAMP, CLAMP_OFFSET, chromaSize, frameByteLength, yuvToRgbTables } from './yuv.js';

/** Tensor layout of the network input. */
export type TensorLayout = 'NCHW' | 'NHWC';

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
 * `src = max((dst + 0.5) * scale - 0.5, 0)`, `i0 = min(floor(src), srcSize - 1)`,
 * `i1 = min(i0 + 1, srcSize - 1)`, `w1 = clamp(src - i0, 0, 1)`, `w0 = 1 - w1`.
 *
 * Rounding follows torch's CPU kernel for float tensors bit for bit (checked against the
 * project's torch 1.13): `scale = float32(srcSize) / dstSize` is a float32, the source position
 * is then computed in double, and the weights are stored as float32.
 *
 * @param stride - multiplier applied to the stored indices (e.g. 3 for RGB columns, `3 * width` for rows)
 */
export function linearAxisTable(srcSize: number, dstSize: number, stride = 1): LinearAxisTable {
  const i0 = new Int32Array(dstSize);
  const i1 = new Int32Array(dstSize);
  const w0 = new Float64Array(dstSize);
  const w1 = new Float64Array(dstSize);
  const scale = f32(srcSize / dstSize);
  for (let d = 0; d < dstSize; d++) {
    let src = scale * (d + 0.5) - 0.5;
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

/** Small bounded cache: a video has one frame size and one model size, so a handful of keys suffice. */
const MAX_CACHED = 16;
const tableCache = new Map<string, { cols: LinearAxisTable; rows: LinearAxisTable }>();

/** The cached value for (source size, model size), built once; the oldest entry goes past MAX_CACHED. */
function cachedTables<T>(cache: Map<string, T>, srcW: number, srcH: number, dstW: number, dstH: number, build: () => T): T {
  const key = `${srcW}x${srcH}>${dstW}x${dstH}`;
  let t = cache.get(key);
  if (t === undefined) {
    t = build();
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    cache.set(key, t);
  }
  return t;
}

function tablesFor(srcW: number, srcH: number, dstW: number, dstH: number) {
  return cachedTables(tableCache, srcW, srcH, dstW, dstH, () => ({ cols: linearAxisTable(srcW, dstW, 3), rows: linearAxisTable(srcH, dstH, srcW * 3) }));
}

/**
 * Resizes a packed RGB24 frame to the model's input size and normalises it into a float tensor.
 *
 * Each output value is `(v * spec.scale - spec.mean[c]) / spec.std[c]`, where `v` is the
 * bilinearly resampled 0..255 value (half-pixel centres, edges clamped, no antialias) and `c`
 * the output channel; with `channelOrder: 'BGR'` output channel 0 is the source's blue.
 * Index/weight tables are cached per (source size, model size).
 *
 * @param rgb - packed RGB24, `srcW * srcH * 3` bytes, row-major
 * @param layout - `NCHW` (planar, `3 * H * W`) or `NHWC` (interleaved, `H * W * 3`)
 * @param out - optional destination of exactly `3 * spec.width * spec.height` floats, reused to avoid allocation
 * @returns `out`, or a new Float32Array
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` when sizes or buffer lengths disagree
 * @example
 * ```ts
 * const input = resizeToTensor(frame.rgb, frame.width, frame.height, model.card.input, 'NCHW');
 * ```
 */
export function resizeToTensor(
  rgb: Uint8Array,
  srcW: number,
  srcH: number,
  spec: InputSpec,
  layout: TensorLayout,
  out?: Float32Array,
): Float32Array {
  out = checkResizeArgs(rgb, 'rgb24', srcW, srcH, spec, layout, out);
  const W = spec.width;
  const H = spec.height;
  const plane = W * H;

  const { k0, b0, k1, b1, k2, b2 } = affine(spec);
  // Source byte offset feeding output channel 0 / 2.
  const s0 = spec.channelOrder === 'RGB' ? 0 : 2;
  const s2 = 2 - s0;

  const { cols, rows } = tablesFor(srcW, srcH, W, H);
  const ci0 = cols.i0, ci1 = cols.i1, cw0 = cols.w0, cw1 = cols.w1;
  const planar = layout === 'NCHW';

  for (let y = 0; y < H; y++) {
    const r0 = rows.i0[y], r1 = rows.i1[y];
    const wy0 = rows.w0[y], wy1 = rows.w1[y];
    let o = planar ? y * W : y * W * 3;
    for (let x = 0; x < W; x++) {
      const a = r0 + ci0[x], b = r0 + ci1[x], c = r1 + ci0[x], d = r1 + ci1[x];
      const wx0 = cw0[x], wx1 = cw1[x];
      const v0 = wy0 * (wx0 * rgb[a + s0] + wx1 * rgb[b + s0]) + wy1 * (wx0 * rgb[c + s0] + wx1 * rgb[d + s0]);
      const v1 = wy0 * (wx0 * rgb[a + 1] + wx1 * rgb[b + 1]) + wy1 * (wx0 * rgb[c + 1] + wx1 * rgb[d + 1]);
      const v2 = wy0 * (wx0 * rgb[a + s2] + wx1 * rgb[b + s2]) + wy1 * (wx0 * rgb[c + s2] + wx1 * rgb[d + s2]);
      if (planar) {
        out[o] = v0 * k0 + b0;
        out[o + plane] = v1 * k1 + b1;
        out[o + 2 * plane] = v2 * k2 + b2;
        o += 1;
      } else {
        out[o] = v0 * k0 + b0;
        out[o + 1] = v1 * k1 + b1;
        out[o + 2] = v2 * k2 + b2;
        o += 3;
      }
    }
  }
  return out;
}

/** Normalisation `(v * scale - mean[c]) / std[c]` as `v * k_c + b_c` per output channel. */
function affine(spec: InputSpec) {
  return {
    k0: spec.scale / spec.std[0], b0: -spec.mean[0] / spec.std[0],
    k1: spec.scale / spec.std[1], b1: -spec.mean[1] / spec.std[1],
    k2: spec.scale / spec.std[2], b2: -spec.mean[2] / spec.std[2],
  };
}

function checkResizeArgs(
  pixels: Uint8Array,
  format: 'rgb24' | 'yuv420p',
  srcW: number,
  srcH: number,
  spec: InputSpec,
  layout: TensorLayout,
  out: Float32Array | undefined,
): Float32Array {
  checkDimension('width', srcW);
  checkDimension('height', srcH);
  checkDimension('input.width', spec.width);
  checkDimension('input.height', spec.height);
  checkLength(format === 'rgb24' ? 'rgb' : 'pixels', pixels, frameByteLength(format, srcW, srcH));
  if (layout !== 'NCHW' && layout !== 'NHWC') throw invalidOption('layout', 'NCHW or NHWC', layout);
  if (spec.channelOrder !== 'RGB' && spec.channelOrder !== 'BGR') {
    throw invalidOption('input.channelOrder', 'RGB or BGR', spec.channelOrder);
  }
  const n = spec.width * spec.height * 3;
  if (out === undefined) return new Float32Array(n);
  checkExactLength('out', out, n);
  return out;
}

/** Unstrided axis tables plus the chroma index (`i >> 1`) of each neighbour, for I420 sources. */
interface I420Tables {
  cols: LinearAxisTable;
  rows: LinearAxisTable;
  chromaCol0: Int32Array;
  chromaCol1: Int32Array;
}
const i420Cache = new Map<string, I420Tables>();

function i420TablesFor(srcW: number, srcH: number, dstW: number, dstH: number): I420Tables {
  return cachedTables(i420Cache, srcW, srcH, dstW, dstH, () => {
    const cols = linearAxisTable(srcW, dstW);
    return { cols, rows: linearAxisTable(srcH, dstH), chromaCol0: cols.i0.map((i) => i >> 1), chromaCol1: cols.i1.map((i) => i >> 1) };
  });
}

/**
 * The reference for {@link resizeI420ToTensor}: the same tensor as converting the I420 frame to
 * RGB24 the way ffmpeg does (see `yuv.ts`) and resizing that with {@link resizeToTensor}, bit
 * for bit, without converting the whole frame. About twice the work of {@link resizeI420ToTensor}.
 *
 * Only the four bilinear neighbours of each output sample are converted to RGB (luma at the
 * pixel, the chroma of its 2x2 block), so the work is proportional to the model's input size,
 * not the frame's. The resampling arithmetic is the RGB path's, term for term, so a frame whose
 * ffmpeg rgb24 conversion matches ours gives identical floats.
 *
 * @param yuv - I420, `srcW * srcH` luma bytes then two `ceil(srcW/2) * ceil(srcH/2)` chroma planes
 * @param layout - `NCHW` (planar, `3 * H * W`) or `NHWC` (interleaved, `H * W * 3`)
 * @param out - optional destination of exactly `3 * spec.width * spec.height` floats
 * @returns `out`, or a new Float32Array
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` when sizes or buffer lengths disagree
 * @example
 * ```ts
 * const input = resizeI420ToTensorExact(frame.pixels, frame.width, frame.height, model.card.input, 'NCHW');
 * ```
 */
export function resizeI420ToTensorExact(
  yuv: Uint8Array,
  srcW: number,
  srcH: number,
  spec: InputSpec,
  layout: TensorLayout,
  out?: Float32Array,
): Float32Array {
  out = checkResizeArgs(yuv, 'yuv420p', srcW, srcH, spec, layout, out);
  const W = spec.width;
  const H = spec.height;
  const plane = W * H;
  const { k0, b0, k1, b1, k2, b2 } = affine(spec);
  const bgr = spec.channelOrder === 'BGR';
  const chroma = chromaSize(srcW, srcH);
  const uBase = srcW * srcH;
  const vOff = chroma.width * chroma.height;

  const { cols, rows, chromaCol0, chromaCol1 } = i420TablesFor(srcW, srcH, W, H);
  const ci0 = cols.i0, ci1 = cols.i1, cw0 = cols.w0, cw1 = cols.w1;
  const planar = layout === 'NCHW';
  const C = CLAMP_OFFSET;
  const { y: Y_TERM, vr: VR_TERM, ug: UG_TERM, vg: VG_TERM, ub: UB_TERM, shift: S, round } = yuvToRgbTables(srcH);

  for (let y = 0; y < H; y++) {
    const r0 = rows.i0[y], r1 = rows.i1[y];
    const wy0 = rows.w0[y], wy1 = rows.w1[y];
    const y0 = r0 * srcW, y1 = r1 * srcW;
    const c0 = uBase + (r0 >> 1) * chroma.width, c1 = uBase + (r1 >> 1) * chroma.width;
    let o = planar ? y * W : y * W * 3;
    for (let x = 0; x < W; x++) {
      const xa = ci0[x], xb = ci1[x], ca = chromaCol0[x], cb = chromaCol1[x];
      // Neighbours a (r0, x0), b (r0, x1), c (r1, x0), d (r1, x1): luma term, then chroma of the block.
      const ya = Y_TERM[yuv[y0 + xa]] + round, yb = Y_TERM[yuv[y0 + xb]] + round;
      const yc = Y_TERM[yuv[y1 + xa]] + round, yd = Y_TERM[yuv[y1 + xb]] + round;
      let u = yuv[c0 + ca], v = yuv[c0 + ca + vOff];
      const Ra = CLAMP[((ya + VR_TERM[v]) >> S) + C], Ga = CLAMP[((ya + UG_TERM[u] + VG_TERM[v]) >> S) + C], Ba = CLAMP[((ya + UB_TERM[u]) >> S) + C];
      u = yuv[c0 + cb];
      v = yuv[c0 + cb + vOff];
      const Rb = CLAMP[((yb + VR_TERM[v]) >> S) + C], Gb = CLAMP[((yb + UG_TERM[u] + VG_TERM[v]) >> S) + C], Bb = CLAMP[((yb + UB_TERM[u]) >> S) + C];
      u = yuv[c1 + ca];
      v = yuv[c1 + ca + vOff];
      const Rc = CLAMP[((yc + VR_TERM[v]) >> S) + C], Gc = CLAMP[((yc + UG_TERM[u] + VG_TERM[v]) >> S) + C], Bc = CLAMP[((yc + UB_TERM[u]) >> S) + C];
      u = yuv[c1 + cb];
      v = yuv[c1 + cb + vOff];
      const Rd = CLAMP[((yd + VR_TERM[v]) >> S) + C], Gd = CLAMP[((yd + UG_TERM[u] + VG_TERM[v]) >> S) + C], Bd = CLAMP[((yd + UB_TERM[u]) >> S) + C];
      const wx0 = cw0[x], wx1 = cw1[x];
      const vr = wy0 * (wx0 * Ra + wx1 * Rb) + wy1 * (wx0 * Rc + wx1 * Rd);
      const vg = wy0 * (wx0 * Ga + wx1 * Gb) + wy1 * (wx0 * Gc + wx1 * Gd);
      const vb = wy0 * (wx0 * Ba + wx1 * Bb) + wy1 * (wx0 * Bc + wx1 * Bd);
      const v0 = bgr ? vb : vr, v2 = bgr ? vr : vb;
      if (planar) {
        out[o] = v0 * k0 + b0;
        out[o + plane] = vg * k1 + b1;
        out[o + 2 * plane] = v2 * k2 + b2;
        o += 1;
      } else {
        out[o] = v0 * k0 + b0;
        out[o + 1] = vg * k1 + b1;
        out[o + 2] = v2 * k2 + b2;
        o += 3;
      }
    }
  }
  return out;
}

// BT.601 limited range as ffmpeg's rgb24 converters compute it (see `yuv.ts`): even heights take
// its fast converter, whose coefficients are rounded to 1/8192 and whose terms are floored (each
// floor lowers a channel by half a level on average); odd heights its generic scaler (exact
// coefficients, rounded once).
const q8192 = (c: number) => Math.floor(c * 8192 + 0.5) / 8192;
const MATRIX = { cy: 255 / 219, crv: 104597 / 65536, cbu: 132201 / 65536, cgu: 25675 / 65536, cgv: 53279 / 65536 };
const FAST_MATRIX = { cy: q8192(MATRIX.cy), crv: q8192(MATRIX.crv), cbu: q8192(MATRIX.cbu), cgu: q8192(MATRIX.cgu), cgv: q8192(MATRIX.cgv) };

/**
 * {@link resizeToTensor} for an I420 (`yuv420p`) frame, as the pipeline runs it: the bilinear
 * resampling is done on the Y, U and V samples (each 2x2 block's chroma taken as it is, as
 * ffmpeg's rgb24 conversion does) and every output sample is converted to RGB once, in floating
 * point with the conversion's own coefficients and rounding bias. Resampling and the colour
 * matrix are both linear, so this equals converting first ({@link resizeI420ToTensorExact})
 * except where the integer conversion rounds or clips; on camera footage the two differ by about
 * a third of a level on average (tested), for half the work.
 *
 * @param yuv - I420, `srcW * srcH` luma bytes then two `ceil(srcW/2) * ceil(srcH/2)` chroma planes
 * @param layout - `NCHW` (planar, `3 * H * W`) or `NHWC` (interleaved, `H * W * 3`)
 * @param out - optional destination of exactly `3 * spec.width * spec.height` floats
 * @returns `out`, or a new Float32Array
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` when sizes or buffer lengths disagree
 * @example
 * ```ts
 * const input = resizeI420ToTensor(frame.pixels, frame.width, frame.height, model.card.input, 'NCHW');
 * ```
 */
export function resizeI420ToTensor(
  yuv: Uint8Array,
  srcW: number,
  srcH: number,
  spec: InputSpec,
  layout: TensorLayout,
  out?: Float32Array,
): Float32Array {
  out = checkResizeArgs(yuv, 'yuv420p', srcW, srcH, spec, layout, out);
  const W = spec.width;
  const H = spec.height;
  const plane = W * H;
  const { k0, b0, k1, b1, k2, b2 } = affine(spec);
  const bgr = spec.channelOrder === 'BGR';
  const chroma = chromaSize(srcW, srcH);
  const uBase = srcW * srcH;
  const vBase = uBase + chroma.width * chroma.height;
  const fast = srcH % 2 === 0;
  const { cy, crv, cgu, cgv, cbu } = fast ? FAST_MATRIX : MATRIX;
  // Mean effect of the fast converter's floors: half a level per floored term.
  const yBias = fast ? -0.5 : 0, rbBias = fast ? -0.5 : 0, gBias = fast ? -1 : 0;

  const { cols, rows, chromaCol0, chromaCol1 } = i420TablesFor(srcW, srcH, W, H);
  const ci0 = cols.i0, ci1 = cols.i1, cw0 = cols.w0, cw1 = cols.w1;
  const planar = layout === 'NCHW';

  for (let y = 0; y < H; y++) {
    const r0 = rows.i0[y], r1 = rows.i1[y];
    const wy0 = rows.w0[y], wy1 = rows.w1[y];
    const y0 = r0 * srcW, y1 = r1 * srcW;
    const u0 = uBase + (r0 >> 1) * chroma.width, u1 = uBase + (r1 >> 1) * chroma.width;
    const v0 = u0 - uBase + vBase, v1 = u1 - uBase + vBase;
    let o = planar ? y * W : y * W * 3;
    for (let x = 0; x < W; x++) {
      const xa = ci0[x], xb = ci1[x], ca = chromaCol0[x], cb = chromaCol1[x];
      const wx0 = cw0[x], wx1 = cw1[x];
      const Y = wy0 * (wx0 * yuv[y0 + xa] + wx1 * yuv[y0 + xb]) + wy1 * (wx0 * yuv[y1 + xa] + wx1 * yuv[y1 + xb]);
      const U = wy0 * (wx0 * yuv[u0 + ca] + wx1 * yuv[u0 + cb]) + wy1 * (wx0 * yuv[u1 + ca] + wx1 * yuv[u1 + cb]) - 128;
      const V = wy0 * (wx0 * yuv[v0 + ca] + wx1 * yuv[v0 + cb]) + wy1 * (wx0 * yuv[v1 + ca] + wx1 * yuv[v1 + cb]) - 128;
      // The fast converter saturates luma below 16; the generic scaler does not.
      const l = (fast && Y < 16 ? 0 : Y - 16) * cy + yBias;
      let r = l + crv * V + rbBias;
      let g = l - cgu * U - cgv * V + gBias;
      let b = l + cbu * U + rbBias;
      r = r < 0 ? 0 : r > 255 ? 255 : r;
      g = g < 0 ? 0 : g > 255 ? 255 : g;
      b = b < 0 ? 0 : b > 255 ? 255 : b;
      const c0 = bgr ? b : r, c2 = bgr ? r : b;
      if (planar) {
        out[o] = c0 * k0 + b0;
        out[o + plane] = g * k1 + b1;
        out[o + 2 * plane] = c2 * k2 + b2;
        o += 1;
      } else {
        out[o] = c0 * k0 + b0;
        out[o + 1] = g * k1 + b1;
        out[o + 2] = c2 * k2 + b2;
        o += 3;
      }
    }
  }
  return out;
}
