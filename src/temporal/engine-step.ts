/**
 * The temporal step as a post-network step (see `infer/post-step.ts`): where the engine runs on
 * its own thread, that thread computes each frame's source luma and change map and smooths the
 * network's raw outputs right after the model, so only the smoothed class map (and the change map,
 * for the stability figure) crosses back; the main thread, which also feeds the decoder, the
 * encoder and the workers, does none of it. {@link TemporalStage} names this module in its runs.
 */
import type { CreatePostStep, PostStep } from '../infer/post-step.js';
import type { Engine, EngineOutput } from '../infer/types.js';
import { TemporalTrack } from './track.js';

/** What a run passes to the step (`EngineRunOptions.post.params`). */
export interface TemporalStepParams {
  /** Smoothing strength, already checked. */
  strength: number;
}

/** Name of the per-pixel plane ({@link EngineOutput.planes}) that carries the 3x3 luma change since the stream's previous frame. */
export const CHANGE_PLANE = 'change';

/** A stream's temporal step: the class maps are smoothed, the change plane is set where there is a previous frame, and the smoothed scores (in place of the raw ones) go on to the finish step. */
export const createPostStep: CreatePostStep = (engine: Engine, params: unknown): PostStep => {
  const { strength } = params as TemporalStepParams;
  const track = new TemporalTrack(engine.model.card, engine.inputLayout, strength);
  return {
    runOptions: track.smoothing ? { scores: true, argmax: false } : {},
    before: (input) => track.luma(input),
    after: (output: EngineOutput, luma: unknown) => {
      const change = track.step(luma as Uint8Array, output);
      if (change) output.planes = { ...output.planes, [CHANGE_PLANE]: change };
    },
  };
};
