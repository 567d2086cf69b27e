/**
 * The temporal step of a run: between inference and rendering, in source order, it measures
 * stability and (with `smooth`) replaces each frame's class map by the smoothed one, so masks,
 * free space, boundaries and the overlay all see the same labels. With an engine on its own
 * thread the smoothing runs there, next to the network's output.
 */
import { pathToFileURL } from 'node:url';
import { invalidOption } from '../errors.js';
import type { Engine, EngineOutput, EngineRunOptions, LoadedModel } from '../infer/types.js';
import { compiledModulePath } from '../workers/module-path.js';
import { CHANGE_PLANE, type TemporalStepParams } from './engine-step.js';
import { StabilityMeter, type StabilitySummary } from './stability.js';
import { TemporalTrack } from './track.js';

/** The compiled module of the temporal post-network step (an engine thread runs compiled JavaScript). */
export const TEMPORAL_STEP_MODULE = pathToFileURL(compiledModulePath('temporal/engine-step.js', import.meta.url)).href;

/**
 * Checks a smoothing strength: a number from 0 (off) to 0.95.
 * @throws SegStreamError INVALID_OPTION
 */
export function checkSmooth(smooth: unknown, option = 'smooth'): number {
  if (typeof smooth !== 'number' || !Number.isFinite(smooth) || smooth < 0 || smooth > 0.95)
    throw invalidOption(option, 'a number from 0 to 0.95', smooth);
  return smooth;
}

/** Ids of the streams an engine smooths for a stage (unique in the process). */
let nextStream = 0;

/**
 * Per-run temporal state. Call {@link noteInput} with each frame's network input before it is
 * handed to the engine, and {@link process} with its output strictly in source order; {@link close}
 * at the end of the run.
 *
 * Given an engine that hosts post-network steps (an engine on its own thread, see
 * {@link Engine.endStream}) and a strength, the luma, change map and smoothing happen there,
 * right after the network: the frames must then reach `engine.run` in source order, and only the
 * stability figure is counted here.
 */
export class TemporalStage {
  readonly #luma = new WeakMap<object, Uint8Array>();
  readonly #meter: StabilityMeter;
  readonly #track: TemporalTrack | undefined;
  readonly #engine: Engine | undefined;
  readonly #stream: number | undefined;
  readonly #strength: number;

  /**
   * @param inputLayout the engine's input layout
   * @param smooth smoothing strength (0 or undefined: per-frame outputs, only measured)
   * @param engine the run's engine: where it hosts post-network steps ({@link Engine.endStream}), smoothing runs in it
   */
  constructor(model: LoadedModel, inputLayout: 'NCHW' | 'NHWC', smooth?: number, engine?: Engine) {
    this.#meter = new StabilityMeter(model.card.classes.map((c) => c.name));
    this.#strength = smooth ? checkSmooth(smooth) : 0;
    if (this.#strength && engine?.endStream) {
      this.#engine = engine;
      this.#stream = nextStream++;
    } else {
      this.#track = new TemporalTrack(model.card, inputLayout, this.#strength);
    }
  }

  /** Whether class maps are smoothed (the engine must then return raw scores, or smooth them itself). */
  get smoothing(): boolean {
    return this.#strength > 0;
  }

  /** Whether the engine runs the temporal step: `engine.run` must then see the frames in source order. */
  get inEngine(): boolean {
    return this.#stream !== undefined;
  }

  /**
   * Extra options for `engine.run`: when smoothing here, raw scores and no argmax (the smoother
   * makes the class map); when the engine smooths, its stream.
   */
  get runOptions(): Pick<EngineRunOptions, 'scores' | 'argmax' | 'post'> {
    if (this.#stream !== undefined)
      return {
        post: {
          module: TEMPORAL_STEP_MODULE,
          stream: this.#stream,
          params: { strength: this.#strength } satisfies TemporalStepParams,
        },
      };
    return this.#track?.smoothing ? { scores: true, argmax: false } : {};
  }

  /** Whether {@link noteInput} reads the input's luma here (else the engine takes it itself). */
  get needsLuma(): boolean {
    return this.#track !== undefined;
  }

  /**
   * Remembers the source luma of `key`'s input (before the input is moved to the engine). `luma`:
   * the same figure computed elsewhere (`lumaOfInput` of this input, e.g. by the worker that made
   * the input), so this thread need not read the input again.
   */
  noteInput(key: object, input: Float32Array, luma?: Uint8Array): void {
    if (this.#track) this.#luma.set(key, luma ?? this.#track.luma(input));
  }

  /**
   * Measures (and smooths) `key`'s output, in place. Call in source order; `follows` false where
   * this frame does not directly follow the previous one (it then starts a new stretch: nothing
   * of the past is used or compared; not possible when the engine smooths).
   */
  process(key: object, output: EngineOutput, follows = true): void {
    let change: Uint8Array | undefined;
    if (this.#track) {
      const noted = this.#luma.get(key);
      this.#luma.delete(key);
      change = this.#track.step(noted, output, follows);
    } else {
      if (!follows) throw new RangeError('a stream smoothed by its engine cannot skip frames');
      change = output.planes?.[CHANGE_PLANE];
      delete output.planes;
    }
    this.#meter.add(output.classMap, change);
  }

  /** The stability of the frames processed so far. */
  summary(): StabilitySummary {
    return this.#meter.summary();
  }

  /** Releases the engine's state for this run (when the engine smooths). Idempotent. */
  close(): void {
    if (this.#stream !== undefined) this.#engine?.endStream?.(this.#stream);
  }
}
