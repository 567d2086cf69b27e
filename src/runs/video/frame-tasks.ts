/**
 * The per-frame work of a video run in the worker threads: {@link preprocessFrame} (resize and
 * normalise into the network input) and {@link renderFrame} (overlay and full-size masks). Pure
 * functions: the worker entry (`runs/worker-entry.ts`) makes tasks of them, and they run on any
 * thread.
 */
import { resizeI420ToTensor, resizeToTensor } from '../../pixels/tensor.js';
import { blendOverlay, blendOverlayI420 } from '../../render/overlay.js';
import { freeSpaceMask, upscaleClassMap } from '../../pixels/class-map.js';
import { encodePng } from '../../codecs/png-encode.js';
import type { PreprocessResult, PreprocessTask, RenderResult, RenderTask } from './task-types.js';

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
