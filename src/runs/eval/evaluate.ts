/**
 * Accuracy of a model on a labelled dataset, measured through the same TypeScript pipeline that
 * segments video: worker preprocessing, the chosen engine, pixel-centre nearest upscaling. The
 * public entry and its types; the run is the evaluation kind (`kind.ts`) on the run-kind contract.
 */
import { runKind } from '../core/run-kind.js';
import { evalKind } from './kind.js';
import type { EvalResult, EvaluateOptions } from './options.js';

export { EVAL_DEFAULTS, EVAL_METHOD, type EvalResult, type EvaluateOptions } from './options.js';

/**
 * Evaluates a model on a labelled dataset split through the pipeline's own steps: it is a
 * frame-folder run of the split's images with scoring on and no outputs, so images are decoded,
 * preprocessed, inferred and scored exactly as `seg-stream <folder>` would.
 *
 * Prediction method (see {@link EVAL_METHOD}): the image is decoded in a worker and preprocessed
 * as in every run (stretch to the card's input size, bilinear with half-pixel centres, normalise),
 * `engine.run` gives the network's scores, and `classMapAt` takes each label pixel's class from
 * the bilinear-resized scores (the same function as the masks and overlays of every run); it is
 * compared with the label pixel by pixel, in the workers, while the next images are decoded and
 * inferred.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INPUT_NOT_FOUND` / `_NO_FRAMES` / `_INPUT_CORRUPT` for a
 *   bad dataset folder (see {@link listDataset}) or a damaged image or label; model and engine
 *   errors with their codes; `SEGSTREAM_ERR_ABORTED` when `signal` aborts (an evaluation of part
 *   of a split is no measurement)
 * @example
 * ```ts
 * const r = await evaluateDataset({ dir: '/data/camvid', split: 'val', model: 'camvid-default' });
 * console.log(r.miou, r.perClass.Road, r.fps);
 * ```
 */
export function evaluateDataset(options: EvaluateOptions): Promise<EvalResult> {
  return runKind(evalKind, options);
}
