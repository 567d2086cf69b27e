/**
 * The evaluation kind on the run-kind contract (`core/run-kind.ts`): a frame-folder run of a
 * labelled split's images with scoring on and no outputs (`folders/kind.ts`: the same plan,
 * frames, stages and sinks), with its own options (the dataset listed, its label space) and its
 * own summary (the metrics). An evaluation of part of a split is no measurement: a failure keeps
 * nothing, a stop is an error.
 */
import { ErrorCodes, SegStreamError, invalidOption } from '../../errors.js';
import type { LoadedModel } from '../../infer/types.js';
import { loadModel } from '../../infer/model-card.js';
import { listDataset, type Dataset } from '../../datasets/labelled.js';
import { labelSpaceFor, type LabelSpace } from '../../datasets/label-maps.js';
import type { Sequence } from '../../datasets/layouts.js';
import { ConfusionMatrix, computeMetrics } from '../../datasets/metrics.js';
import { checkSmooth } from '../../temporal/stage.js';
import { StabilityMeter } from '../../temporal/stability.js';
import type { EngineName } from '../../infer/types.js';
import type { RunContext } from '../context.js';
import type { RunKind } from '../core/run-kind.js';
import { folderKind } from '../folders/kind.js';
import { planFolders } from '../folders/plan.js';
import { resolveFolderOptions } from '../folders/options.js';
import type { FolderPlan, FolderRunOptions, Item } from '../folders/run-state.js';
import { EVAL_DEFAULTS, EVAL_METHOD, type EvalResult, type EvaluateOptions } from './options.js';

/** An evaluation's options: the folder run's over the split's images, the dataset and how it is scored. */
export type EvalRunOptions = FolderRunOptions & {
  evaluation: { dataset: Dataset; space: LabelSpace; model: LoadedModel; smooth: number };
};

/** Evaluation on a labelled dataset split. */
export const evalKind: RunKind<EvaluateOptions, EvalRunOptions, FolderPlan, Item, Item, EvalResult> = {
  resolve: resolveEval,
  plan: planFolders,
  frames: (p, run) => folderKind.frames(p, run),
  stages: (p, run, frames$) => folderKind.stages(p, run, frames$),
  summary: evalSummary,
};

/** Checks the options, lists the split, loads the model; the folder run over the split's images, one sequence. */
async function resolveEval(options: EvaluateOptions): Promise<EvalRunOptions> {
  const prefetch = options.prefetch ?? EVAL_DEFAULTS.prefetch;
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 8)
    throw invalidOption('prefetch', 'an integer from 1 to 8', options.prefetch);
  if (options.smooth !== undefined) checkSmooth(options.smooth);
  const dataset = await listDataset({
    dir: options.dir,
    split: options.split ?? EVAL_DEFAULTS.split,
    format: options.format,
    limit: options.frames,
    fold: options.fold,
    sequences: options.sequences,
  });
  const model =
    typeof options.model === 'object' ? options.model : await loadModel(options.model ?? EVAL_DEFAULTS.model);
  const space = labelSpaceFor(dataset.format, model);
  if (options.signal?.aborted) throw abortedError();
  const sequence: Sequence = {
    id: '',
    layout: dataset.format,
    dir: dataset.dir,
    frames: dataset.samples.map((s) => ({ file: s.image, stem: s.name, label: s.label })),
    labelFormat: dataset.format,
  };
  const opts = resolveFolderOptions(
    {
      input: dataset.dir,
      model,
      engine: options.engine,
      device: options.device,
      threads: options.threads,
      workers: options.workers,
      // Frames between listing and scoring: `prefetch` ahead of the one in the engine and the one being scored.
      maxInFlight: options.prefetch === undefined ? undefined : prefetch + 2,
      ffmpegPath: options.ffmpegPath,
      signal: options.signal,
      onProgress: options.onProgress,
    },
    false,
  );
  return Object.assign(opts, {
    how: { sequences: [sequence], manifest: false, smooth: options.smooth },
    evaluation: { dataset, space, model, smooth: options.smooth ?? 0 },
  });
}

/** The metrics of the run's scores. */
async function evalSummary(p: FolderPlan, run: RunContext): Promise<EvalResult> {
  const { summary, scores } = await folderKind.summary(p, run);
  if (summary.stopped === 'signal') throw abortedError();
  const { dataset: ds, space, model, smooth } = (p.opts as EvalRunOptions).evaluation;
  const cm = scores?.confusion(ds.format) ?? new ConfusionMatrix(space.classes);
  const metrics = computeMetrics(cm, space.freeSpace);
  return {
    model: model.card.name,
    engine: summary.engine as EngineName,
    backend: summary.backend,
    ...(summary.networkInput ? { networkInput: summary.networkInput } : {}),
    dataset: ds.dir,
    split: ds.split,
    format: ds.format,
    labelSpace: space.name,
    frames: summary.frames,
    ...(ds.subset ? { subset: ds.subset } : {}),
    miou: metrics.miou,
    pixelAccuracy: metrics.pixelAccuracy,
    perClass: metrics.perClass,
    freeSpace: metrics.freeSpace,
    fps: summary.fps,
    wallSeconds: summary.wallSeconds,
    pixels: cm.total,
    confusion: cm.rows(),
    method: EVAL_METHOD,
    stability: {
      smooth,
      ...(summary.sequences[0]?.stability ?? new StabilityMeter(model.card.classes.map((c) => c.name)).summary()),
    },
  };
}

function abortedError(): SegStreamError {
  return new SegStreamError(ErrorCodes.ABORTED, 'the evaluation was stopped before the last image', {
    context: { stage: 'eval' },
  });
}
