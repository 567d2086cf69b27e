/**
 * The per-frame stages of a video or live run: the shared chain (`core/stages.ts`) with the
 * decoded-frame steps (`core/frame-steps.ts`): worker preprocess → batched inference → temporal
 * step → worker finish (overlay, masks) → decode order restored.
 */
import { map, type Observable } from 'rxjs';
import type { Engine, LoadedModel } from '../../infer/types.js';
import type { TemporalStage } from '../../temporal/stage.js';
import type { Frame } from '../../types.js';
import type { FramePool } from '../frame-pool.js';
import type { StageClock } from '../stats.js';
import { finishConstants } from '../core/finish.js';
import { frameSteps, type FrameItem } from '../core/frame-steps.js';
import { stageChain } from '../core/stages.js';

/** A frame after rendering, with its encoded masks when asked for. */
export type Rendered<F extends Frame = Frame> = FrameItem<F>;

/** What the stages need. */
export interface StageContext {
  pool: FramePool;
  engine: Engine;
  model: LoadedModel;
  clock: StageClock;
  batch: number;
  /** Batches allowed in the engine at once (default 1; 2 keeps an engine on its own thread busy). */
  inferConcurrency?: number;
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
  const finish = finishConstants({
    lut: ctx.lut ?? null,
    alpha: ctx.alpha,
    masks: ctx.masks,
    freeSpaceIds: ctx.freeSpace ? ctx.model.freeSpaceIds : null,
  });
  const steps = frameSteps<F>({ ...ctx, finish });
  return stageChain(frames$.pipe(map((frame): Rendered<F> => ({ frame }))), steps);
}
