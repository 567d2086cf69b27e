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
import { existsSync } from 'node:fs';
import path from 'node:path';
import { concatMap, defaultIfEmpty, lastValueFrom, tap } from 'rxjs';
import { ErrorCodes, SegStreamError, optionError, toSegStreamError } from '../../errors.js';
import { InFlightGate } from '../../ingest/gate.js';
import { networkInputOf } from '../../infer/input-size.js';
import type { EngineOutput } from '../../infer/types.js';
import { buildClassLut, resolveClassSelection } from '../../render/palette.js';
import { assertWritableFile, ensureWritableDir, writeFileAtomic } from '../../sinks/atomic-file.js';
import { VideoEncoder } from '../../sinks/video-encoder.js';
import { imageSize } from '../../codecs/header.js';
import { assertOutputsOutsideInputs } from '../../datasets/input-guard.js';
import { assertOutputsSafe } from '../../sinks/output-identity.js';
import { findSequences, type Sequence } from '../../datasets/layouts.js';
import { SequenceTemporal } from '../../temporal/sequences.js';
import { RunContext } from '../context.js';
import { gatedFrom } from '../operators.js';
import { finishConstants, type FinishConstants } from '../core/finish.js';
import { stageChain, type StageSteps } from '../core/stages.js';
import { progressReporter } from '../stats.js';
import type { DecodeFrameResult, FinishFrameResult, LabelTask } from './frame-tasks.js';
import { freeSpaceLine } from '../../pixels/free-space-boundary.js';
import { FreeSpaceJsonl } from './jsonl-store.js';
import { defaultManifestPath, writeManifest, type FolderRunSummary, type SequenceSummary } from './manifest.js';
import { resolveFolderOptions, type ResolvedFolderOptions, type SegmentFolderOptions } from './options.js';
import { OUTPUT_FLAGS, OutputPlan } from './outputs.js';
import { RunScores } from './scores.js';
import { planWork, type Job, type WorkList } from './work-list.js';

/** A job on its way through the stages. */
interface Item {
  job: Job;
  /** Position in the work list: the order restored before the overlay videos and the JSONL. */
  no: number;
  decoded?: DecodeFrameResult;
  seg?: EngineOutput;
  result?: FinishFrameResult;
}

interface VideoState {
  file: string;
  width: number;
  height: number;
  encoder?: VideoEncoder;
}

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
export async function runFolders(opts: ResolvedFolderOptions, how: { sequences?: Sequence[]; manifest?: boolean; smooth?: number } = {}): Promise<FolderRun> {
  const startedAt = new Date();
  const run = new RunContext({ ...opts, maxQueue: opts.maxInFlight });
  const ffmpeg = run.binaries.ffmpeg.path;
  const { clock } = run;
  const dirs = (['masks', 'freeSpace', 'kittiRoad'] as const).filter((k) => opts[k] !== undefined);
  let jsonl: FreeSpaceJsonl | undefined;
  let sequences: Sequence[] = [];
  const videos = new Map<Sequence, VideoState>();
  const sizes = new Map<Sequence, Set<string>>();
  const summaries = new Map<Sequence, SequenceSummary>();
  let work: WorkList | undefined;
  let ffmpegDecoded = 0;
  let sharpDecoded = 0;
  let manifestPath: string | undefined;
  let plan: OutputPlan;
  let scores: RunScores | undefined;
  let labelTasks = new Map<Sequence, Omit<LabelTask, 'file'> | null>();
  let temporal: SequenceTemporal<Sequence> | undefined;
  const walkNotes: string[] = [];
  // Set once frames are on their way: a failure from then on keeps the finished frames (see runError).
  let pipelineStarted = false;
  let runError: SegStreamError | undefined;
  // Overlay videos abandoned after a failure: never claimed as outputs.
  const abandoned = new Set<string>();
  try {
    sequences = how.sequences ?? (await findSequences(opts.input, { recursive: opts.recursive, exclude: dirs.map((k) => opts[k]!), notes: walkNotes }));
    plan = new OutputPlan(opts, opts.recursive || sequences.length > 1);
    if (how.manifest !== false) manifestPath = defaultManifestPath(opts);
    await assertOutputsOutsideInputs(sequences, plan.planned(sequences, { freeSpaceJson: opts.freeSpaceJson, manifest: manifestPath }));
    // Two outputs naming one file or folder, or an output file that is a device or FIFO: refused as in video runs.
    assertOutputsSafe(undefined, [
      ...dirs.map((k) => ({ option: k, path: opts[k]!, kind: 'folder' as const })),
      ...sequences.flatMap((seq) => (plan.video(seq) ? [{ option: 'output', path: plan.video(seq)!, kind: 'file' as const }] : [])),
      ...(opts.freeSpaceJson ? [{ option: 'freeSpaceJson', path: opts.freeSpaceJson, kind: 'file' as const }] : []),
      ...(manifestPath ? [{ option: 'manifest', path: manifestPath, kind: 'file' as const }] : []),
    ]);
    for (const k of dirs) for (const seq of sequences) await ensureWritableDir(plan.dir(k, seq), OUTPUT_FLAGS[k]);
    if (opts.freeSpaceJson) await assertWritableFile(opts.freeSpaceJson, '--free-space-json');
    for (const seq of sequences) if (plan.video(seq)) await assertWritableFile(plan.video(seq)!, '-o');
    if (manifestPath) await assertWritableFile(manifestPath, '--manifest');

    let model = await run.loadModel();
    const lut = opts.output ? buildClassLut(model.card.classes, resolveClassSelection(opts.classes, model)) : null;
    if (opts.kittiRoad && model.roadIds.length === 0) {
      throw optionError('kittiRoad', `\`kittiRoad\` needs road classes, but model "${model.card.name}" has none (roles.road in its card)`);
    }
    scores = opts.score ? new RunScores(model) : undefined;
    labelTasks = new Map(sequences.map((s) => [s, scores?.labelTask(s) ?? null]));
    jsonl = opts.freeSpaceJson ? new FreeSpaceJsonl(opts.freeSpaceJson) : undefined;
    await jsonl?.open(opts.overwrite);

    work = await planResume(sequences, plan, jsonl, opts, (seq) => opts.masks !== undefined && !!labelTasks.get(seq));
    if (work.limited) run.endedBy('frames');
    for (const w of work.sequences) {
      const { seq } = w;
      summaries.set(seq, {
        id: seq.id, layout: seq.layout, dir: seq.dir, frames: seq.frames.length, processed: 0, skipped: w.skipped,
        labelled: seq.frames.filter((f) => f.label).length, ...(seq.labelFormat ? { labelFormat: seq.labelFormat } : {}), sizes: [],
      });
    }

    const frameCount = work.work;
    // One network input size for the whole run, from the first frame to segment; frames of another
    // aspect later on are stretched to it.
    const firstWork = work.firstWork();
    if (firstWork) model = await run.sizeFor(await imageSize(firstWork.file));
    if (work.size > 0) await run.start({ engine: frameCount > 0 });
    if (frameCount > 0) temporal = new SequenceTemporal(model, run.engine.inputLayout, how.smooth);
    for (const seq of sequences) {
      const file = plan.video(seq);
      const first = work.firstWork(seq);
      if (file && first) videos.set(seq, { file, ...(await imageSize(first.file)) });
    }
    const progress = progressReporter(opts.onProgress, frameCount, run.readyAt);
    opts.preview?.begin({ input: [opts.input].flat().join(' '), live: false, total: frameCount, fps: opts.fps, model, classes: opts.classes, alpha: opts.alpha, freeSpace: opts.freeSpace !== undefined || opts.freeSpaceJson !== undefined });
    const probabilities = opts.kittiRoad ? model.roadIds : undefined;
    const finishing = folderFinish(opts, model.freeSpaceIds, lut);
    const gate = new InFlightGate(opts.maxInFlight);
    const stage = async <T>(item: Item, fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        throw toSegStreamError(err, ErrorCodes.INTERNAL, { frameIndex: item.job.index });
      }
    };

    const decode = (item: Item) =>
      stage(item, async () => {
        if (item.job.rescore) return item;
        const t0 = performance.now();
        const decoded = await run.pool.decodeFrame({ file: item.job.frame.file, ffmpeg, spec: model.card.input, layout: run.engine.inputLayout });
        if (decoded.decoder === 'ffmpeg') ffmpegDecoded++;
        else if (decoded.decoder === 'sharp') sharpDecoded++;
        clock.add('decode', performance.now() - t0);
        const seqSizes = sizes.get(item.job.seq) ?? sizes.set(item.job.seq, new Set()).get(item.job.seq)!;
        seqSizes.add(`${decoded.width}x${decoded.height}`);
        if (decoded.input) temporal?.noteInput(item.job.seq, item, decoded.input);
        item.decoded = decoded;
        return item;
      });

    const finish = (item: Item) =>
      stage(item, async () => {
        const { seq, frame } = item.job;
        const labelTask = frame.label ? labelTasks.get(seq) : null;
        const label = labelTask ? { ...labelTask, file: frame.label! } : null;
        if (item.job.rescore) {
          const { width, height } = await imageSize(frame.file);
          item.result = await run.pool.finishFrame({
            classMapFile: plan.path('masks', seq, frame), width, height, classMap: new Uint8Array(0), mapWidth: width, mapHeight: height, probability: null, run: finishing.rescore, label, ffmpeg,
          });
          return item;
        }
        const { decoded, seg } = item as Required<Pick<Item, 'decoded' | 'seg'>>;
        const video = videos.get(seq);
        // Before finishFrame moves the pixels to a worker.
        opts.preview?.offerFrame({ index: item.job.index, width: decoded.width, height: decoded.height, format: 'rgb24', pixels: decoded.pixels, segmentation: seg });
        let t0 = performance.now();
        const r = await run.pool.finishFrame({
          pixels: decoded.pixels, width: decoded.width, height: decoded.height, classMap: seg.classMap, mapWidth: seg.width, mapHeight: seg.height, probability: seg.probability ?? null,
          run: video ? finishing.video : finishing.plain, videoWidth: video?.width, videoHeight: video?.height, label, ffmpeg,
        });
        clock.add('render', performance.now() - t0);
        t0 = performance.now();
        await Promise.all([
          r.maskPng && writeFileAtomic(plan.path('masks', seq, frame), r.maskPng),
          r.freeSpacePng && writeFileAtomic(plan.path('freeSpace', seq, frame), r.freeSpacePng),
          r.roadPng && writeFileAtomic(plan.path('kittiRoad', seq, frame), r.roadPng),
        ]);
        clock.add('masks', performance.now() - t0);
        item.result = r;
        return item;
      });

    // In work-list order: the overlay videos, then the JSONL line (a frame counts as complete only
    // once its files are in place), scores and counts.
    let sinking: Promise<void> = Promise.resolve();
    const sink = (item: Item) =>
      (sinking = stage(item, async () => {
        const { job } = item;
        const r = item.result!;
        if (job.rescore) {
          scores?.add(job.seq, r);
          return;
        }
        const video = videos.get(job.seq);
        if (video && r.video) {
          video.encoder ??= new VideoEncoder({
            ffmpeg, output: video.file, width: video.width, height: video.height, fps: toRational(opts.fps), crf: opts.crf, preset: opts.preset, padToEven: true, pixelFormat: 'rgb24',
          });
          await video.encoder.write(r.video);
        }
        if (jsonl && r.boundary) await jsonl.add(freeSpaceLine(job.seq.id, job.frame.stem, job.index, item.decoded!.width, item.decoded!.height, { boundary: r.boundary, freeFraction: r.freeFraction! }));
        if (job.frame.label && (r.confusion || r.road)) scores?.add(job.seq, r);
        summaries.get(job.seq)!.processed++;
        clock.frameDone();
        opts.preview?.frameDone();
        progress(clock.frames, false);
        if (job.last && video) await video.encoder?.finish();
      }));

    // Frames being finished when the run fails still complete their atomic writes before it ends.
    const inFinish = new Set<Promise<Item>>();
    const tracked = (item: Item): Promise<Item> => {
      const p = finish(item);
      inFinish.add(p);
      void p.then(
        () => inFinish.delete(p),
        () => inFinish.delete(p),
      );
      return p;
    };
    const steps: StageSteps<Item> = {
      engine: run.engine, clock, batch: opts.batch, inferConcurrency: 2, runOptions: { probabilities, transferInputs: true, ...temporal?.runOptions },
      order: (i) => i.no, frameIndex: (i) => i.job.index, prepare: decode, input: (i) => i.decoded?.input, segmented: (i, out) => (i.seg = out),
      // Stability (and smoothing) per sequence, in work-list order, before any output is made.
      temporal: temporal && { inEngine: false, process: (i) => i.seg && temporal!.process(i.job.seq, i.job.index, i, i.seg, i.job.last) },
      finish: tracked,
    };

    let failure: unknown;
    pipelineStarted = true;
    await lastValueFrom(
      gatedFrom(
        numbered(work.jobs()),
        gate,
        run.stop.signal,
      ).pipe(
        (items$) => stageChain(items$, steps),
        concatMap(sink),
        tap(() => gate.release()),
        defaultIfEmpty(undefined),
      ),
    ).catch((err: unknown) => {
      failure = err;
      run.requestStop('end');
    });
    await sinking.catch(() => {});
    await Promise.allSettled(inFinish);
    // Stopped, limited or failed part-way: close every video that was started (playable, with the frames so far).
    for (const v of videos.values()) await v.encoder?.finish().catch((err: unknown) => (failure ??= err));
    if (failure !== undefined) throw failure;
    progress(clock.frames, true);
  } catch (err) {
    for (const v of videos.values()) {
      if (v.encoder) abandoned.add(v.file);
      await v.encoder?.abort().catch(() => {});
    }
    runError = toSegStreamError(err);
    // Before any frame was taken (bad input, outputs, model) or without a manifest (evaluation): nothing to keep.
    if (!pipelineStarted || !manifestPath) throw runError;
  } finally {
    // Finished frames keep their JSONL lines even when the run failed.
    await jsonl?.finish(sequences).catch(() => {});
    await run.close();
  }

  const wallSeconds = (performance.now() - run.readyAt) / 1000;
  const labelled = (work?.sequences ?? []).reduce((n, w) => n + (labelTasks.get(w.seq) ? w.labelled : 0), 0);
  const unscoredSkipped = sequences.reduce((n, s) => n + (labelTasks.get(s) ? summaries.get(s)!.labelled : 0), 0) - labelled;
  const seqs = sequences.map((s) => {
    const sum = summaries.get(s)!;
    sum.sizes = [...(sizes.get(s) ?? [])];
    const v = videos.get(s);
    if (v?.encoder && !abandoned.has(v.file)) sum.video = v.file;
    const sc = scores?.sequence(s.id);
    if (sc) sum.scores = sc;
    const st = temporal?.summary(s);
    if (st) sum.stability = st;
    return sum;
  });
  const notes = [...walkNotes, ...(scores?.notes ?? [])];
  if (videos.size > 0 && seqs.some((s) => s.sizes.length > 1)) notes.push('frames of different sizes were scaled to the first frame\'s size (padded to even) in the overlay video; masks keep each frame\'s own size');
  if (unscoredSkipped > 0) notes.push(`${unscoredSkipped} labelled frames were not scored in this run (skipped without --masks to re-score them from, or beyond --frames)`);
  const engine = run.engineIfStarted;
  const summary: FolderRunSummary = {
    input: opts.input,
    recursive: opts.recursive,
    model: run.model.card.name,
    modelDir: run.model.dir,
    engine: engine?.name ?? String(opts.engine),
    backend: engine?.backend ?? 'not started (nothing to do)',
    ...(engine ? { networkInput: networkInputOf(run.model) } : {}),
    outputs: {
      masks: opts.masks && path.resolve(opts.masks),
      freeSpace: opts.freeSpace && path.resolve(opts.freeSpace),
      kittiRoad: opts.kittiRoad && path.resolve(opts.kittiRoad),
      freeSpaceJson: opts.freeSpaceJson && path.resolve(opts.freeSpaceJson),
      videos: opts.output ? sequences.map((s) => plan.video(s)!).filter((f) => existsSync(f) && !abandoned.has(f)) : undefined,
      manifest: manifestPath ?? '',
      perSequenceFolders: plan!.perSequence,
    },
    sequences: seqs,
    total: sequences.reduce((n, s) => n + s.frames.length, 0),
    frames: clock.frames,
    skipped: (work?.sequences ?? []).reduce((n, w) => n + w.skipped, 0),
    fps: Math.round((clock.frames / Math.max(wallSeconds, 1e-6)) * 100) / 100,
    wallSeconds: Math.round(wallSeconds * 1000) / 1000,
    stageMs: clock.perFrame(),
    ffmpegDecoded,
    sharpDecoded,
    stopped: runError ? 'error' : run.stopReason === 'duration' ? 'end' : run.stopReason,
    ...(runError ? { error: { code: runError.code, message: runError.message } } : {}),
    scores: scores?.totals() ?? [],
    unscored: Math.max(0, unscoredSkipped),
    notes,
    peakRssMB: clock.peakRssMB,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
  if (manifestPath) {
    const { signal: _s, onProgress: _p, preview: _v, model: m, engine: e, ...rest } = opts;
    await writeManifest(manifestPath, summary, { ...rest, model: typeof m === 'object' ? m.dir : m, engine: typeof e === 'object' ? e.name : e });
  }
  if (runError) throw keptAfterFailure(runError, clock.frames, manifestPath!);
  return { summary, scores };
}

/**
 * Resume: which frames are complete (every requested output in place, its JSONL line written, and
 * for a sequence with a video, the video and every frame), which are to do.
 */
function planResume(sequences: Sequence[], plan: OutputPlan, jsonl: FreeSpaceJsonl | undefined, opts: ResolvedFolderOptions, rescore: (seq: Sequence) => boolean): Promise<WorkList> {
  // A run that writes nothing per frame (evaluation) has no finished frames to skip.
  const resumable = plan.kinds.length > 0 || jsonl !== undefined;
  return planWork(sequences, {
    budget: opts.frames ?? Infinity,
    rescore,
    done: async (seq) => {
      let done = opts.overwrite || !resumable ? seq.frames.map(() => false) : await plan.completeFrames(seq);
      if (jsonl) done = done.map((d, i) => d && jsonl.has(seq.id, seq.frames[i]!.stem));
      const video = plan.video(seq);
      // A video cannot be resumed part-way: a sequence with -o is skipped only when everything, video included, exists.
      if (video && !(existsSync(video) && done.every(Boolean))) done = done.map(() => false);
      return done;
    },
  });
}

/** Items numbered in work-list order, made one at a time as the run takes them (none kept here). */
function* numbered(jobs: Iterable<Job>): Generator<Item> {
  let no = 0;
  for (const job of jobs) yield { job, no: no++ };
}

/** The run's error, saying what it kept. */
function keptAfterFailure(err: SegStreamError, frames: number, manifest: string): SegStreamError {
  return new SegStreamError(err.code, `${err.message.replace(/:\s*$/, '')}; the ${frames} frames finished before it are kept, listed in ${manifest}`, { context: err.context, cause: err.cause ?? err });
}

function toRational(fps: number): { num: number; den: number } {
  return Number.isInteger(fps) ? { num: fps, den: 1 } : { num: Math.round(fps * 1000), den: 1000 };
}

/** The finish constants of a folder run: sequences with an overlay video, without one, and re-scored frames. */
function folderFinish(opts: ResolvedFolderOptions, freeSpaceIds: number[], lut: Uint8Array | null): Record<'video' | 'plain' | 'rescore', FinishConstants> {
  const free = opts.freeSpace !== undefined || opts.freeSpaceJson !== undefined;
  const base = { alpha: opts.alpha, masks: opts.masks !== undefined, freeSpaceIds: free ? freeSpaceIds : null, freeSpacePng: opts.freeSpace !== undefined, boundary: opts.freeSpaceJson !== undefined };
  return {
    video: finishConstants({ ...base, lut }),
    plain: finishConstants({ ...base, lut: null }),
    rescore: finishConstants({ lut: null, alpha: 0, masks: false, freeSpaceIds: null }),
  };
}
