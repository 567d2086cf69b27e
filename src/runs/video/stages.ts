/**
 * The per-frame stages between a source and the sinks: worker preprocess → batched inference →
 * worker render/masks → decode order restored. Shared by file and live runs.
 */
import { egoFor, type EgoMask } from '../../pixels/ego-mask.js';
import { identity, map, mergeMap, pipe, type Observable } from 'rxjs';
import { ErrorCodes, toSegStreamError } from '../../errors.js';
import { headLookup } from '../../infer/argmax.js';
import type { Engine, EngineOutput, LoadedModel } from '../../infer/types.js';
import type { TemporalStage } from '../../temporal/stage.js';
import type { Frame } from '../../types.js';
import type { FramePool } from '../frame-pool.js';
import { batchedConcurrency, restoreOrder } from '../operators.js';
import type { StageClock } from '../stats.js';

/** A frame after rendering, with its encoded masks when asked for. */
export interface Rendered<F extends Frame = Frame> {
  frame: F;
  maskPng?: Uint8Array;
  freeSpacePng?: Uint8Array;
}

/** What the stages need. */
export interface StageContext {
  pool: FramePool;
  engine: Engine;
  model: LoadedModel;
  clock: StageClock;
  batch: number;
  /** Batches allowed in the engine at once (default 1; 2 keeps an engine on its own thread busy). */
  inferConcurrency?: number;
  /** The camera's own vehicle: no overlay, 255 in class-id masks, never free space (`pixels/ego-mask.ts`). */
  ego?: EgoMask | null;
  /** Class LUT for the overlay; undefined leaves the pixels untouched. */
  lut?: Uint8Array;
  alpha: number;
  masks: boolean;
  freeSpace: boolean;
  /** Stability measuring and smoothing, run in source order between inference and rendering (smoothing in the engine where it can). */
  temporal?: TemporalStage;
}

/** Wires preprocess → infer → render → order onto `frames$`. */
export function segmentFrames<F extends Frame>(frames$: Observable<F>, ctx: StageContext): Observable<Rendered<F>> {
  const { pool, engine, model, clock } = ctx;
  // The render worker takes each pixel's class from the bilinear scores (unless smoothing keeps them).
  const luts = model.card.heads.map(headLookup);
  return frames$.pipe(
    mergeMap(async (frame) => {
      const t0 = performance.now();
      const { width, height } = model.card.input;
      // An input buffer the engine has finished with is refilled rather than a new one allocated.
      const out = engine.takeSpareInput?.(3 * width * height);
      const luma = ctx.temporal?.needsLuma;
      const r = await pool.preprocess({ pixels: frame.pixels, format: frame.format, width: frame.width, height: frame.height, spec: model.card.input, layout: engine.inputLayout, luma, out });
      const { input } = r;
      frame.pixels = r.pixels;
      ctx.temporal?.noteInput(frame, input, r.luma);
      clock.add('preprocess', performance.now() - t0);
      return { frame, input };
    }),
    // An engine that smooths keeps each stream's past: it must see the frames in source order.
    ctx.temporal?.inEngine ? restoreOrder((p: { frame: F; input: Float32Array }) => p.frame.index) : identity,
    batchedConcurrency(ctx.batch, async (batch: { frame: F; input: Float32Array }[]) => {
      const t0 = performance.now();
      let outputs;
      try {
        outputs = await engine.run(batch.map((b) => b.input), { transferInputs: true, scores: true, ...ctx.temporal?.runOptions });
      } catch (err) {
        throw toSegStreamError(err, ErrorCodes.INFERENCE_FAILED, { stage: 'infer', frameIndex: batch[0]!.frame.index });
      }
      clock.add('infer', performance.now() - t0);
      return batch.map(({ frame }, i) => {
        frame.segmentation = outputs[i]!;
        return frame;
      });
    }, ctx.inferConcurrency ?? 1),
    // Batches may finish out of order; the temporal step needs source order.
    ctx.temporal
      ? pipe(
          restoreOrder((f: F) => f.index),
          map((f: F) => {
            ctx.temporal!.process(f, f.segmentation!);
            return f;
          }),
        )
      : identity,
    mergeMap(async (frame): Promise<Rendered<F>> => {
      // Nothing to draw (a log run makes its outputs in a task of its own): no round trip to a worker.
      if (!ctx.lut && !ctx.masks && !ctx.freeSpace) return { frame };
      const t0 = performance.now();
      const seg: EngineOutput = frame.segmentation!;
      const result = await pool.render({
        pixels: frame.pixels,
        format: frame.format,
        width: frame.width,
        height: frame.height,
        classMap: seg.classMap,
        mapWidth: seg.width,
        mapHeight: seg.height,
        scores: seg.scores ?? null,
        luts,
        offset: model.card.outputOffset,
        lut: ctx.lut ?? null,
        alpha: ctx.alpha,
        masks: ctx.masks,
        freeSpaceIds: ctx.freeSpace ? model.freeSpaceIds : null,
        ego: egoFor(ctx.ego, frame.width, frame.height),
      });
      frame.pixels = result.pixels;
      delete seg.scores; // moved to the worker
      clock.add('render', performance.now() - t0);
      return { frame, maskPng: result.maskPng, freeSpacePng: result.freeSpacePng };
    }),
    restoreOrder((r: Rendered<F>) => r.frame.index),
  );
}
