/**
 * The temporal step of a run: between inference and rendering, in source order, it measures
 * stability and (with `smooth`) replaces each frame's class map by the smoothed one, so masks,
 * free space, boundaries and the overlay all see the same labels.
 */
import { ErrorCodes, SegStreamError, invalidOption } from '../errors.js';
import type { EngineOutput, EngineRunOptions, LoadedModel } from '../infer/types.js';
import { lumaChange, lumaOfInput, resizeLuma } from './luma.js';
import { TemporalSmoother } from './smoother.js';
import { StabilityMeter, type StabilitySummary } from './stability.js';

/**
 * Checks a smoothing strength: a number from 0 (off) to 0.95.
 * @throws SegStreamError INVALID_OPTION
 */
export function checkSmooth(smooth: unknown, option = 'smooth'): number {
  if (typeof smooth !== 'number' || !Number.isFinite(smooth) || smooth < 0 || smooth > 0.95) throw invalidOption(option, 'a number from 0 to 0.95', smooth);
  return smooth;
}

/**
 * Per-run temporal state. Call {@link noteInput} with each frame's network input before it is
 * handed to the engine, and {@link process} with its output strictly in source order.
 */
export class TemporalStage {
  readonly #model: LoadedModel;
  readonly #layout: 'NCHW' | 'NHWC';
  readonly #luma = new WeakMap<object, Uint8Array>();
  readonly #meter: StabilityMeter;
  readonly #smoother: TemporalSmoother | undefined;
  #prevLuma: Uint8Array | undefined;
  #change = new Uint8Array(0);

  /**
   * @param inputLayout the engine's input layout
   * @param smooth smoothing strength (0 or undefined: per-frame outputs, only measured)
   */
  constructor(model: LoadedModel, inputLayout: 'NCHW' | 'NHWC', smooth?: number) {
    this.#model = model;
    this.#layout = inputLayout;
    this.#meter = new StabilityMeter(model.card.classes.map((c) => c.name));
    this.#smoother = smooth ? new TemporalSmoother(model.card.heads, checkSmooth(smooth)) : undefined;
  }

  /** Whether class maps are smoothed (the engine must then return raw scores). */
  get smoothing(): boolean {
    return this.#smoother !== undefined;
  }

  /** Extra options for `engine.run`: when smoothing, raw scores and no argmax (the smoother makes the class map). */
  get runOptions(): Pick<EngineRunOptions, 'scores' | 'argmax'> {
    return this.#smoother ? { scores: true, argmax: false } : {};
  }

  /** Remembers the source luma of `key`'s input (before the input is moved to the engine). */
  noteInput(key: object, input: Float32Array): void {
    this.#luma.set(key, lumaOfInput(input, this.#model.card.input, this.#layout));
  }

  /**
   * Measures (and smooths) `key`'s output, in place. Call in source order; `follows` false where
   * this frame does not directly follow the previous one (it then starts a new stretch: nothing
   * of the past is used or compared).
   */
  process(key: object, output: EngineOutput, follows = true): void {
    const { width, height } = output;
    const { width: iw, height: ih } = this.#model.card.input;
    const noted = this.#luma.get(key);
    this.#luma.delete(key);
    const luma = noted ? resizeLuma(noted, iw, ih, width, height) : undefined;
    const prev = this.#prevLuma;
    let change: Uint8Array | undefined;
    if (follows && luma && prev && prev.length === luma.length) {
      if (this.#change.length !== luma.length) this.#change = new Uint8Array(luma.length);
      change = lumaChange(prev, luma, width, height, this.#change);
    }
    this.#prevLuma = luma;
    if (this.#smoother) {
      if (!output.scores) throw new SegStreamError(ErrorCodes.INFERENCE_FAILED, `engine ${this.#model.card.name} returned no raw scores (EngineRunOptions.scores), so its labels cannot be smoothed`);
      this.#smoother.apply(output.scores, change, output.classMap);
    }
    delete output.scores;
    this.#meter.add(output.classMap, change);
  }

  /** The stability of the frames processed so far. */
  summary(): StabilitySummary {
    return this.#meter.summary();
  }
}
