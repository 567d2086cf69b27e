/**
 * The chain's steps for kinds whose frames arrive decoded (video files, live streams, driving
 * logs): `preprocess` in a worker, the engine, the temporal step, `finish` in a worker.
 */
import type { Engine, EngineOutput, LoadedModel } from '../../infer/types.js';
import type { TemporalStage } from '../../temporal/stage.js';
import type { Frame } from '../../types.js';
import type { FramePool } from '../frame-pool.js';
import type { StageClock } from '../stats.js';
import { usesScores, type FinishConstants, type FinishOutput } from './finish.js';
import type { StageSteps } from './stages.js';

/** A decoded frame on its way through the chain, filled in place. */
export interface FrameItem<F extends Frame = Frame> {
  frame: F;
  /** The network input, until the engine takes it. */
  input?: Float32Array;
  /** Class-id PNG at the frame size (`masks`). */
  maskPng?: Uint8Array;
  /** 0/255 free-space PNG at the frame size. */
  freeSpacePng?: Uint8Array;
  /** Everything else the finish step made (raw masks, boundary, JPEG). */
  out?: FinishOutput;
}

/** What {@link frameSteps} needs, once per run (or per network size). */
export interface FrameStepsOptions {
  pool: FramePool;
  engine: Engine;
  model: LoadedModel;
  clock: StageClock;
  batch: number;
  /** Batches in the engine at once (default 1). */
  inferConcurrency?: number;
  /** What the finish step makes (see `finishConstants`). */
  finish: FinishConstants;
  /** Stability measuring and smoothing (smoothing in the engine where it can). */
  temporal?: TemporalStage;
}

/** The steps of the shared chain for decoded frames. */
export function frameSteps<F extends Frame>(o: FrameStepsOptions): StageSteps<FrameItem<F>> {
  const { pool, engine, model, clock, temporal } = o;
  const spec = model.card.input;
  const tensorLength = 3 * spec.width * spec.height;
  const luma = temporal?.needsLuma;
  return {
    engine,
    clock,
    batch: o.batch,
    inferConcurrency: o.inferConcurrency ?? 1,
    // Raw scores too when an output takes each pixel's class from the resized scores (smoothed ones when smoothing).
    runOptions: { transferInputs: true, scores: usesScores(o.finish), ...temporal?.runOptions },
    order: (item) => item.frame.index,
    input: (item) => item.input,
    segmented: (item, output: EngineOutput) => {
      item.frame.segmentation = output;
      item.input = undefined;
    },
    temporal: temporal && {
      inEngine: temporal.inEngine,
      process: (item) => temporal.process(item.frame, item.frame.segmentation!),
    },
    prepare: async (item) => {
      const t0 = performance.now();
      const { frame } = item;
      // An input buffer the engine has finished with is refilled rather than a new one allocated.
      const out = engine.takeSpareInput?.(tensorLength);
      const r = await pool.preprocess({
        pixels: frame.pixels,
        format: frame.format,
        width: frame.width,
        height: frame.height,
        spec,
        layout: engine.inputLayout,
        luma,
        out,
      });
      frame.pixels = r.pixels;
      item.input = r.input;
      temporal?.noteInput(frame, r.input, r.luma);
      clock.add('preprocess', performance.now() - t0);
      return item;
    },
    finish: async (item) => {
      const t0 = performance.now();
      const { frame } = item;
      const seg: EngineOutput = frame.segmentation!;
      const r = await pool.finish({
        pixels: frame.pixels,
        format: frame.format,
        width: frame.width,
        height: frame.height,
        classMap: seg.classMap,
        mapWidth: seg.width,
        mapHeight: seg.height,
        // Smoothing returns scores whether an output reads them or not: only those that do get them.
        scores: usesScores(o.finish) ? (seg.scores ?? null) : null,
        run: o.finish,
      });
      delete seg.scores; // moved to the worker, or not needed
      frame.pixels = r.pixels!;
      item.maskPng = r.maskPng;
      item.freeSpacePng = r.freeSpacePng;
      item.out = r;
      clock.add('render', performance.now() - t0);
      return item;
    },
  };
}
