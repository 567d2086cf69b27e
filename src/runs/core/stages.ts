/**
 * The stage chain of every run kind, written once:
 *
 *   prepare (worker: decode and/or resize into the network input) → infer (batched, the engine's
 *   thread) → order (+ the temporal step, in source order) → finish (worker, `core/finish.ts`) →
 *   order restored
 *
 * A kind gives its steps once per run ({@link StageSteps}); the items are its own objects, moved
 * along and filled in place (no copy per frame).
 */
import { identity, mergeMap, pipe, tap, type Observable } from 'rxjs';
import { ErrorCodes, toSegStreamError } from '../../errors.js';
import type { Engine, EngineOutput, EngineRunOptions } from '../../infer/types.js';
import { batchedConcurrency, restoreOrder } from '../operators.js';
import type { StageClock } from '../stats.js';

/** A kind's steps of the chain, made once per run. */
export interface StageSteps<T> {
  engine: Engine;
  clock: StageClock;
  /** Frames per `engine.run`. */
  batch: number;
  /** Batches allowed in the engine at once (2 keeps an engine on its own thread busy; 1 for latency). */
  inferConcurrency: number;
  /** Options of every `engine.run` of the run (made once: temporal options, road probabilities). */
  runOptions: EngineRunOptions;
  /** Position of an item in source order, from 0 without gaps. */
  order(item: T): number;
  /** The frame index errors name (default: `order`). */
  frameIndex?(item: T): number;
  /** Worker step making the network input (time counted by the step itself, e.g. `preprocess` or `decode`). */
  prepare(item: T): Promise<T>;
  /** The item's network input; undefined: the item skips inference (e.g. re-scored from a written mask). */
  input(item: T): Float32Array | undefined;
  /** Stores the engine's output on the item. */
  segmented(item: T, output: EngineOutput): void;
  /** Temporal step, in source order after inference; `inEngine`: the engine smooths, so it must see source order too. */
  temporal?: { inEngine: boolean; process(item: T): void };
  /** Worker step making the outputs (`finishFrame`), the item filled in place. */
  finish(item: T): Promise<T>;
}

/** Wires prepare → infer → order → finish → order onto `items$`. */
export function stageChain<T>(items$: Observable<T>, s: StageSteps<T>): Observable<T> {
  const order = (item: T) => s.order(item);
  const temporal = s.temporal;
  return items$.pipe(
    mergeMap((item) => s.prepare(item)),
    temporal?.inEngine ? restoreOrder(order) : identity,
    batchedConcurrency(s.batch, (batch: T[]) => inferBatch(batch, s), s.inferConcurrency),
    temporal
      ? pipe(
          restoreOrder(order),
          tap((item: T) => temporal.process(item)),
        )
      : identity,
    mergeMap((item) => s.finish(item)),
    restoreOrder(order),
  );
}

/** One `engine.run` over the items of `batch` that have an input. */
async function inferBatch<T>(batch: T[], s: StageSteps<T>): Promise<T[]> {
  const todo = batch.filter((item) => s.input(item) !== undefined);
  if (todo.length === 0) return batch;
  const t0 = performance.now();
  let outputs: EngineOutput[];
  try {
    outputs = await s.engine.run(
      todo.map((item) => s.input(item)!),
      s.runOptions,
    );
  } catch (err) {
    throw toSegStreamError(err, ErrorCodes.INFERENCE_FAILED, {
      stage: 'infer',
      frameIndex: (s.frameIndex ?? s.order)(todo[0]),
    });
  }
  s.clock.add('infer', performance.now() - t0);
  for (let i = 0; i < todo.length; i++) s.segmented(todo[i], outputs[i]);
  return batch;
}
