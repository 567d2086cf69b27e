/**
 * A run over frame folders, on the run core's scheduler like a video run:
 *
 *   work list (gated) ─► worker: read + decode + preprocess ─► engine (batched, own thread)
 *     ─► worker: full-size masks, free-space boundary, road map, overlay, scores ─► atomic writes
 *     ─► order restored ─► overlay video, JSONL, counts
 *
 * with at most `maxInFlight` frames between the work list and the end, so decoding, inference and
 * encoding of different frames overlap on every core. Frames whose outputs are complete are
 * skipped (not decoded); frames are independent, so one run covers many sequences. Evaluation
 * (`evaluateDataset`) is this run with scoring and no outputs.
 */
import { SegStreamError, toSegStreamError } from '../../errors.js';
import { RunContext } from '../context.js';
import { eachSink } from '../core/sink.js';
import { writeManifest, type FolderRunSummary } from './manifest.js';
import { resolveFolderOptions, type ResolvedFolderOptions, type SegmentFolderOptions } from './options.js';
import { emptyFolderPlan, planFolders, type FolderHow } from './plan.js';
import type { RunScores } from './scores.js';
import { runFolderFrames } from './steps.js';
import { folderSummary } from './summary.js';

/** A folder run's result, with its scores for callers that read them further (evaluation). */
export interface FolderRun {
  summary: FolderRunSummary;
  scores?: RunScores;
}

/**
 * Segments folders of frames (KITTI, CamVid, Cityscapes layouts, plain folders, globs): masks,
 * free-space masks and boundary JSONL, KITTI road confidence maps, overlay videos, scores, and a
 * manifest; resumable.
 *
 * @example
 * ```ts
 * const s = await segmentFolder({ input: 'kitti/2011_09_26_drive_0005_sync', masks: 'out/masks', freeSpaceJson: 'out/fs.jsonl' });
 * console.log(s.frames, s.skipped, s.fps);
 * ```
 * @throws {SegStreamError} with a stable code: bad input (`INPUT_NOT_FOUND`, `NO_FRAMES`,
 *   `INPUT_CORRUPT` naming the file), unwritable outputs or outputs in a folder the run reads
 *   (`INVALID_OPTION`), model/engine errors. A run that fails part-way keeps the frames it finished,
 *   writes the manifest (`stopped: "error"` and the `error`) and throws the error, saying so.
 */
export async function segmentFolder(options: SegmentFolderOptions): Promise<FolderRunSummary> {
  return (await runFolders(resolveFolderOptions(options))).summary;
}

/**
 * The frame-folder run itself. `sequences` replaces finding them from `opts.input`; without
 * `manifest` no manifest is written (evaluation); `smooth` smooths each sequence's labels over
 * its frames in order (evaluation's `--smooth`; checked by the caller).
 */
export async function runFolders(opts: ResolvedFolderOptions, how: FolderHow = {}): Promise<FolderRun> {
  const run = new RunContext({ ...opts, maxQueue: opts.maxInFlight });
  const p = emptyFolderPlan(opts, run);
  // Set once frames are on their way: a failure from then on keeps the finished frames (see runError).
  let pipelineStarted = false;
  let runError: SegStreamError | undefined;
  try {
    await planFolders(p, run, how);
    pipelineStarted = true;
    const failed = await runFolderFrames(p, run);
    let failure: { err: unknown } | undefined = failed === undefined ? undefined : { err: failed };
    // Stopped, limited or failed part-way: every video that was started is closed (playable, with the frames so far), the JSONL completed.
    await eachSink(p.sinks, (s) => s.finish()).catch((err: unknown) => (failure ??= { err }));
    if (failure) throw failure.err;
    p.progress!(run.clock.frames, true);
  } catch (err) {
    await Promise.all(p.sinks.map((s) => s.abort()));
    runError = toSegStreamError(err);
    // Before any frame was taken (bad input, outputs, model) or without a manifest (evaluation): nothing to keep.
    if (!pipelineStarted || !p.manifestPath) throw runError;
  } finally {
    // Before any sink existed (bad input, outputs): the JSONL opened is closed all the same.
    if (p.sinks.length === 0) await p.jsonl?.finish(p.sequences).catch(() => {});
    await run.close();
  }
  const summary = folderSummary(p, run, runError);
  if (p.manifestPath) {
    const { signal: _s, onProgress: _p, preview: _v, model: m, engine: e, ...rest } = opts;
    await writeManifest(p.manifestPath, summary, {
      ...rest,
      model: typeof m === 'object' ? m.dir : m,
      engine: typeof e === 'object' ? e.name : e,
    });
  }
  if (runError) throw keptAfterFailure(runError, run.clock.frames, p.manifestPath!);
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
