/**
 * The frame-folder kind (frame folders, datasets, `seg-stream batch`) on the run-kind contract
 * (`core/run-kind.ts`):
 *
 *   plan (sequences, outputs, resume, network size) → frames (the work list, gated) → the shared
 *   stage chain (decode + preprocess in a worker, engine, finish + scores in a worker) → sinks
 *   (PNG folders and overlay videos, then the JSONL) → summary and manifest
 *
 * Frames are independent, so a failure part-way keeps the frames finished before it: their
 * files stay, the manifest lists them with the error, and the error says so.
 */
import { SegStreamError, toSegStreamError } from '../../errors.js';
import type { RunContext } from '../context.js';
import type { RunKind } from '../core/run-kind.js';
import { stageChain } from '../core/stages.js';
import { writeManifest, type FolderRunSummary } from './manifest.js';
import { planFolders, type FolderPlan, type FolderRunOptions } from './plan.js';
import type { Item } from './run-state.js';
import type { RunScores } from './scores.js';
import { folderFrames, folderSteps } from './steps.js';
import { folderSummary } from './summary.js';

/** A folder run's result, with its scores for callers that read them further (evaluation). */
export interface FolderRun {
  summary: FolderRunSummary;
  scores?: RunScores;
}

/** Frame folders and datasets. `resolve` takes options already resolved (`resolveFolderOptions`), with how the run is called. */
export const folderKind: RunKind<FolderRunOptions, FolderRunOptions, FolderPlan, Item, Item, FolderRun> = {
  resolve: (opts) => opts,
  plan: planFolders,
  frames: folderFrames,
  stages: (p, run, frames$) => stageChain(frames$, folderSteps(p, run)),
  // Frames are independent: whatever failed, the finished ones are kept (and listed in the manifest).
  keeps: () => true,
  summary: folderRunSummary,
  failure: (err, _opts, p) => p?.kept ?? toSegStreamError(err),
};

/** The summary, written as the manifest (also after a failure part-way, with the error). */
async function folderRunSummary(p: FolderPlan, run: RunContext, failure?: unknown): Promise<FolderRun> {
  const runError = failure === undefined ? undefined : toSegStreamError(failure);
  if (!runError) p.progress(run.clock.frames, true);
  const summary = folderSummary(p, run, runError);
  if (p.manifestPath) {
    const { signal: _s, onProgress: _p, preview: _v, how: _h, model: m, engine: e, ...rest } = p.opts;
    await writeManifest(p.manifestPath, summary, {
      ...rest,
      model: typeof m === 'object' ? m.dir : m,
      engine: typeof e === 'object' ? e.name : e,
    });
    if (runError) p.kept = keptAfterFailure(runError, run.clock.frames, p.manifestPath);
  }
  return { summary, scores: p.scores };
}

/** The run's error, saying what it kept. */
function keptAfterFailure(err: SegStreamError, frames: number, manifest: string): SegStreamError {
  return new SegStreamError(
    err.code,
    `${err.message.replace(/:\s*$/, '')}; the ${frames} frames finished before it are kept, listed in ${manifest}`,
    { context: err.context, cause: err.cause ?? err },
  );
}
