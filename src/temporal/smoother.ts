/**
 * Causal, motion-aware temporal smoothing of a segmentation network's raw outputs.
 *
 * Per pixel and channel an exponential moving average of the network's output (logits, or
 * probabilities where the network ends in a softmax) at its output size:
 *
 *   acc_t = w · acc_{t-1} + (1 − w) · x_t,   w = strength · gate(source change)
 *
 * and the class map is the usual per-head argmax of `acc_t`. Only past frames are used, so no
 * frame is delayed. Where the source changed (luma, 3x3 neighbourhood) the gate falls to 0 and the
 * pixel takes the current frame's output alone: a moving car or a turning road edge is never
 * dragged behind. Averaging logits is averaging log-probabilities (the per-pixel softmax shift is
 * the same for every channel), so the argmax is that of a geometric mean of the probabilities.
 */
import { headLookup } from '../infer/argmax.js';
import { STATIC_LUMA_THRESHOLD } from './luma.js';
import type { EngineScores, HeadInfo } from '../infer/types.js';

/** A network's raw outputs for one frame (see {@link EngineScores}). */
export type HeadScores = EngineScores;

/**
 * The class switch's hysteresis in runs (`TemporalTrack`): where the past is used, a pixel keeps
 * its class until another class's averaged logit beats it by more than this. Chosen on the
 * flow-warped consistency of the dashcam and CamVid clips (docs/temporal-stability.md): 1 beat 0
 * and 2 there, at no cost in CamVid val mIoU.
 */
export const HOLD_MARGIN = 1;

/**
 * Weight of the past at a pixel whose 3x3 luma change is `change` (0..255): `strength` up to
 * `full`, falling linearly to 0 at `none`.
 */
export function smoothingWeight(
  change: number,
  strength: number,
  full = STATIC_LUMA_THRESHOLD,
  none = 2 * STATIC_LUMA_THRESHOLD,
): number {
  if (change <= full) return strength;
  if (change >= none) return 0;
  return (strength * (none - change)) / (none - full);
}

/**
 * Holds the running average of one stream. Feed frames in source order, one smoother per
 * stream; a change of output size restarts it.
 */
export class TemporalSmoother {
  readonly #luts: Int16Array[];
  readonly #channels: number[];
  #acc: Float32Array[] | undefined;
  #pixels = 0;
  readonly #gate: Float32Array;
  /** Winning channel per pixel of the previous frame and of this one (swapped each frame), for the hold margin. */
  #wins: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)];

  /**
   * @param heads the model card's heads (channels and class mapping)
   * @param strength weight of the past where the source did not change, 0 (off) to <1
   * @param hold with one head: where the past is used, a pixel keeps the previous frame's class
   *   (read where it came from) unless another class's averaged score beats it by more than this
   *   (the scores' units: logits or probabilities); 0, off
   */
  constructor(
    heads: readonly HeadInfo[],
    readonly strength: number,
    readonly hold = 0,
  ) {
    this.#luts = heads.map(headLookup);
    this.#channels = heads.map((h) => h.classes.length);
    this.#gate = Float32Array.from({ length: 256 }, (_, d) => smoothingWeight(d, strength));
  }

  /**
   * Folds this frame's scores into the running average and writes the smoothed class map into
   * `classMap` (`pixels` long). `change` is the
   * per-pixel 3x3 luma change since the previous frame (`lumaChange` in luma.ts), or undefined
   * for the first frame of a sequence (no past is used); `from` (optional, see `blockMotion`), per
   * pixel, where it was in the previous frame: the past is read there (`change` should then be
   * measured after the same displacement). The arrays of `scores` are left holding the smoothed
   * scores, whose per-pixel argmax is `classMap` (where the hold kept a class, that channel is
   * raised just above the best one): resized by `classMapAt`, they give the smoothed labels clean
   * edges. The running average is the smoother's own copy, so the caller may hand them on.
   */
  apply(scores: HeadScores, change: Uint8Array | undefined, classMap: Uint8Array, from?: Int32Array): void {
    const pixels = classMap.length;
    const heads = scores.heads;
    if (heads.length !== this.#channels.length || heads.some((h, i) => h.length !== this.#channels[i] * pixels)) {
      throw new RangeError(`scores do not match the model's heads at ${pixels} pixels`);
    }
    const acc = this.#acc;
    const blendable = acc !== undefined && change !== undefined && pixels === this.#pixels && change.length === pixels;
    const src = blendable && from?.length === pixels ? from : undefined;
    this.#pixels = pixels;
    const held: number[] = [];
    const hold =
      this.hold > 0 && heads.length === 1
        ? { ...this.#swapWins(pixels, blendable), margin: this.hold, held }
        : undefined;
    const past = blendable ? acc : undefined;
    if (heads.length === 1 && scores.layout === 'NCHW')
      blendArgmaxPlanes(heads[0], past?.[0], change, src, this.#gate, this.#channels[0], this.#luts[0], classMap, hold);
    else this.#blendHeads(scores, past, change, src, classMap, hold);
    // The running average is the smoother's own copy (buffers reused): the caller's arrays go on.
    this.#acc = acc?.every((a, i) => a.length === heads[i].length) ? acc : heads.map((h) => new Float32Array(h.length));
    this.#acc.forEach((a, i) => a.set(heads[i]));
    if (hold) raiseHeld(heads[0], held, hold.next, scores.layout, pixels, this.#channels[0]);
  }

  /** {@link apply} for several heads or NHWC scores. */
  #blendHeads(
    scores: HeadScores,
    past: Float32Array[] | undefined,
    change: Uint8Array | undefined,
    src: Int32Array | undefined,
    classMap: Uint8Array,
    hold: { prev: Uint8Array | undefined; next: Uint8Array; margin: number; held: number[] } | undefined,
  ): void {
    const { heads, layout } = scores;
    const pixels = classMap.length;
    for (let p = 0; p < pixels; p++) {
      const w = past ? this.#gate[change![p]] : 0;
      for (let i = 0; i < heads.length; i++) {
        const channels = this.#channels[i];
        let win = blendArgmax(heads[i], past ? past[i] : heads[i], p, src ? src[p] : p, pixels, channels, layout, w);
        if (hold) {
          if (w > 0 && hold.prev) {
            const at = (c: number) => heads[0][layout === 'NCHW' ? c * pixels + p : p * channels + c];
            const k = hold.prev[src ? src[p] : p];
            if (k !== win && at(k) + hold.margin >= at(win)) {
              win = k;
              hold.held.push(p);
            }
          }
          hold.next[p] = win;
        }
        const id = this.#luts[i][win];
        if (id >= 0) classMap[p] = id;
        else if (i === 0) classMap[p] = 0;
      }
    }
  }

  /** The previous frame's winning channels (undefined: none to hold) and the buffer for this frame's. */
  #swapWins(pixels: number, blendable: boolean): { prev: Uint8Array | undefined; next: Uint8Array } {
    const prev = this.#wins[0];
    let next = this.#wins[1];
    const had = blendable && prev.length === pixels;
    if (next.length !== pixels) next = new Uint8Array(pixels);
    this.#wins = [next, prev];
    return { prev: had ? prev : undefined, next };
  }

  /** Forgets the past (the next frame starts a new sequence). */
  reset(): void {
    this.#acc = undefined;
  }
}

/**
 * At pixel `p`: `x = w · past + (1 − w) · x` over the head's channels, the past read at pixel `q`;
 * returns the winning channel (ties go to the lower one).
 */
function blendArgmax(
  x: Float32Array,
  past: Float32Array,
  p: number,
  q: number,
  pixels: number,
  channels: number,
  layout: 'NCHW' | 'NHWC',
  w: number,
): number {
  const stride = layout === 'NCHW' ? pixels : 1;
  let i = layout === 'NCHW' ? p : p * channels;
  let j = layout === 'NCHW' ? q : q * channels;
  let best = -Infinity;
  let win = 0;
  for (let c = 0; c < channels; c++, i += stride, j += stride) {
    const v = x[i] + w * (past[j] - x[i]);
    x[i] = v;
    if (v > best) {
      best = v;
      win = c;
    }
  }
  return win;
}

/**
 * The common case (one head, NCHW) of {@link TemporalSmoother.apply} in one tight loop per pixel:
 * blend every channel with the past (when there is one) and take the argmax.
 */
function blendArgmaxPlanes(
  x: Float32Array,
  past: Float32Array | undefined,
  change: Uint8Array | undefined,
  from: Int32Array | undefined,
  gate: Float32Array,
  channels: number,
  lut: Int16Array,
  classMap: Uint8Array,
  hold?: { prev: Uint8Array | undefined; next: Uint8Array; margin: number; held: number[] },
): void {
  const pixels = classMap.length;
  for (let p = 0; p < pixels; p++) {
    const w = past ? gate[change![p]] : 0;
    let best = -Infinity;
    let win = 0;
    if (w === 0) {
      for (let c = 0, i = p; c < channels; c++, i += pixels) {
        const v = x[i];
        if (v > best) {
          best = v;
          win = c;
        }
      }
    } else {
      for (let c = 0, i = p, j = from ? from[p] : p; c < channels; c++, i += pixels, j += pixels) {
        const v = x[i] + w * (past![j] - x[i]);
        x[i] = v;
        if (v > best) {
          best = v;
          win = c;
        }
      }
    }
    if (hold) {
      // Hysteresis: where the past was used, the previous class stays unless beaten by the margin.
      if (w > 0 && hold.prev) {
        const k = hold.prev[from ? from[p] : p];
        if (k !== win && x[k * pixels + p] + hold.margin >= best) {
          win = k;
          hold.held.push(p);
        }
      }
      hold.next[p] = win;
    }
    const id = lut[win];
    classMap[p] = id >= 0 ? id : 0;
  }
}

/**
 * Where the hold kept channel `wins[p]` against a higher average, raises it just above the best
 * other channel, so the scores' argmax is the class map.
 */
function raiseHeld(
  x: Float32Array,
  held: readonly number[],
  wins: Uint8Array,
  layout: 'NCHW' | 'NHWC',
  pixels: number,
  channels: number,
): void {
  const [cStride, pStride] = layout === 'NCHW' ? [pixels, 1] : [1, channels];
  for (const p of held) {
    const kept = p * pStride + wins[p] * cStride;
    let best = -Infinity;
    for (let c = 0, i = p * pStride; c < channels; c++, i += cStride) if (i !== kept && x[i] > best) best = x[i];
    x[kept] = best + Math.max(Math.abs(best) * 1e-5, 1e-20);
  }
}
