/**
 * The worker-thread module of the pre/post-processing pool (loaded by piscina from its compiled
 * `dist/workers/tasks.js`). Named exports are the tasks, selected with piscina's `name` option.
 *
 * Each task is a thin wrapper over a pure function ({@link preprocessFrame}, {@link renderFrame})
 * that also runs on the main thread; the wrapper only marks the result's buffers to be moved
 * back with `Piscina.move()`, so no frame is copied on the way back.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { SegStreamError } from '../errors.js';
import { resizeI420ToTensor, resizeToTensor } from '../pixels/tensor.js';
import { blendOverlay, blendOverlayI420 } from '../render/overlay.js';
import { freeSpaceMask, upscaleClassMap } from '../pixels/class-map.js';
import { encodePng } from '../codecs/png-encode.js';
import { transferListOf } from './transfer.js';
import type { PreprocessResult, PreprocessTask, RenderResult, RenderTask } from './types.js';
import { decodeFrameSync, finishFrameSync, type DecodeFrameResult, type DecodeFrameTask, type FinishFrameResult, type FinishFrameTask } from './batch-tasks.js';

/** Resizes and normalises one frame; returns the tensor and the untouched frame. */
export function preprocessFrame(task: PreprocessTask): PreprocessResult {
  const resize = task.format === 'yuv420p' ? resizeI420ToTensor : resizeToTensor;
  const input = resize(task.pixels, task.width, task.height, task.spec, task.layout);
  return { input, pixels: task.pixels };
}

// Full-resolution class map, reused across frames of one size (one task at a time per thread).
let fullMap = new Uint8Array(0);

/**
 * Blends the overlay into `task.pixels` in place, in the frame's format (when `lut` is set), and
 * encodes the requested full-resolution PNG masks (class maps, independent of the pixel format).
 */
export function renderFrame(task: RenderTask): RenderResult {
  const { pixels, width, height, classMap, mapWidth, mapHeight } = task;
  if (task.lut !== null) {
    const blend = task.format === 'yuv420p' ? blendOverlayI420 : blendOverlay;
    blend(pixels, width, height, classMap, mapWidth, mapHeight, task.lut, task.alpha);
  }
  const result: RenderResult = { pixels };
  if (task.masks || task.freeSpaceIds !== null) {
    if (fullMap.length !== width * height) fullMap = new Uint8Array(width * height);
  }
  if (task.masks) {
    upscaleClassMap(classMap, mapWidth, mapHeight, width, height, fullMap);
    result.maskPng = encodePng(fullMap, width, height, 'gray');
  }
  if (task.freeSpaceIds !== null) {
    const small = freeSpaceMask(classMap.subarray(0, mapWidth * mapHeight), task.freeSpaceIds);
    upscaleClassMap(small, mapWidth, mapHeight, width, height, fullMap);
    result.freeSpacePng = encodePng(fullMap, width, height, 'gray');
  }
  return result;
}

/** Wraps `value` so piscina moves the buffers behind `views` instead of copying them. */
function moved<T extends object>(value: T, ...views: (ArrayBufferView | undefined)[]): T {
  const transferable = {
    [transferableSymbol]: transferListOf(...views),
    [valueSymbol]: value,
  };
  return move(transferable as never) as unknown as T;
}

/** piscina task `preprocess`: {@link preprocessFrame}, with `input` and `pixels` moved back. */
export function preprocess(task: PreprocessTask): PreprocessResult {
  const result = preprocessFrame(task);
  return moved(result, result.input, result.pixels);
}

/** piscina task `render`: {@link renderFrame}, with `pixels` and the PNGs moved back. */
export function render(task: RenderTask): RenderResult {
  const result = renderFrame(task);
  return moved(result, result.pixels, result.maskPng, result.freeSpacePng);
}

/** piscina task `decodeFrame` (frame folders): read + decode + preprocess, buffers moved back. */
export function decodeFrame(task: DecodeFrameTask): DecodeFrameResult {
  const result = coded(() => decodeFrameSync(task));
  return moved(result, result.pixels, result.input);
}

/** piscina task `finishFrame` (frame folders): masks, boundary, road map, overlay, scores; buffers moved back. */
export function finishFrame(task: FinishFrameTask): FinishFrameResult {
  const result = coded(() => finishFrameSync(task));
  return moved(result, result.maskPng, result.freeSpacePng, result.roadPng, result.boundary, result.video, result.confusion);
}

/** Runs `fn`; a SegStreamError leaves the thread as an Error "<code>: <message>", which the pool turns back into one. */
function coded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SegStreamError) throw new Error(`${err.code}: ${err.message}`);
    throw err;
  }
}
