/**
 * Messages between the main thread and the render/preprocess workers.
 *
 * Buffer ownership: `pixels` is moved (transferred) to the worker and moved back in the result;
 * after a call the caller's original `pixels` view is detached (length 0) and the frame lives in
 * the result's `pixels`. Results' new buffers (`input`, PNGs) are moved too. Small inputs
 * (`classMap`, `lut`, `spec`) are copied, so the caller keeps them.
 */
import type { InputSpec } from '../../infer/types.js';
import type { TensorLayout } from '../../pixels/tensor.js';
import type { PixelFormat } from '../../types.js';

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
}

/** Result of the `preprocess` task. */
export interface PreprocessResult {
  /** Normalised tensor, `3 * spec.height * spec.width` floats in `layout`. */
  input: Float32Array;
  /** The frame, unchanged, handed back. */
  pixels: Uint8Array;
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
