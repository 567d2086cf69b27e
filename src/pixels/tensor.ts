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
import { BT601, BT601_FAST, CLAMP, CLAMP_OFFSET, yuvToRgbTables } from './colour.js';
import { bilinear, planeAxisTables, rgbAxisTables } from './sampler.js';
import { chromaSize, frameByteLength } from './yuv.js';

/** Tensor layout of the network input. */
export type TensorLayout = 'NCHW' | 'NHWC';

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
  const { W, H, bgr, step, ch1, ch2, k0, b0, k1, b1, k2, b2 } = outputParams(spec, layout);
  // Source byte offset feeding output channel 0 / 2.
  const s0 = bgr ? 2 : 0;
  const s2 = 2 - s0;

  const { cols, rows } = rgbAxisTables(srcW, srcH, W, H);
  const ci0 = cols.i0,
    ci1 = cols.i1,
    cw0 = cols.w0,
    cw1 = cols.w1;

  for (let y = 0; y < H; y++) {
    const r0 = rows.i0[y],
      r1 = rows.i1[y];
    const wy0 = rows.w0[y],
      wy1 = rows.w1[y];
    let o = y * W * step;
    for (let x = 0; x < W; x++) {
      const a = r0 + ci0[x],
        b = r0 + ci1[x],
        c = r1 + ci0[x],
        d = r1 + ci1[x];
      const wx0 = cw0[x],
        wx1 = cw1[x];
      const v0 = bilinear(rgb[a + s0], rgb[b + s0], rgb[c + s0], rgb[d + s0], wx0, wx1, wy0, wy1);
      const v1 = bilinear(rgb[a + 1], rgb[b + 1], rgb[c + 1], rgb[d + 1], wx0, wx1, wy0, wy1);
      const v2 = bilinear(rgb[a + s2], rgb[b + s2], rgb[c + s2], rgb[d + s2], wx0, wx1, wy0, wy1);
      out[o] = v0 * k0 + b0;
      out[o + ch1] = v1 * k1 + b1;
      out[o + ch2] = v2 * k2 + b2;
      o += step;
    }
  }
  return out;
}

/**
 * The output side of a resize, once per call: size, channel order, normalisation
 * `(v * scale - mean[c]) / std[c]` as `v * k_c + b_c`, and the distance between pixels (`step`)
 * and from channel 0 to channels 1 and 2 (`ch1`, `ch2`) in the tensor's layout.
 */
function outputParams(spec: InputSpec, layout: TensorLayout) {
  const plane = spec.width * spec.height;
  const strides = layout === 'NCHW' ? { step: 1, ch1: plane, ch2: 2 * plane } : { step: 3, ch1: 1, ch2: 2 };
  return {
    W: spec.width,
    H: spec.height,
    bgr: spec.channelOrder === 'BGR',
    ...strides,
    k0: spec.scale / spec.std[0],
    b0: -spec.mean[0] / spec.std[0],
    k1: spec.scale / spec.std[1],
    b1: -spec.mean[1] / spec.std[1],
    k2: spec.scale / spec.std[2],
    b2: -spec.mean[2] / spec.std[2],
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

/**
 * The reference for {@link resizeI420ToTensor}: the same tensor as converting the I420 frame to
 * RGB24 the way ffmpeg does (see `colour.ts`) and resizing that with {@link resizeToTensor}, bit
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
  const { W, H, bgr, step, ch1, ch2, k0, b0, k1, b1, k2, b2 } = outputParams(spec, layout);
  const chroma = chromaSize(srcW, srcH);
  const uBase = srcW * srcH;
  const vOff = chroma.width * chroma.height;

  const { cols, rows, chromaCol0, chromaCol1 } = planeAxisTables(srcW, srcH, W, H);
  const ci0 = cols.i0,
    ci1 = cols.i1,
    cw0 = cols.w0,
    cw1 = cols.w1;
  const C = CLAMP_OFFSET;
  const { y: Y_TERM, vr: VR_TERM, ug: UG_TERM, vg: VG_TERM, ub: UB_TERM, shift: S, round } = yuvToRgbTables(srcH);

  for (let y = 0; y < H; y++) {
    const r0 = rows.i0[y],
      r1 = rows.i1[y];
    const wy0 = rows.w0[y],
      wy1 = rows.w1[y];
    const y0 = r0 * srcW,
      y1 = r1 * srcW;
    const c0 = uBase + (r0 >> 1) * chroma.width,
      c1 = uBase + (r1 >> 1) * chroma.width;
    let o = y * W * step;
    for (let x = 0; x < W; x++) {
      const xa = ci0[x],
        xb = ci1[x],
        ca = chromaCol0[x],
        cb = chromaCol1[x];
      // Neighbours a (r0, x0), b (r0, x1), c (r1, x0), d (r1, x1): luma term, then chroma of the block.
      const ya = Y_TERM[yuv[y0 + xa]] + round,
        yb = Y_TERM[yuv[y0 + xb]] + round;
      const yc = Y_TERM[yuv[y1 + xa]] + round,
        yd = Y_TERM[yuv[y1 + xb]] + round;
      let u = yuv[c0 + ca],
        v = yuv[c0 + ca + vOff];
      const Ra = CLAMP[((ya + VR_TERM[v]) >> S) + C],
        Ga = CLAMP[((ya + UG_TERM[u] + VG_TERM[v]) >> S) + C],
        Ba = CLAMP[((ya + UB_TERM[u]) >> S) + C];
      u = yuv[c0 + cb];
      v = yuv[c0 + cb + vOff];
      const Rb = CLAMP[((yb + VR_TERM[v]) >> S) + C],
        Gb = CLAMP[((yb + UG_TERM[u] + VG_TERM[v]) >> S) + C],
        Bb = CLAMP[((yb + UB_TERM[u]) >> S) + C];
      u = yuv[c1 + ca];
      v = yuv[c1 + ca + vOff];
      const Rc = CLAMP[((yc + VR_TERM[v]) >> S) + C],
        Gc = CLAMP[((yc + UG_TERM[u] + VG_TERM[v]) >> S) + C],
        Bc = CLAMP[((yc + UB_TERM[u]) >> S) + C];
      u = yuv[c1 + cb];
      v = yuv[c1 + cb + vOff];
      const Rd = CLAMP[((yd + VR_TERM[v]) >> S) + C],
        Gd = CLAMP[((yd + UG_TERM[u] + VG_TERM[v]) >> S) + C],
        Bd = CLAMP[((yd + UB_TERM[u]) >> S) + C];
      const wx0 = cw0[x],
        wx1 = cw1[x];
      const vr = bilinear(Ra, Rb, Rc, Rd, wx0, wx1, wy0, wy1);
      const vg = bilinear(Ga, Gb, Gc, Gd, wx0, wx1, wy0, wy1);
      const vb = bilinear(Ba, Bb, Bc, Bd, wx0, wx1, wy0, wy1);
      const v0 = bgr ? vb : vr,
        v2 = bgr ? vr : vb;
      out[o] = v0 * k0 + b0;
      out[o + ch1] = vg * k1 + b1;
      out[o + ch2] = v2 * k2 + b2;
      o += step;
    }
  }
  return out;
}

// The matrix of ffmpeg's rgb24 converters (see `colour.ts`): even heights take its fast converter,
// whose coefficients are rounded to 1/8192 and whose terms are floored (each floor lowers a
// channel by half a level on average); odd heights its generic scaler (exact coefficients,
// rounded once).

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
  const { W, H, bgr, step, ch1, ch2, k0, b0, k1, b1, k2, b2 } = outputParams(spec, layout);
  const chroma = chromaSize(srcW, srcH);
  const uBase = srcW * srcH;
  const vBase = uBase + chroma.width * chroma.height;
  const fast = srcH % 2 === 0;
  const { cy, crv, cgu, cgv, cbu } = fast ? BT601_FAST : BT601;
  // Mean effect of the fast converter's floors: half a level per floored term.
  const yBias = fast ? -0.5 : 0,
    rbBias = fast ? -0.5 : 0,
    gBias = fast ? -1 : 0;

  const { cols, rows, chromaCol0, chromaCol1 } = planeAxisTables(srcW, srcH, W, H);
  const ci0 = cols.i0,
    ci1 = cols.i1,
    cw0 = cols.w0,
    cw1 = cols.w1;

  for (let y = 0; y < H; y++) {
    const r0 = rows.i0[y],
      r1 = rows.i1[y];
    const wy0 = rows.w0[y],
      wy1 = rows.w1[y];
    const y0 = r0 * srcW,
      y1 = r1 * srcW;
    const u0 = uBase + (r0 >> 1) * chroma.width,
      u1 = uBase + (r1 >> 1) * chroma.width;
    const v0 = u0 - uBase + vBase,
      v1 = u1 - uBase + vBase;
    let o = y * W * step;
    for (let x = 0; x < W; x++) {
      const xa = ci0[x],
        xb = ci1[x],
        ca = chromaCol0[x],
        cb = chromaCol1[x];
      const wx0 = cw0[x],
        wx1 = cw1[x];
      const Y = bilinear(yuv[y0 + xa], yuv[y0 + xb], yuv[y1 + xa], yuv[y1 + xb], wx0, wx1, wy0, wy1);
      const U = bilinear(yuv[u0 + ca], yuv[u0 + cb], yuv[u1 + ca], yuv[u1 + cb], wx0, wx1, wy0, wy1) - 128;
      const V = bilinear(yuv[v0 + ca], yuv[v0 + cb], yuv[v1 + ca], yuv[v1 + cb], wx0, wx1, wy0, wy1) - 128;
      // The fast converter saturates luma below 16; the generic scaler does not.
      const l = (fast && Y < 16 ? 0 : Y - 16) * cy + yBias;
      let r = l + crv * V + rbBias;
      let g = l - cgu * U - cgv * V + gBias;
      let b = l + cbu * U + rbBias;
      r = r < 0 ? 0 : r > 255 ? 255 : r;
      g = g < 0 ? 0 : g > 255 ? 255 : g;
      b = b < 0 ? 0 : b > 255 ? 255 : b;
      const c0 = bgr ? b : r,
        c2 = bgr ? r : b;
      out[o] = c0 * k0 + b0;
      out[o + ch1] = g * k1 + b1;
      out[o + ch2] = c2 * k2 + b2;
      o += step;
    }
  }
  return out;
}
