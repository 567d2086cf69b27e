/**
 * The summary of a frame-folder run (also its manifest): per sequence counts, sizes, videos,
 * scores and stability; the run's outputs, counts, notes and figures.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { SegStreamError } from '../../errors.js';
import { networkInputOf } from '../../infer/input-size.js';
import type { RunContext } from '../context.js';
import { framesPerSecond } from '../core/summary.js';
import type { FolderRunSummary, SequenceSummary } from './manifest.js';
import type { FolderPlan } from './run-state.js';

/** The run's summary; `runError`: the failure after which the finished frames were kept. */
export function folderSummary(p: FolderPlan, run: RunContext, runError: SegStreamError | undefined): FolderRunSummary {
  const { opts, sequences, outputs, scores, work } = p;
  const { clock } = run;
  const wallSeconds = (performance.now() - run.readyAt) / 1000;
  const labelled = (work?.sequences ?? []).reduce((n, w) => n + (p.labelTasks.get(w.seq) ? w.labelled : 0), 0);
  const unscoredSkipped =
    sequences.reduce((n, s) => n + (p.labelTasks.get(s) ? p.summaries.get(s)!.labelled : 0), 0) - labelled;
  const seqs = sequences.map((s) => sequenceFigures(p, s));
  const notes = [...p.walkNotes, ...(scores?.notes ?? [])];
  if (p.videos.size > 0 && seqs.some((s) => s.sizes.length > 1))
    notes.push(
      "frames of different sizes were scaled to the first frame's size (padded to even) in the overlay video; masks keep each frame's own size",
    );
  if (unscoredSkipped > 0)
    notes.push(
      `${unscoredSkipped} labelled frames were not scored in this run (skipped without --masks to re-score them from, or beyond --frames)`,
    );
  const engine = run.engineIfStarted;
  return {
    input: opts.input,
    recursive: opts.recursive,
    model: run.model.card.name,
    modelDir: run.model.dir,
    engine: engine?.name ?? (typeof opts.engine === 'object' ? opts.engine.name : String(opts.engine)),
    backend: engine?.backend ?? 'not started (nothing to do)',
    ...(engine ? { networkInput: networkInputOf(run.model) } : {}),
    outputs: {
      masks: opts.masks && path.resolve(opts.masks),
      freeSpace: opts.freeSpace && path.resolve(opts.freeSpace),
      kittiRoad: opts.kittiRoad && path.resolve(opts.kittiRoad),
      freeSpaceJson: opts.freeSpaceJson && path.resolve(opts.freeSpaceJson),
      videos: opts.output
        ? sequences.map((s) => outputs!.video(s)!).filter((f) => existsSync(f) && !p.abandoned.has(f))
        : undefined,
      manifest: p.manifestPath ?? '',
      perSequenceFolders: outputs!.perSequence,
    },
    sequences: seqs,
    total: sequences.reduce((n, s) => n + s.frames.length, 0),
    frames: clock.frames,
    skipped: (work?.sequences ?? []).reduce((n, w) => n + w.skipped, 0),
    fps: framesPerSecond(clock.frames, wallSeconds),
    wallSeconds: Math.round(wallSeconds * 1000) / 1000,
    stageMs: clock.perFrame(),
    ffmpegDecoded: p.decoded.ffmpeg,
    sharpDecoded: p.decoded.sharp,
    stopped: runError ? 'error' : run.stopReason === 'duration' ? 'end' : run.stopReason,
    ...(runError ? { error: { code: runError.code, message: runError.message } } : {}),
    scores: scores?.totals() ?? [],
    unscored: Math.max(0, unscoredSkipped),
    notes,
    peakRssMB: clock.peakRssMB,
    startedAt: p.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
}

/** One sequence's summary, completed with what the run saw. */
function sequenceFigures(p: FolderPlan, s: FolderPlan['sequences'][number]): SequenceSummary {
  const sum = p.summaries.get(s)!;
  sum.sizes = [...(p.sizes.get(s) ?? [])];
  const v = p.videos.get(s);
  if (v?.encoder && !p.abandoned.has(v.file)) sum.video = v.file;
  const sc = p.scores?.sequence(s.id);
  if (sc) sum.scores = sc;
  const st = p.temporal?.summary(s);
  if (st) sum.stability = st;
  return sum;
}
