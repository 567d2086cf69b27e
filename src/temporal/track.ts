/**
 * The per-stream part of the temporal step that needs the frames themselves: each frame's source
 * luma, where it changed since the previous frame, and (with a strength) the smoothed class map.
 * The same code runs on the main thread ({@link TemporalStage} with an engine on the calling
 * thread, frame folders, evaluation) and next to the network on the inference thread
 * (`engine-step.ts`, a post-network step), so both give the same labels to the byte.
 */
import { ErrorCodes, SegStreamError } from '../errors.js';
import { lumaChange, lumaOfInput, resizeLuma } from './luma.js';
import { blockMotion } from './motion.js';
import { HOLD_MARGIN, TemporalSmoother } from './smoother.js';
import type { EngineOutput, ModelCard } from '../infer/types.js';

/** Source luma, change map and smoothing state of one stream; feed its frames in source order. */
export class TemporalTrack {
  readonly #card: ModelCard;
  readonly #layout: 'NCHW' | 'NHWC';
  readonly #smoother: TemporalSmoother | undefined;
  #prevLuma: Uint8Array | undefined;
  /** Per pixel, where it was in the previous frame, and the luma change after that motion (reused from frame to frame). */
  #from = new Int32Array(0);
  #moved = new Uint8Array(0);

  /**
   * @param inputLayout the engine's input layout
   * @param strength smoothing strength, already checked (0 or undefined: the class maps are left as they are)
   */
  constructor(card: ModelCard, inputLayout: 'NCHW' | 'NHWC', strength?: number) {
    this.#card = card;
    this.#layout = inputLayout;
    this.#smoother = strength ? new TemporalSmoother(card.heads, strength, HOLD_MARGIN) : undefined;
  }

  /** Whether class maps are smoothed (the engine must then return raw scores). */
  get smoothing(): boolean {
    return this.#smoother !== undefined;
  }

  /** The source luma of a network input (take it before the input is moved or reused). */
  luma(input: Float32Array): Uint8Array {
    return lumaOfInput(input, this.#card.input, this.#layout);
  }

  /**
   * Takes the next frame: `luma` from {@link luma} of its input (undefined: unknown), `output` the
   * engine's output, whose class map is replaced by the smoothed one when smoothing (its raw scores
   * then by the smoothed ones, whose argmax is that class map; either way for `classMapAt`). `follows` false where this frame does not directly follow the
   * previous one: nothing of the past is then used. Returns the per-pixel 3x3 luma change since
   * the previous frame at the output size (a new array), or undefined where there is none.
   * @throws SegStreamError INFERENCE_FAILED when smoothing and the output has no raw scores
   */
  step(luma: Uint8Array | undefined, output: EngineOutput, follows = true): Uint8Array | undefined {
    const { width, height } = output;
    const { width: iw, height: ih } = this.#card.input;
    const cur = luma ? resizeLuma(luma, iw, ih, width, height) : undefined;
    const prev = this.#prevLuma;
    const change =
      follows && cur && prev && prev.length === cur.length ? lumaChange(prev, cur, width, height) : undefined;
    this.#prevLuma = cur;
    if (this.#smoother) {
      if (!output.scores)
        throw new SegStreamError(
          ErrorCodes.INFERENCE_FAILED,
          `engine ${this.#card.name} returned no raw scores (EngineRunOptions.scores), so its labels cannot be smoothed`,
        );
      if (change) {
        // The smoother follows the motion: its past is read where each pixel came from, gated on the luma change after that motion.
        if (this.#from.length !== change.length)
          [this.#from, this.#moved] = [new Int32Array(change.length), new Uint8Array(change.length)];
        const from = blockMotion(prev!, cur!, width, height, this.#from);
        this.#smoother.apply(
          output.scores,
          lumaChange(prev!, cur!, width, height, this.#moved, from),
          output.classMap,
          from,
        );
      } else this.#smoother.apply(output.scores, undefined, output.classMap);
      // output.scores now hold the smoothed scores: they go on, so the outputs get clean edges.
    }
    return change;
  }
}
