/**
 * The per-frame steps of a frame-folder run on the shared chain (`core/stages.ts`):
 *
 *   work list (gated) ─► worker: read + decode + preprocess ─► engine (batched, own thread)
 *     ─► worker: the shared finish step + road map + scores ─► order restored ─► the sinks
 *     (`sinks.ts`) ─► scores, counts (`folderFrameDone`, in work-list order)
 */
import type { Observable } from 'rxjs';
import { ErrorCodes, toSegStreamError } from '../../errors.js';
import { imageSize } from '../../codecs/header.js';
import type { RunContext } from '../context.js';
import type { StageSteps } from '../core/stages.js';
import { gatedFrom } from '../operators.js';
import type { FolderPlan, Item } from './run-state.js';
import type { Job } from './work-list.js';

export type { Item };

/** The work list's items, numbered, one at a time as the gate lets them in (none kept here). */
export function folderFrames(p: FolderPlan, run: RunContext): Observable<Item> {
  return gatedFrom(numbered(p.work!.jobs()), p.gate, run.stop.signal);
}

/** The kind's steps of the shared chain. */
export function folderSteps(p: FolderPlan, run: RunContext): StageSteps<Item> {
  const { opts, temporal } = p;
  const probabilities = opts.kittiRoad ? p.model!.roadIds : undefined;
  return {
    // Read when a batch runs: a run with nothing to segment (all frames done or re-scored) starts no engine.
    get engine() {
      return run.engine;
    },
    clock: run.clock,
    batch: opts.batch,
    inferConcurrency: 2,
    runOptions: { probabilities, transferInputs: true, scores: true, ...temporal?.runOptions },
    order: (i) => i.no,
    frameIndex: (i) => i.job.index,
    input: (i) => i.decoded?.input,
    segmented: (i, out) => (i.seg = out),
    prepare: (item) => guarded(item, () => decodeItem(p, run, item)),
    // Stability (and smoothing) per sequence, in work-list order, before any output is made.
    temporal: temporal && {
      inEngine: false,
      process: (i) => i.seg && temporal.process(i.job.seq, i.job.index, i, i.seg, i.job.last),
    },
    finish: (item) => guarded(item, () => finishItem(p, run, item)),
  };
}

/** A step's failure, naming the frame. */
export async function guarded<T>(item: Item, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toSegStreamError(err, ErrorCodes.INTERNAL, { frameIndex: item.job.index });
  }
}

/** Reads, decodes and preprocesses a frame in a worker (re-scored frames pass untouched). */
async function decodeItem(p: FolderPlan, run: RunContext, item: Item): Promise<Item> {
  if (item.job.rescore) return item;
  const t0 = performance.now();
  const decoded = await run.pool.decodeFrame({
    file: item.job.frame.file,
    ffmpeg: p.ffmpeg,
    spec: p.model!.card.input,
    layout: run.engine.inputLayout,
  });
  if (decoded.decoder === 'ffmpeg') p.decoded.ffmpeg++;
  else if (decoded.decoder === 'sharp') p.decoded.sharp++;
  run.clock.add('decode', performance.now() - t0);
  const { seq } = item.job;
  const seqSizes = p.sizes.get(seq) ?? p.sizes.set(seq, new Set()).get(seq)!;
  seqSizes.add(`${decoded.width}x${decoded.height}`);
  if (decoded.input) p.temporal?.noteInput(seq, item, decoded.input);
  item.decoded = decoded;
  return item;
}

/** The finish step in a worker, then the frame's mask files (atomic). */
async function finishItem(p: FolderPlan, run: RunContext, item: Item): Promise<Item> {
  const { seq, frame } = item.job;
  const { opts, ffmpeg, outputs } = p;
  const labelTask = frame.label ? p.labelTasks.get(seq) : null;
  const label = labelTask ? { ...labelTask, file: frame.label! } : null;
  if (item.job.rescore) {
    const { width, height } = await imageSize(frame.file);
    item.result = await run.pool.finishFrame({
      classMapFile: outputs!.path('masks', seq, frame),
      width,
      height,
      classMap: new Uint8Array(0),
      mapWidth: width,
      mapHeight: height,
      probability: null,
      run: p.finish!.rescore,
      label,
      ffmpeg,
    });
    return item;
  }
  const { decoded, seg } = item as Required<Pick<Item, 'decoded' | 'seg'>>;
  const video = p.videos.get(seq);
  // Before finishFrame moves the pixels to a worker.
  opts.preview?.offerFrame({
    index: item.job.index,
    width: decoded.width,
    height: decoded.height,
    format: 'rgb24',
    pixels: decoded.pixels,
    segmentation: seg,
  });
  const t0 = performance.now();
  const r = await run.pool.finishFrame({
    pixels: decoded.pixels,
    width: decoded.width,
    height: decoded.height,
    classMap: seg.classMap,
    mapWidth: seg.width,
    mapHeight: seg.height,
    scores: seg.scores ?? null,
    probability: seg.probability ?? null,
    run: video ? p.finish!.video : p.finish!.plain,
    videoWidth: video?.width,
    videoHeight: video?.height,
    label,
    ffmpeg,
  });
  delete seg.scores; // moved to the worker
  run.clock.add('render', performance.now() - t0);
  item.result = r;
  return item;
}

/** After a frame left the sinks (in work-list order): scores, counts, progress. */
export function folderFrameDone(p: FolderPlan, run: RunContext, item: Item): void {
  const { job } = item;
  const r = item.result!;
  if (job.rescore) {
    p.scores?.add(job.seq, r);
    return;
  }
  if (job.frame.label && (r.confusion || r.road)) p.scores?.add(job.seq, r);
  p.summaries.get(job.seq)!.processed++;
  run.clock.frameDone();
  p.opts.preview?.frameDone();
  p.progress(run.clock.frames, false);
}

/** Items numbered in work-list order, made one at a time as the run takes them (none kept here). */
function* numbered(jobs: Iterable<Job>): Generator<Item> {
  let no = 0;
  for (const job of jobs) yield { job, no: no++ };
}
