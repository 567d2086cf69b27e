/**
 * Accuracy of a model on a labelled dataset, measured through the same TypeScript pipeline that
 * segments video: worker preprocessing, the chosen engine, pixel-centre nearest upscaling.
 */
import { resolveFfmpeg } from '../config/ffmpeg-binaries.js';
import { ErrorCodes, SegStreamError, invalidOption, toSegStreamError } from '../errors.js';
import { createEngine } from '../infer/engine.js';
import { DEFAULT_MODEL, loadModel } from '../infer/model-card.js';
import type { DeviceName, Engine, EngineName, EngineRunOptions, LoadedModel } from '../infer/types.js';
import { progressReporter, type Progress } from '../pipeline/stats.js';
import { upscaleClassMap } from '../render/upscale.js';
import { TemporalStage, checkSmooth } from '../temporal/stage.js';
import type { StabilitySummary } from '../temporal/stability.js';
import { createWorkerPool, type WorkerPool } from '../workers/pool.js';
import { listDataset, type DatasetSample, type DatasetSplit } from './datasets.js';
import { labelSpaceFor, type DatasetFormat } from './label-maps.js';
import { ConfusionMatrix, computeMetrics, type SegmentationMetrics } from './metrics.js';
import { decodePng } from './png-read.js';

/**
 * How a prediction is made and scored; the Python evaluation (training/evaluate.py) follows the
 * same steps, and every {@link EvalResult} carries this text as `method`.
 */
export const EVAL_METHOD =
  'per image: decode PNG to RGB24; stretch to the model input size with bilinear, half-pixel centres, no antialias, on float 0..255 ' +
  "(torch F.interpolate(mode='bilinear', align_corners=False)); normalise (v*scale-mean)/std in the card's channel order; " +
  'network -> argmax class map at the network output size; resize the class map to the label size with nearest neighbour, ' +
  'pixel centres (src = floor((dst+0.5)*srcSize/dstSize)); confusion matrix over label pixels not ignored, summed over all images. ' +
  'IoU = TP/(TP+FP+FN) per class; mIoU = mean of class IoUs over classes with TP+FP+FN > 0; pixel accuracy = correct/counted pixels; ' +
  'percentages rounded to 2 decimals after averaging.';

/** Options of {@link evaluateDataset}. */
export interface EvaluateOptions {
  /** Dataset folder (CamVid or Cityscapes layout). */
  dir: string;
  /** Default `val`. */
  split?: DatasetSplit;
  /** Default: detected from the folder layout. */
  format?: DatasetFormat;
  /** Built-in model name, model folder, or a loaded model. Default `camvid-default`. */
  model?: string | LoadedModel;
  /** Default `onnx`. */
  engine?: EngineName;
  /** Default `cpu`. */
  device?: DeviceName;
  /** CPU inference threads (default: all cores). */
  threads?: number;
  /** Preprocessing worker threads (default: all cores). */
  workers?: number;
  /** Evaluate only the first N images (natural order). */
  frames?: number;
  /** Images decoded and preprocessed ahead of inference, 1..8. Default 3. */
  prefetch?: number;
  /** Aborting stops the run and rejects with `SEGSTREAM_ERR_ABORTED`. */
  signal?: AbortSignal;
  /** Called at most every 100 ms and once at the end. */
  onProgress?: (progress: Progress) => void;
  /** Explicit ffmpeg binary (default: the resolution order of DESIGN.md). */
  ffmpegPath?: string;
  /** Temporal smoothing strength over the images in natural order, 0 (off, default) to 0.95 (for sequences such as CamVid val). */
  smooth?: number;
}

/** Defaults of {@link evaluateDataset}. */
export const EVAL_DEFAULTS = Object.freeze({ split: 'val' as DatasetSplit, model: DEFAULT_MODEL, engine: 'onnx' as EngineName, device: 'cpu' as DeviceName, prefetch: 3 });

/** The result of {@link evaluateDataset}; percentages are 0-100, rounded to 2 decimals. */
export interface EvalResult {
  model: string;
  engine: EngineName;
  backend: string;
  /** Absolute dataset folder. */
  dataset: string;
  split: DatasetSplit;
  format: DatasetFormat;
  /** `camvid-11` (CamVid classes, matched by name) or `model` (labels hold the model's class ids). */
  labelSpace: 'camvid-11' | 'model';
  frames: number;
  /** Mean IoU over classes with any labelled or predicted pixel; null when no pixel was counted. */
  miou: SegmentationMetrics['miou'];
  pixelAccuracy: SegmentationMetrics['pixelAccuracy'];
  perClass: SegmentationMetrics['perClass'];
  freeSpace: SegmentationMetrics['freeSpace'];
  /** Images per second from the first decode to the last score (model loading excluded). */
  fps: number;
  wallSeconds: number;
  /** Label pixels counted (ignored ones excluded). */
  pixels: number;
  /** Rows: label class (order of `perClass`); columns: predicted class, plus a last column for "none of them". */
  confusion: number[][];
  method: string;
  /** Label stability between consecutive images in natural order (meaningful where they form a sequence); `smooth` is the strength used. */
  stability: StabilitySummary & { smooth: number };
}

interface Prepared {
  sample: DatasetSample;
  input: Float32Array;
  label: Uint8Array;
}

/**
 * Evaluates a model on a labelled dataset split through the video pipeline's own steps.
 *
 * Prediction method (the Python evaluation matches it; see {@link EVAL_METHOD}): the image is
 * preprocessed exactly as in video mode (worker-pool `preprocess`: stretch to the card's input
 * size, bilinear with half-pixel centres, normalise), `engine.run` gives a class map at the
 * network's output size, `upscaleClassMap` (nearest, pixel-centre) brings it to the label's size,
 * and it is compared with the label pixel by pixel. Decoding and preprocessing of the next
 * `prefetch` images overlap with inference.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INPUT_NOT_FOUND` / `_NO_FRAMES` / `_INPUT_CORRUPT` for a
 *   bad dataset folder (see {@link listDataset}); model, engine and decode errors with their codes;
 *   `SEGSTREAM_ERR_ABORTED` when `signal` aborts
 * @example
 * ```ts
 * const r = await evaluateDataset({ dir: '/data/camvid', split: 'val', model: 'camvid-default' });
 * console.log(r.miou, r.perClass.Road, r.fps);
 * ```
 */
export async function evaluateDataset(options: EvaluateOptions): Promise<EvalResult> {
  const prefetch = options.prefetch ?? EVAL_DEFAULTS.prefetch;
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 8) throw invalidOption('prefetch', 'an integer from 1 to 8', options.prefetch);
  const ffmpeg = resolveFfmpeg({ ffmpegPath: options.ffmpegPath }).ffmpeg.path;
  const ds = await listDataset({ dir: options.dir, split: options.split ?? EVAL_DEFAULTS.split, format: options.format, limit: options.frames });
  const model = typeof options.model === 'object' ? options.model : await loadModel(options.model ?? EVAL_DEFAULTS.model);
  const space = labelSpaceFor(ds.format, model);
  if (options.smooth !== undefined) checkSmooth(options.smooth);
  const engine = await createEngine(model, { engine: options.engine ?? EVAL_DEFAULTS.engine, device: options.device ?? EVAL_DEFAULTS.device, threads: options.threads, thread: true });
  let pool: WorkerPool | undefined;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const queue: Promise<Prepared>[] = [];
  try {
    pool = createWorkerPool({ threads: options.workers, maxQueue: prefetch });
    const cm = new ConfusionMatrix(space.classes);
    const samples = ds.samples;
    const total = samples.length;
    const prepare = async (sample: DatasetSample): Promise<Prepared> => {
      const { width, height } = sample;
      // allSettled: when one decode fails the other still finishes (or is aborted) before this settles.
      const [image, gray] = await Promise.allSettled([
        decodePng(sample.image, 'rgb', { ffmpeg, width, height, signal: stop.signal }),
        decodePng(sample.label, 'gray', { ffmpeg, width, height, signal: stop.signal }),
      ]);
      if (image.status === 'rejected') throw image.reason;
      if (gray.status === 'rejected') throw gray.reason;
      const rgb = image.value;
      const label = gray.value;
      const { input } = await pool!.preprocess({ pixels: rgb, format: 'rgb24', width, height, spec: model.card.input, layout: engine.inputLayout }, { signal: stop.signal });
      return { sample, input, label };
    };
    let next = 0;
    const fill = () => {
      while (queue.length < prefetch && next < total) {
        const p = prepare(samples[next++]!);
        p.catch(() => {}); // awaited in order below; this only keeps a later failure from being "unhandled"
        queue.push(p);
      }
    };
    const started = performance.now();
    const report = progressReporter(options.onProgress, total, started);
    let full = new Uint8Array(0);
    const temporal = new TemporalStage(model, engine.inputLayout, options.smooth);
    fill();
    for (let i = 0; i < total; i++) {
      const { sample, input, label } = await queue.shift()!;
      fill();
      if (stop.signal.aborted) throw abortedError();
      temporal.noteInput(sample, input);
      const [out] = await runEngine(engine, input, i, sample.name, temporal.runOptions);
      temporal.process(sample, out!);
      if (full.length !== sample.width * sample.height) full = new Uint8Array(sample.width * sample.height);
      upscaleClassMap(out!.classMap, out!.width, out!.height, sample.width, sample.height, full);
      cm.accumulate(label, full, space.labelLut, space.predictionLut);
      report(i + 1, i + 1 === total);
    }
    const wallSeconds = (performance.now() - started) / 1000;
    const metrics = computeMetrics(cm, space.freeSpace);
    return {
      model: model.card.name,
      engine: engine.name,
      backend: engine.backend,
      dataset: ds.dir,
      split: ds.split,
      format: ds.format,
      labelSpace: space.name,
      frames: total,
      miou: metrics.miou,
      pixelAccuracy: metrics.pixelAccuracy,
      perClass: metrics.perClass,
      freeSpace: metrics.freeSpace,
      fps: Math.round((total / wallSeconds) * 100) / 100,
      wallSeconds: Math.round(wallSeconds * 1000) / 1000,
      pixels: cm.total,
      confusion: cm.rows(),
      method: EVAL_METHOD,
      stability: { smooth: options.smooth ?? 0, ...temporal.summary() },
    };
  } catch (err) {
    if (stop.signal.aborted && options.signal?.aborted) throw abortedError(err);
    throw toSegStreamError(err);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    // Ends decoders and worker tasks still in flight (after an error), then waits for them.
    if (queue.length > 0) stop.abort();
    await Promise.allSettled(queue);
    await pool?.destroy();
    await engine.dispose();
  }
}

async function runEngine(engine: Engine, input: Float32Array, frameIndex: number, name: string, extra: EngineRunOptions = {}) {
  try {
    return await engine.run([input], { transferInputs: true, ...extra });
  } catch (err) {
    const e = toSegStreamError(err, ErrorCodes.INFERENCE_FAILED, { stage: 'infer', frameIndex });
    e.message = `${e.message} (image ${name})`;
    throw e;
  }
}

function abortedError(cause?: unknown): SegStreamError {
  return new SegStreamError(ErrorCodes.ABORTED, 'the evaluation was stopped before the last image', { cause, context: { stage: 'eval' } });
}

