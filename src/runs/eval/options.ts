/**
 * The options and result of an evaluation ({@link evaluateDataset} in evaluate.ts), its
 * defaults and the prediction method every result names.
 */
import { DEFAULTS } from '../../defaults.js';
import type { NetworkInput } from '../../infer/input-size.js';
import { DEFAULT_MODEL } from '../../infer/model-card.js';
import type { DeviceName, EngineName, LoadedModel } from '../../infer/types.js';
import type { DatasetSplit } from '../../datasets/labelled.js';
import type { DatasetFormat } from '../../datasets/label-maps.js';
import type { SegmentationMetrics } from '../../datasets/metrics.js';
import type { StabilitySummary } from '../../temporal/stability.js';
import type { Progress } from '../stats.js';

/**
 * How a prediction is made and scored; the Python evaluation (training/evaluate.py) follows the
 * same steps, and every {@link EvalResult} carries this text as `method`.
 */
export const EVAL_METHOD =
  'per image: decode PNG (built-in decoder) or JPEG (ffmpeg) to RGB24; stretch to the network input size of the run (the card size, or with resize "aspect" the aspect of the first image at about the card pixel count: networkInput) with bilinear, half-pixel centres, no antialias, on float 0..255 ' +
  "(torch F.interpolate(mode='bilinear', align_corners=False)); normalise (v*scale-mean)/std in the card's channel order; " +
  'network -> per-head scores at the network output size, resized to the label size with bilinear, half-pixel centres ' +
  '(align_corners=False), then per-pixel argmax (classMapAt, the function behind masks and overlays; with smoothing: argmax at the ' +
  'network output size, class map resized with nearest neighbour, pixel centres); confusion matrix over label pixels not ignored, summed over all images. ' +
  'IoU = TP/(TP+FP+FN) per class; mIoU = mean of class IoUs over classes with TP+FP+FN > 0; pixel accuracy = correct/counted pixels; ' +
  'percentages rounded to 2 decimals after averaging.';

/** Options of {@link evaluateDataset}. */
export interface EvaluateOptions {
  /** Dataset folder (CamVid, Cityscapes or IDD-Lite layout). */
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
  /** Only the sequence folders of this validation fold, 0..4 (Cityscapes, IDD; see `sequenceFold`). */
  fold?: number;
  /** Only these sequence folders (Cityscapes cities, IDD sequences). Not with `fold`. */
  sequences?: readonly string[];
  /** Images decoded and preprocessed ahead of inference, 1..8 (default: the frame-folder run's in-flight bound). */
  prefetch?: number;
  /** Aborting stops the run and rejects with `SEGSTREAM_ERR_ABORTED`. */
  signal?: AbortSignal;
  /** Called at most every 100 ms and once at the end. */
  onProgress?: (progress: Progress) => void;
  /** Explicit ffmpeg binary (default: `resolveFfmpeg`'s order). */
  ffmpegPath?: string;
  /** Temporal smoothing strength over the images in natural order, 0 (off, default) to 0.95 (for sequences such as CamVid val). */
  smooth?: number;
}

/** Defaults of {@link evaluateDataset}. */
export const EVAL_DEFAULTS = Object.freeze({
  split: 'val',
  model: DEFAULT_MODEL,
  engine: DEFAULTS.engine,
  device: DEFAULTS.device,
  prefetch: 3,
});

/** The result of {@link evaluateDataset}; percentages are 0-100, rounded to 2 decimals. */
export interface EvalResult {
  model: string;
  engine: EngineName;
  backend: string;
  /** The network input size the images were resized to (the first image's aspect, by the card's policy). */
  networkInput?: NetworkInput;
  /** Absolute dataset folder. */
  dataset: string;
  split: DatasetSplit;
  format: DatasetFormat;
  /**
   * `camvid-11` (CamVid classes, matched by name), `model` (labels hold the model's class ids) or
   * `idd-level1` (IDD groups; `perClass` is per group, `freeSpace` is the groups of the model's
   * free-space classes, i.e. drivable).
   */
  labelSpace: 'camvid-11' | 'model' | 'idd-level1';
  frames: number;
  /** The sequence folders evaluated, when `fold` or `sequences` chose some. */
  subset?: { fold?: number; folds?: number; sequences: string[] };
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
