/**
 * The per-frame work of a video run in the worker threads: {@link preprocessFrame} (resize and
 * normalise into the network input, and its luma for the temporal step) and {@link renderFrame} (overlay and full-size masks). Pure
 * functions: the worker entry (`runs/worker-entry.ts`) makes tasks of them, and they run on any
 * thread. Buffers: `pixels` is moved to the worker and back (the caller's view is detached until
 * the result hands the frame back); new buffers (`input`, PNGs) are moved back; small inputs
 * (`classMap`, `lut`, `spec`) are copied.
 */
import { resizeI420ToTensor, resizeToTensor, type TensorLayout } from '../../pixels/tensor.js';
import type { PixelFormat } from '../../types.js';
import type { InputSpec } from '../../infer/types.js';
import { finishFrame } from '../core/finish.js';
import { lumaOfInput } from '../../temporal/luma.js';
import type { EgoMask } from '../../pixels/ego-mask.js';
import type { HeadScoresView } from '../../pixels/score-upsample.js';

/** Input of the `preprocess` task: one frame to turn into a network input tensor. */
export interface PreprocessTask {
  /** The frame in `format` (`frameByteLength(format, width, height)` bytes); moved to the worker and back. */
  pixels: Uint8Array;
  /** Layout of `pixels`: `yuv420p` is converted to RGB only at the samples the resize reads. */
  format: PixelFormat;
  width: number;
  height: number;
  spec: InputSpec;
  layout: TensorLayout;
  /** Also return the luma of the tensor (`lumaOfInput`), which the temporal step reads, so the main thread need not. */
  luma?: boolean;
  /** Storage for the tensor (exactly `3 * spec.width * spec.height` floats, e.g. a spare input of the engine), moved to the worker; default a new one. */
  out?: Float32Array;
}

/** Result of the `preprocess` task. */
export interface PreprocessResult {
  /** Normalised tensor, `3 * spec.height * spec.width` floats in `layout`. */
  input: Float32Array;
  /** The frame, unchanged, handed back. */
  pixels: Uint8Array;
  /** With `task.luma`: `lumaOfInput(input, spec, layout)`, one byte per input pixel. */
  luma?: Uint8Array;
}

/** Input of the `render` task: overlay and masks for one frame. */
export interface RenderTask {
  /** The frame in `format` (`frameByteLength(format, width, height)` bytes); moved to the worker and back. */
  pixels: Uint8Array;
  /** Layout of `pixels`: the overlay is blended in that format. */
  format: PixelFormat;
  width: number;
  height: number;
  /** Class ids at the model's output size, `mapWidth * mapHeight` bytes. */
  classMap: Uint8Array;
  mapWidth: number;
  mapHeight: number;
  /** RGBA class LUT (`buildClassLut`); `null` leaves the frame untouched. */
  lut: Uint8Array | null;
  /** Overlay opacity 0..1. */
  alpha: number;
  /** Encode the full-resolution class-id PNG. */
  masks: boolean;
  /** Class ids of free space: encode the full-resolution 0/255 free-space PNG; `null` skips it. */
  freeSpaceIds: number[] | null;
  /** The network's scores behind `classMap` (moved to the worker), with `luts` and `offset`: see `FinishFrame.scores`. */
  scores?: HeadScoresView | null;
  luts?: Int16Array[] | null;
  offset?: number;
  /** The ego mask at the frame's size, or null: no overlay there, class-id masks 255, free space 0. */
  ego?: EgoMask | null;
}

/** Result of the `render` task. */
export interface RenderResult {
  /** The frame (same format), with the overlay blended in when a LUT was given. */
  pixels: Uint8Array;
  /** Greyscale PNG of class ids at `width x height`, when `masks` was set. */
  maskPng?: Uint8Array;
  /** Greyscale 0/255 PNG of free space at `width x height`, when `freeSpaceIds` was set. */
  freeSpacePng?: Uint8Array;
}

/** Resizes and normalises one frame; returns the tensor and the untouched frame. */
export function preprocessFrame(task: PreprocessTask): PreprocessResult {
  const resize = task.format === 'yuv420p' ? resizeI420ToTensor : resizeToTensor;
  const input = resize(task.pixels, task.width, task.height, task.spec, task.layout, task.out);
  return task.luma
    ? { input, pixels: task.pixels, luma: lumaOfInput(input, task.spec, task.layout) }
    : { input, pixels: task.pixels };
}

/**
 * Blends the overlay into `task.pixels` in place, in the frame's format (when `lut` is set), and
 * encodes the requested full-resolution PNG masks: the shared finish step (`core/finish.ts`) with
 * the task as its own constants (runs send their constants once, see `FinishTask`).
 */
export function renderFrame(task: RenderTask): RenderResult {
  const { pixels, maskPng, freeSpacePng } = finishFrame(task, task);
  const result: RenderResult = { pixels: pixels! };
  if (maskPng) result.maskPng = maskPng;
  if (freeSpacePng) result.freeSpacePng = freeSpacePng;
  return result;
}
