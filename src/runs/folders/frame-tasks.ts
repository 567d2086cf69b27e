/**
 * Worker tasks of frame-folder runs: decoding an image file (pure-TS PNG decoder, sharp for
 * JPEG, ffmpeg for unusual PNGs) together with its preprocessing, and finishing a frame (full-size
 * masks, free-space boundary, road confidence map, overlay, scoring against ground truth).
 * Everything per pixel happens here, in parallel across the pool's threads.
 */
import { ErrorCodes, SegStreamError, optionError } from '../../errors.js';
import { readImage, type ReadImage } from '../../codecs/image.js';
import type { DecodedPng } from '../../codecs/png-decode.js';
import { toRgb24 } from '../../codecs/png-decode.js';
import { encodePng } from '../../codecs/png-encode.js';
import { ConfusionMatrix } from '../../datasets/metrics.js';
import type { InputSpec } from '../../infer/types.js';
import { probabilityToBytes } from '../../pixels/resample.js';
import { resizeToTensor, type TensorLayout } from '../../pixels/tensor.js';
import type { HeadScoresView } from '../../pixels/score-upsample.js';
import {
  classMaskOf,
  finishFrame as finishCore,
  needsFullMap,
  type FinishConstants,
  type FinishFrame,
} from '../core/finish.js';

/** Input of the `decodeFrame` task. */
export interface DecodeFrameTask {
  /** Image file (PNG or JPEG). */
  file: string;
  /** ffmpeg binary, for PNGs the built-in decoder does not read (16-bit, interlaced). */
  ffmpeg: string;
  /** When set, the frame is also preprocessed into the network input. */
  spec: InputSpec | null;
  layout: TensorLayout;
}

/** Result of the `decodeFrame` task. */
export interface DecodeFrameResult {
  /** Packed RGB24, `width * height * 3` bytes. */
  pixels: Uint8Array;
  width: number;
  height: number;
  /** The network input (when `spec` was given). */
  input?: Float32Array;
  /** `ts` (built-in PNG decoder), `sharp` (JPEG) or `ffmpeg`. */
  decoder: ReadImage['decoder'];
}

/** Decodes one frame to RGB24 and (optionally) preprocesses it. */
export async function decodeFrameFile(task: DecodeFrameTask): Promise<DecodeFrameResult> {
  const { png, decoder } = await readImage(task.file, task.ffmpeg);
  let pixels = toRgb24(png);
  // A view over a larger buffer would move unrelated bytes with it: copy once.
  if (pixels.byteOffset !== 0 || pixels.byteLength !== pixels.buffer.byteLength) pixels = pixels.slice();
  const result: DecodeFrameResult = { pixels, width: png.width, height: png.height, decoder };
  if (task.spec) result.input = resizeToTensor(pixels, png.width, png.height, task.spec, task.layout);
  return result;
}

/** Ground truth of a frame and how to score against it. */
export interface LabelTask {
  file: string;
  /**
   * `ids`: an 8-bit greyscale label of class ids (CamVid, Cityscapes `labelIds`, KITTI
   * semantics), scored through `labelLut`/`predictionLut` into a confusion matrix of `classes`
   * classes. `kitti-road`: the KITTI road RGB ground truth (road where blue > 0, valid where
   * red > 0), scored against the model's road classes `roadIds`.
   */
  kind: 'ids' | 'kitti-road';
  labelLut: Uint8Array;
  predictionLut: Uint8Array;
  classes: number;
  roadIds: number[];
}

/** Input of the `finishFrame` task: a frame for the shared finish step, and what only folders add. */
export interface FinishFrameTask {
  /** The RGB24 frame; moved to the worker and not handed back. Absent with `classMapFile`. */
  pixels?: Uint8Array;
  /**
   * Instead of a fresh prediction: a class-id mask PNG written by an earlier run, at the frame's
   * size (`classMap` is then ignored). Used to score frames a resumed run skips.
   */
  classMapFile?: string;
  width: number;
  height: number;
  classMap: Uint8Array;
  mapWidth: number;
  mapHeight: number;
  /** The network's scores behind `classMap`, moved to the worker (see `FinishFrame.scores`). */
  scores?: HeadScoresView | null;
  /** The overlay video's frame size (the frame is scaled to it when it differs); absent without a video. */
  videoWidth?: number;
  videoHeight?: number;
  /** The run's finish constants (masks, free space, boundary, overlay), the same object for many frames. */
  run: FinishConstants;
  /** Road probability at the map size (`--kitti-road`), else null. */
  probability: Float32Array | null;
  label: LabelTask | null;
  ffmpeg: string;
}

/** Result of the `finishFrame` task. */
export interface FinishFrameResult {
  maskPng?: Uint8Array;
  freeSpacePng?: Uint8Array;
  roadPng?: Uint8Array;
  boundary?: Int32Array;
  freeFraction?: number;
  /** The overlay frame, RGB24 at `videoWidth x videoHeight`. */
  video?: Uint8Array;
  /** `classes x (classes + 1)` counts (see ConfusionMatrix) for `ids` labels. */
  confusion?: Float64Array;
  /** Pixel counts of the road class against KITTI road ground truth (valid pixels only). */
  road?: { tp: number; fp: number; fn: number; tn: number };
}

/**
 * Finishes one frame: the shared finish step (`core/finish.ts`), then what folders add (road
 * confidence map, scores). Files are read first: after the last await the thread's class mask
 * is made and used without yielding.
 */
export async function finishFrame(task: FinishFrameTask): Promise<FinishFrameResult> {
  const labelPng = task.label ? (await readImage(task.label.file, task.ffmpeg, task.label.kind === 'ids')).png : null;
  if (task.classMapFile) {
    const { width, height } = task;
    const { png } = await readImage(task.classMapFile, task.ffmpeg, true);
    if (png.channels !== 1 || png.width !== width || png.height !== height) {
      throw new SegStreamError(
        ErrorCodes.INPUT_CORRUPT,
        `mask ${task.classMapFile} is not an 8-bit grey ${width}x${height} class-id PNG; run again with --overwrite`,
        { context: { stage: 'score' } },
      );
    }
    [task.classMap, task.mapWidth, task.mapHeight, task.scores] = [png.data, width, height, null];
  }
  const ego = task.run.ego;
  if (ego && (ego.width !== task.width || ego.height !== task.height))
    throw optionError(
      'egoMask',
      `\`egoMask\` is ${ego.width}x${ego.height} but a frame is ${task.width}x${task.height}; one mask serves frames of one camera and size`,
    );
  const frame = task as FinishFrameTask & FinishFrame;
  frame.format = 'rgb24';
  const full = task.label !== null || needsFullMap(task.run, frame) ? classMaskOf(frame, task.run) : undefined;
  const { video, maskPng, freeSpacePng, boundary, freeFraction } = finishCore(frame, task.run, full);
  const result: FinishFrameResult = { video, maskPng, freeSpacePng, boundary, freeFraction };
  if (task.probability) {
    result.roadPng = encodePng(
      probabilityToBytes(task.probability, task.mapWidth, task.mapHeight, task.width, task.height),
      task.width,
      task.height,
      'gray',
    );
  }
  if (task.label && labelPng) scoreLabel(task, labelPng, full!, result);
  return result;
}

function scoreLabel(task: FinishFrameTask, png: DecodedPng, fullMap: Uint8Array, result: FinishFrameResult): void {
  const label = task.label!;
  if (png.width !== task.width || png.height !== task.height) {
    throw new SegStreamError(
      ErrorCodes.INPUT_CORRUPT,
      `ground truth ${label.file} is ${png.width}x${png.height} but its frame is ${task.width}x${task.height}; labels must have their frame's size`,
      {
        context: { stage: 'score' },
      },
    );
  }
  const n = task.width * task.height;
  if (label.kind === 'ids') {
    let values: Uint8Array;
    if (png.indices) values = png.indices;
    else if (png.channels <= 2) values = png.channels === 1 ? png.data : png.data.filter((_, i) => i % 2 === 0);
    else
      throw new SegStreamError(
        ErrorCodes.INPUT_CORRUPT,
        `ground truth ${label.file} is a colour PNG; class-id labels must be 8-bit greyscale (one class id per pixel)`,
        { context: { stage: 'score' } },
      );
    const cm = new ConfusionMatrix(Array.from({ length: label.classes }, (_, i) => String(i)));
    cm.accumulate(values, fullMap.subarray(0, n), label.labelLut, label.predictionLut);
    result.confusion = cm.counts;
    return;
  }
  // KITTI road devkit (helper.py getGroundTruth): road = blue channel > 0, valid = red channel > 0.
  const rgb = toRgb24(png);
  const isRoad = new Uint8Array(256);
  for (const id of label.roadIds) isRoad[id] = 1;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    if (rgb[o] === 0) continue;
    const gt = rgb[o + 2] > 0;
    const pred = isRoad[fullMap[i]] === 1;
    if (gt && pred) tp++;
    else if (pred) fp++;
    else if (gt) fn++;
    else tn++;
  }
  result.road = { tp, fp, fn, tn };
}
