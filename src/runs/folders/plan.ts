/**
 * The plan of a frame-folder run: sequences found, outputs checked, resume decided (which frames
 * are complete), the network size from the first frame to segment, the overlay videos' sizes,
 * the sinks. The plan also holds the run's counts, filled as frames pass (see `steps.ts`).
 */
import { existsSync } from 'node:fs';
import { optionError } from '../../errors.js';
import { InFlightGate } from '../../ingest/gate.js';
import { legendEntries, makeLegendStamp, type LegendStamp } from '../../render/legend.js';
import { overlayLut } from '../../render/palettes.js';
import { resolveEgoMask } from '../../render/ego-mask-source.js';
import type { EgoMask } from '../../pixels/ego-mask.js';
import { headLookup } from '../../infer/argmax.js';
import type { LoadedModel } from '../../infer/types.js';
import { assertWritableFile, ensureWritableDir } from '../../sinks/atomic-file.js';
import { imageSize } from '../../codecs/header.js';
import { assertOutputsOutsideInputs } from '../../datasets/input-guard.js';
import { assertOutputsSafe } from '../../sinks/output-identity.js';
import { findSequences, type Sequence } from '../../datasets/layouts.js';
import { SequenceTemporal } from '../../temporal/sequences.js';
import type { RunContext } from '../context.js';
import { finishConstants, type FinishConstants } from '../core/finish.js';
import { progressReporter } from '../stats.js';
import { FreeSpaceJsonl } from './jsonl-store.js';
import { defaultManifestPath, type SequenceSummary } from './manifest.js';
import type { ResolvedFolderOptions } from './options.js';
import { OUTPUT_FLAGS, OutputPlan } from './outputs.js';
import { RunScores } from './scores.js';
import { planWork, type WorkList } from './work-list.js';
import { folderSinks } from './sinks.js';
import { folderFrameDone } from './steps.js';
import type { FolderHow, FolderPlan, FolderRunOptions, VideoState } from './run-state.js';

export type { FolderHow, FolderPlan, FolderRunOptions, VideoState };

/** A plan with nothing decided yet. */
function emptyFolderPlan(opts: FolderRunOptions, run: RunContext): FolderPlan {
  const p: FolderPlan = {
    opts,
    startedAt: new Date(),
    ffmpeg: run.binaries.ffmpeg.path,
    sequences: [],
    walkNotes: [],
    labelTasks: new Map(),
    videos: new Map(),
    sizes: new Map(),
    summaries: new Map(),
    decoded: { ffmpeg: 0, sharp: 0 },
    abandoned: new Set(),
    sinks: [],
    gate: new InFlightGate(opts.maxInFlight),
    progress: () => {},
    frameDone: (item) => folderFrameDone(p, run, item),
  };
  return p;
}

/** Finds the sequences, checks every output, reads the JSONL kept, plans the work and the sinks, starts the engine. */
export async function planFolders(opts: FolderRunOptions, run: RunContext): Promise<FolderPlan> {
  const p = emptyFolderPlan(opts, run);
  const how = opts.how ?? {};
  const dirs = (['masks', 'freeSpace', 'kittiRoad'] as const).filter((k) => opts[k] !== undefined);
  p.sequences =
    how.sequences ??
    (await findSequences(opts.input, {
      recursive: opts.recursive,
      exclude: dirs.map((k) => opts[k]!),
      notes: p.walkNotes,
    }));
  const outputs = (p.outputs = new OutputPlan(opts, opts.recursive || p.sequences.length > 1));
  if (how.manifest !== false) p.manifestPath = defaultManifestPath(opts);
  // Before any output folder is made: a bad ego mask fails the run with nothing written.
  const ego = await folderEgoMask(opts.egoMask, p.sequences);
  await checkOutputs(p, outputs, dirs);
  let model = await run.loadModel();
  const lut = opts.output ? overlayLut(model, opts.classes, opts.palette) : null;
  if (opts.kittiRoad && model.roadIds.length === 0) {
    throw optionError(
      'kittiRoad',
      `\`kittiRoad\` needs road classes, but model "${model.card.name}" has none (roles.road in its card)`,
    );
  }
  p.scores = opts.score ? new RunScores(model) : undefined;
  p.labelTasks = new Map(p.sequences.map((s) => [s, p.scores?.labelTask(s) ?? null]));
  p.jsonl = opts.freeSpaceJson ? new FreeSpaceJsonl(opts.freeSpaceJson) : undefined;
  await p.jsonl?.load(opts.overwrite);
  p.sinks = folderSinks(p, run);
  const work = (p.work = await planResume(p, outputs));
  if (work.limited) run.endedBy('frames');
  for (const w of work.sequences) p.summaries.set(w.seq, sequenceSummary(w.seq, w.skipped));
  // One network input size for the whole run, from the first frame to segment; frames of another
  // aspect later on are stretched to it.
  const firstWork = work.firstWork();
  if (firstWork) model = await run.sizeFor(await imageSize(firstWork.file));
  p.model = model;
  if (work.size > 0) await run.start({ engine: work.work > 0 });
  if (work.work > 0) p.temporal = new SequenceTemporal(model, run.engine.inputLayout, how.smooth);
  for (const seq of p.sequences) {
    const file = outputs.video(seq);
    const first = work.firstWork(seq);
    if (file && first) p.videos.set(seq, { file, ...(await imageSize(first.file)) });
  }
  p.progress = progressReporter(opts.onProgress, work.work, run.readyAt);
  opts.preview?.begin({
    input: [opts.input].flat().join(' '),
    live: false,
    total: work.work,
    fps: opts.fps,
    model,
    classes: opts.classes,
    alpha: opts.alpha,
    palette: opts.palette,
    freeSpace: opts.freeSpace !== undefined || opts.freeSpaceJson !== undefined,
  });
  const height = [...p.videos.values()][0]?.height;
  const legend = lut && opts.legend && height ? await makeLegendStamp(legendEntries(model, lut), height) : null;
  p.finish = folderFinish(opts, model, lut, ego, legend);
  return p;
}

/** Outputs outside the inputs, distinct, writable. */
async function checkOutputs(
  p: FolderPlan,
  outputs: OutputPlan,
  dirs: readonly ('masks' | 'freeSpace' | 'kittiRoad')[],
): Promise<void> {
  const { opts, sequences, manifestPath } = p;
  await assertOutputsOutsideInputs(
    sequences,
    outputs.planned(sequences, { freeSpaceJson: opts.freeSpaceJson, manifest: manifestPath }),
  );
  // Two outputs naming one file or folder, or an output file that is a device or FIFO: refused as in video runs.
  assertOutputsSafe(undefined, [
    ...dirs.map((k) => ({ option: k, path: opts[k]!, kind: 'folder' as const })),
    ...sequences.flatMap((seq) =>
      outputs.video(seq) ? [{ option: 'output', path: outputs.video(seq)!, kind: 'file' as const }] : [],
    ),
    ...(opts.freeSpaceJson ? [{ option: 'freeSpaceJson', path: opts.freeSpaceJson, kind: 'file' as const }] : []),
    ...(manifestPath ? [{ option: 'manifest', path: manifestPath, kind: 'file' as const }] : []),
  ]);
  for (const k of dirs) for (const seq of sequences) await ensureWritableDir(outputs.dir(k, seq), OUTPUT_FLAGS[k]);
  if (opts.freeSpaceJson) await assertWritableFile(opts.freeSpaceJson, '--free-space-json');
  for (const seq of sequences) if (outputs.video(seq)) await assertWritableFile(outputs.video(seq)!, '-o');
  if (manifestPath) await assertWritableFile(manifestPath, '--manifest');
}

function sequenceSummary(seq: Sequence, skipped: number): SequenceSummary {
  return {
    id: seq.id,
    layout: seq.layout,
    dir: seq.dir,
    frames: seq.frames.length,
    processed: 0,
    skipped,
    labelled: seq.frames.filter((f) => f.label).length,
    ...(seq.labelFormat ? { labelFormat: seq.labelFormat } : {}),
    sizes: [],
  };
}

/**
 * Resume: which frames are complete (every requested output in place, its JSONL line written, and
 * for a sequence with a video, the video and every frame), which are to do.
 */
function planResume(p: FolderPlan, outputs: OutputPlan): Promise<WorkList> {
  const { opts, jsonl } = p;
  // A run that writes nothing per frame (evaluation) has no finished frames to skip.
  const resumable = outputs.kinds.length > 0 || jsonl !== undefined;
  return planWork(p.sequences, {
    budget: opts.frames ?? Infinity,
    rescore: (seq) => opts.masks !== undefined && !!p.labelTasks.get(seq),
    done: async (seq) => {
      let done = opts.overwrite || !resumable ? seq.frames.map(() => false) : await outputs.completeFrames(seq);
      if (jsonl) done = done.map((d, i) => d && jsonl.has(seq.id, seq.frames[i].stem));
      const video = outputs.video(seq);
      // A video cannot be resumed part-way: a sequence with -o is skipped only when everything, video included, exists.
      if (video && !(existsSync(video) && done.every(Boolean))) done = done.map(() => false);
      return done;
    },
  });
}

/** The finish constants of a folder run: sequences with an overlay video, without one, and re-scored frames. */
function folderFinish(
  opts: ResolvedFolderOptions,
  model: LoadedModel,
  lut: Uint8Array | null,
  ego: EgoMask | null,
  legend: LegendStamp | null,
): Record<'video' | 'plain' | 'rescore', FinishConstants> {
  const free = opts.freeSpace !== undefined || opts.freeSpaceJson !== undefined;
  // The finish worker takes each pixel's class from the bilinear scores (smoothed ones when smoothing).
  const base = {
    alpha: opts.alpha,
    masks: opts.masks !== undefined,
    freeSpaceIds: free ? model.freeSpaceIds : null,
    freeSpacePng: opts.freeSpace !== undefined,
    boundary: opts.freeSpaceJson !== undefined,
    luts: model.card.heads.map(headLookup),
    offset: model.card.outputOffset,
    ego,
  };
  return {
    video: finishConstants({ ...base, lut, legend }),
    plain: finishConstants({ ...base, lut: null }),
    rescore: finishConstants({ lut: null, alpha: 0, masks: false, freeSpaceIds: null }),
  };
}

/** Option `egoMask` for frame folders: a PNG at the size of the first frame (frames of another size fail); `auto` is for videos. */
async function folderEgoMask(option: string | undefined, sequences: Sequence[]): Promise<EgoMask | null> {
  if (option === undefined) return null;
  if (option === 'auto')
    throw optionError(
      'egoMask',
      '`egoMask` auto works on video files and live streams; for frame folders give a 0/255 PNG (e.g. one written by a video run of the same camera)',
    );
  const first = sequences.find((s) => s.frames.length > 0)?.frames[0];
  if (!first) return null;
  const { width, height } = await imageSize(first.file);
  return (await resolveEgoMask(option, { ffmpeg: '', input: first.file, width, height }))!.mask;
}
