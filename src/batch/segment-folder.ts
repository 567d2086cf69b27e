/**
 * A run over frame folders: every frame goes
 *
 *   worker: read + decode (TS PNG decoder / ffmpeg for JPEG) + preprocess
 *     ─► engine (batched, main thread)
 *     ─► worker: full-size masks, free-space boundary, road map, overlay, scores
 *     ─► atomic writes (+ overlay video in order, JSONL journal)
 *
 * with up to `maxInFlight` frames in flight, so decoding, inference and encoding of different
 * frames overlap on every core. Frames whose outputs are complete are skipped (not decoded);
 * frames are independent, so one run covers many sequences.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { resolveFfmpeg } from '../config/ffmpeg-binaries.js';
import { ErrorCodes, SegStreamError, toSegStreamError } from '../errors.js';
import { createEngine } from '../infer/engine.js';
import { DEFAULT_MODEL, loadModel } from '../infer/model-card.js';
import type { Engine, EngineOutput } from '../infer/types.js';
import { StageClock, progressReporter } from '../pipeline/stats.js';
import { buildClassLut, resolveClassSelection } from '../render/palette.js';
import { assertWritableFile, ensureWritableDir, writeFileAtomic } from '../sinks/atomic-file.js';
import { VideoEncoder } from '../sinks/video-encoder.js';
import { SequenceStability } from '../temporal/sequence-stability.js';
import { createWorkerPool, type WorkerPool } from '../workers/pool.js';
import type { FinishFrameResult, LabelTask } from '../workers/batch-tasks.js';
import { freeSpaceLine } from './free-space-boundary.js';
import { imageSize } from './image-size.js';
import { FreeSpaceJsonl } from './jsonl-store.js';
import { findSequences, type FrameEntry, type Sequence } from './layouts.js';
import { defaultManifestPath, writeManifest, type FolderRunSummary, type SequenceSummary } from './manifest.js';
import { resolveFolderOptions, type SegmentFolderOptions } from './options.js';
import { OutputPlan } from './outputs.js';
import { RunScores } from './scores.js';

interface Job {
  seq: Sequence;
  frame: FrameEntry;
  index: number;
  /** Re-score a skipped frame from its saved mask instead of processing it. */
  rescore: boolean;
  /** Last frame of its sequence in this run (closes the sequence's video). */
  last: boolean;
}

interface VideoState {
  file: string;
  width: number;
  height: number;
  encoder?: VideoEncoder;
  chain: Promise<void>;
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
 *   `INPUT_CORRUPT` naming the file), unwritable outputs, model/engine errors
 */
export async function segmentFolder(options: SegmentFolderOptions): Promise<FolderRunSummary> {
  const opts = resolveFolderOptions(options);
  const startedAt = new Date();
  const ffmpeg = resolveFfmpeg({ ffmpegPath: opts.ffmpegPath, ffprobePath: opts.ffprobePath }).ffmpeg.path;
  const dirs = (['masks', 'freeSpace', 'kittiRoad'] as const).filter((k) => opts[k] !== undefined);
  const sequences = await findSequences(opts.input, { recursive: opts.recursive, exclude: dirs.map((k) => opts[k]!) });
  const plan = new OutputPlan(opts, opts.recursive || sequences.length > 1);
  for (const k of dirs) {
    const clash = sequences.find((s) => plan.dir(k, s) === path.resolve(s.dir));
    if (clash) throw new SegStreamError(ErrorCodes.USAGE, `${flag(k)} ${opts[k]} is the folder of the input frames; outputs named after the frames would overwrite them: choose another folder`);
  }
  for (const k of dirs) for (const seq of sequences) await ensureWritableDir(plan.dir(k, seq), flag(k));
  if (opts.freeSpaceJson) await assertWritableFile(opts.freeSpaceJson, '--free-space-json');
  for (const seq of sequences) if (plan.video(seq)) await assertWritableFile(plan.video(seq)!, '-o');
  const manifestPath = defaultManifestPath(opts);
  await assertWritableFile(manifestPath, '--manifest');

  const model = typeof opts.model === 'object' ? opts.model : await loadModel(opts.model ?? DEFAULT_MODEL);
  const lut = opts.output ? buildClassLut(model.card.classes, resolveClassSelection(opts.classes, model)) : null;
  if (opts.kittiRoad && model.roadIds.length === 0) {
    throw new SegStreamError(ErrorCodes.USAGE, `--kitti-road needs road classes, but model "${model.card.name}" has none (roles.road in its card)`);
  }
  const scores = opts.score ? new RunScores(model) : undefined;
  const labelTasks = new Map<Sequence, Omit<LabelTask, 'file'> | null>(sequences.map((s) => [s, scores?.labelTask(s) ?? null]));
  const jsonl = opts.freeSpaceJson ? new FreeSpaceJsonl(opts.freeSpaceJson) : undefined;
  await jsonl?.open(opts.overwrite);

  // Resume: which frames are complete, which are to do.
  const jobs: Job[] = [];
  const summaries = new Map<Sequence, SequenceSummary>();
  let skipped = 0;
  let budget = opts.frames ?? Infinity;
  let limited = false;
  for (const seq of sequences) {
    let done = opts.overwrite ? seq.frames.map(() => false) : await plan.completeFrames(seq);
    if (jsonl) done = done.map((d, i) => d && jsonl.has(seq.id, seq.frames[i]!.stem));
    const video = plan.video(seq);
    // A video cannot be resumed part-way: a sequence with -o is skipped only when everything, video included, exists.
    if (video && !(existsSync(video) && done.every(Boolean))) done = done.map(() => false);
    const todo: Job[] = [];
    seq.frames.forEach((frame, index) => {
      if (!done[index]) {
        if (budget > 0) {
          budget--;
          todo.push({ seq, frame, index, rescore: false, last: false });
        } else limited = true;
      } else if (frame.label && opts.masks && labelTasks.get(seq)) todo.push({ seq, frame, index, rescore: true, last: false });
    });
    const work = todo.filter((j) => !j.rescore);
    if (work.length > 0) work[work.length - 1]!.last = true;
    const seqSkipped = done.filter(Boolean).length;
    skipped += seqSkipped;
    jobs.push(...todo);
    summaries.set(seq, {
      id: seq.id, layout: seq.layout, dir: seq.dir, frames: seq.frames.length, processed: 0, skipped: seqSkipped,
      labelled: seq.frames.filter((f) => f.label).length, ...(seq.labelFormat ? { labelFormat: seq.labelFormat } : {}), sizes: [],
    });
  }

  const work = jobs.filter((j) => !j.rescore).length;
  const clock = new StageClock();
  clock.startSampling();
  const stop = new AbortController();
  let stopped: FolderRunSummary['stopped'] = limited ? 'frames' : 'end';
  const onUserStop = () => {
    stopped = 'signal';
    stop.abort();
  };
  opts.signal?.addEventListener('abort', onUserStop, { once: true });
  if (opts.signal?.aborted) onUserStop();
  const ownEngine = typeof opts.engine !== 'object';
  let engine: Engine | undefined = typeof opts.engine === 'object' ? opts.engine : undefined;
  let pool: WorkerPool | undefined;
  const videos = new Map<Sequence, VideoState>();
  const sizes = new Map<Sequence, Set<string>>();
  let ffmpegDecoded = 0;
  let scored = 0;
  let failure: unknown;
  let stability: SequenceStability<Sequence> | undefined;
  const started = performance.now();
  const progress = progressReporter(opts.onProgress, work, started);
  try {
    if (work > 0) engine ??= await createEngine(model, { engine: opts.engine as 'onnx' | 'tfjs', device: opts.device, threads: opts.threads, thread: true });
    if (jobs.length > 0) pool = createWorkerPool({ threads: opts.workers, maxQueue: opts.maxInFlight });
    for (const seq of sequences) {
      const file = plan.video(seq);
      const first = jobs.find((j) => j.seq === seq && !j.rescore);
      if (file && first) videos.set(seq, { file, ...(await imageSize(first.frame.file)), chain: Promise.resolve() });
    }
    if (engine) {
      stability = new SequenceStability(model.card.classes.map((c) => c.name), model.card.input, engine.inputLayout);
      for (const seq of sequences) stability.expect(seq, jobs.filter((j) => j.seq === seq && !j.rescore).map((j) => j.index));
    }
    const probIds = opts.kittiRoad ? model.roadIds : undefined;
    const infer = batcher(engine, opts.batch, probIds, clock);

    const runJob = async (job: Job): Promise<void> => {
      const { seq, frame } = job;
      const labelTask = frame.label ? labelTasks.get(seq) : null;
      const label = labelTask ? { ...labelTask, file: frame.label! } : null;
      if (job.rescore) {
        const { width, height } = await imageSize(frame.file);
        const r = await pool!.finishFrame({
          classMapFile: plan.path('masks', seq, frame), width, height, classMap: new Uint8Array(0), mapWidth: width, mapHeight: height, probability: null,
          masks: false, freeSpace: false, boundary: false, freeSpaceIds: [], lut: null, alpha: 0, videoWidth: 0, videoHeight: 0, label, ffmpeg,
        });
        scores?.add(seq, r);
        scored++;
        return;
      }
      let t0 = performance.now();
      const video = videos.get(seq);
      // Reserve this frame's place in the video before anything can finish out of order.
      let giveVideo: (v: Uint8Array | undefined) => void = () => {};
      let written: Promise<void> | undefined;
      if (video) {
        const pixels = new Promise<Uint8Array | undefined>((resolve) => (giveVideo = resolve));
        written = video.chain = video.chain.then(async () => {
          const v = await pixels;
          if (!v) return;
          video.encoder ??= new VideoEncoder({
            ffmpeg, output: video.file, width: video.width, height: video.height, fps: toRational(opts.fps), crf: opts.crf, preset: opts.preset, padToEven: true, pixelFormat: 'rgb24',
          });
          await video.encoder.write(v);
        });
      }
      try {
        const decoded = await pool!.decodeFrame({ file: frame.file, ffmpeg, spec: model.card.input, layout: engine!.inputLayout });
        if (decoded.decoder === 'ffmpeg') ffmpegDecoded++;
        clock.add('decode', performance.now() - t0);
        const { width, height } = decoded;
        (sizes.get(seq) ?? sizes.set(seq, new Set()).get(seq)!).add(`${width}x${height}`);
        const luma = stability?.luma(decoded.input!);
        const seg = await infer(decoded.input!, job.index);
        if (luma) stability!.add(seq, job.index, luma, seg);
        t0 = performance.now();
        const r: FinishFrameResult = await pool!.finishFrame({
          pixels: decoded.pixels, width, height, classMap: seg.classMap, mapWidth: seg.width, mapHeight: seg.height, probability: seg.probability ?? null,
          masks: opts.masks !== undefined, freeSpace: opts.freeSpace !== undefined, boundary: jsonl !== undefined, freeSpaceIds: model.freeSpaceIds,
          lut: video ? lut : null, alpha: opts.alpha, videoWidth: video?.width ?? 0, videoHeight: video?.height ?? 0, label, ffmpeg,
        });
        clock.add('render', performance.now() - t0);
        t0 = performance.now();
        await Promise.all([
          r.maskPng && writeFileAtomic(plan.path('masks', seq, frame), r.maskPng),
          r.freeSpacePng && writeFileAtomic(plan.path('freeSpace', seq, frame), r.freeSpacePng),
          r.roadPng && writeFileAtomic(plan.path('kittiRoad', seq, frame), r.roadPng),
        ]);
        clock.add('masks', performance.now() - t0);
        giveVideo(r.video);
        await written;
        // The JSONL line last: a frame counts as complete only once its files are in place.
        if (jsonl && r.boundary) jsonl.add(freeSpaceLine(seq.id, frame.stem, job.index, width, height, { boundary: r.boundary, freeFraction: r.freeFraction! }));
        if (label && (r.confusion || r.road)) {
          scores?.add(seq, r);
          scored++;
        }
        summaries.get(seq)!.processed++;
        clock.frameDone();
        progress(clock.frames, false);
      } catch (err) {
        giveVideo(undefined);
        throw toSegStreamError(err, ErrorCodes.INTERNAL, { frameIndex: job.index });
      } finally {
        if (job.last && video) await finishVideo(video);
      }
    };

    const inflight = new Set<Promise<void>>();
    for (const job of jobs) {
      while (inflight.size >= opts.maxInFlight) await Promise.race(inflight);
      if (stop.signal.aborted || failure !== undefined) break;
      const p: Promise<void> = runJob(job)
        .catch((err: unknown) => {
          failure ??= err;
          stop.abort();
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
    // Stopped or limited part-way: close every video that was started (playable, with the frames so far).
    for (const v of videos.values()) await finishVideo(v).catch((err: unknown) => (failure ??= err));
    if (failure !== undefined) throw failure;
    progress(clock.frames, true);
  } catch (err) {
    for (const v of videos.values()) await v.encoder?.abort().catch(() => {});
    throw toSegStreamError(err);
  } finally {
    opts.signal?.removeEventListener('abort', onUserStop);
    clock.stopSampling();
    // Finished frames keep their JSONL lines even when the run failed.
    await jsonl?.finish(sequences.map((s) => ({ id: s.id, frames: s.frames.map((f) => f.stem) }))).catch(() => {});
    await pool?.destroy();
    if (ownEngine) await engine?.dispose();
  }

  const wallSeconds = (performance.now() - started) / 1000;
  const labelled = jobs.filter((j) => j.frame.label && labelTasks.get(j.seq)).length;
  const unscoredSkipped = sequences.reduce((n, s) => n + (labelTasks.get(s) ? summaries.get(s)!.labelled : 0), 0) - labelled;
  const seqs = sequences.map((s) => {
    const sum = summaries.get(s)!;
    sum.sizes = [...(sizes.get(s) ?? [])];
    const v = videos.get(s);
    if (v?.encoder) sum.video = v.file;
    const sc = scores?.sequence(s.id);
    if (sc) sum.scores = sc;
    const st = stability?.summary(s);
    if (st) sum.stability = st;
    return sum;
  });
  const notes = [...(scores?.notes ?? [])];
  if (videos.size > 0 && seqs.some((s) => s.sizes.length > 1)) notes.push('frames of different sizes were scaled to the first frame\'s size (padded to even) in the overlay video; masks keep each frame\'s own size');
  if (unscoredSkipped > 0) notes.push(`${unscoredSkipped} labelled frames were not scored in this run (skipped without --masks to re-score them from, or beyond --frames)`);
  const summary: FolderRunSummary = {
    input: opts.input,
    recursive: opts.recursive,
    model: model.card.name,
    modelDir: model.dir,
    engine: engine?.name ?? String(opts.engine),
    backend: engine?.backend ?? 'not started (nothing to do)',
    outputs: {
      masks: opts.masks && path.resolve(opts.masks),
      freeSpace: opts.freeSpace && path.resolve(opts.freeSpace),
      kittiRoad: opts.kittiRoad && path.resolve(opts.kittiRoad),
      freeSpaceJson: opts.freeSpaceJson && path.resolve(opts.freeSpaceJson),
      videos: opts.output ? sequences.map((s) => plan.video(s)!).filter((f) => existsSync(f)) : undefined,
      manifest: manifestPath,
      perSequenceFolders: plan.perSequence,
    },
    sequences: seqs,
    total: sequences.reduce((n, s) => n + s.frames.length, 0),
    frames: clock.frames,
    skipped,
    fps: Math.round((clock.frames / Math.max(wallSeconds, 1e-6)) * 100) / 100,
    wallSeconds: Math.round(wallSeconds * 1000) / 1000,
    stageMs: clock.perFrame(),
    ffmpegDecoded,
    stopped,
    scores: scores?.totals() ?? [],
    unscored: Math.max(0, unscoredSkipped),
    notes,
    peakRssMB: clock.peakRssMB,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
  const { signal: _s, onProgress: _p, model: m, engine: e, ...rest } = opts;
  await writeManifest(manifestPath, summary, { ...rest, model: typeof m === 'object' ? m.dir : m, engine: typeof e === 'object' ? e.name : e });
  return summary;
}

const flag = (k: 'masks' | 'freeSpace' | 'kittiRoad') => ({ masks: '--masks', freeSpace: '--free-space', kittiRoad: '--kitti-road' })[k];

async function finishVideo(v: VideoState): Promise<void> {
  await v.chain;
  await v.encoder?.finish();
}

function toRational(fps: number): { num: number; den: number } {
  return Number.isInteger(fps) ? { num: fps, den: 1 } : { num: Math.round(fps * 1000), den: 1000 };
}

/**
 * Groups concurrent inference requests into batches of at most `size` (one call at a time, a
 * lone frame never waits for company), like the video pipeline's `batchedConcurrency`.
 */
function batcher(engine: Engine | undefined, size: number, probabilities: readonly number[] | undefined, clock: StageClock) {
  type Req = { input: Float32Array; index: number; resolve: (o: EngineOutput) => void; reject: (e: unknown) => void };
  const queue: Req[] = [];
  let running = false;
  const pump = (): void => {
    if (running || queue.length === 0) return;
    running = true;
    const batch = queue.splice(0, size);
    const t0 = performance.now();
    engine!
      .run(batch.map((r) => r.input), { probabilities, transferInputs: true })
      .then(
        (outs) => {
          clock.add('infer', performance.now() - t0);
          batch.forEach((r, i) => r.resolve(outs[i]!));
        },
        (err: unknown) => batch.forEach((r) => r.reject(toSegStreamError(err, ErrorCodes.INFERENCE_FAILED, { stage: 'infer', frameIndex: r.index }))),
      )
      .finally(() => {
        running = false;
        pump();
      });
  };
  return (input: Float32Array, index: number) =>
    new Promise<EngineOutput>((resolve, reject) => {
      queue.push({ input, index, resolve, reject });
      pump();
    });
}
