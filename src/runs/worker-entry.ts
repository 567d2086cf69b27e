/**
 * The module every worker thread of a run loads (piscina, from the compiled
 * `dist/runs/worker-entry.js`): the table of tasks, by name. Each run kind's code is imported the
 * first time one of its tasks runs, so a video run's workers never load the frame-folder code
 * (image decoding, scoring) and the other way round.
 */
import { defineTask } from '../workers/task.js';
import type { DecodeFrameTask, FinishFrameTask } from './folders/frame-tasks.js';
import type { PreprocessTask, RenderTask } from './video/frame-tasks.js';
import type { DecodeLogTask } from './logs/frame-tasks.js';
import type { FinishTask } from './core/finish.js';

const core = () => import('./core/finish.js');
const video = () => import('./video/frame-tasks.js');
const folders = () => import('./folders/frame-tasks.js');

/** Video: resize + normalise a frame into the network input; the frame, the tensor and its luma move back. */
export const preprocess = defineTask(
  async (t: PreprocessTask) => (await video()).preprocessFrame(t),
  (r) => [r.input, r.pixels, r.luma],
);

/** Every kind: the finish step of a frame (masks, free space, boundary, overlay, JPEG); every buffer moves back. */
export const finish = defineTask(
  async (t: FinishTask) => (await core()).finishTask(t),
  (r) => [r.pixels, r.video, r.maskPng, r.freeSpacePng, r.classIds, r.freeSpace, r.boundary, r.overlayJpeg],
);

/** Video: overlay + full-size masks of a frame; the frame and the PNGs move back. */
export const render = defineTask(
  async (t: RenderTask) => (await video()).renderFrame(t),
  (r) => [r.pixels, r.maskPng, r.freeSpacePng],
);

/** Frame folders: read + decode an image file and preprocess it; pixels and tensor move back. */
export const decodeFrame = defineTask(
  async (t: DecodeFrameTask) => (await folders()).decodeFrameFile(t),
  (r) => [r.pixels, r.input],
);

/** Frame folders: masks, boundary, road map, overlay and scores of a frame; every buffer moves back. */
export const finishFrame = defineTask(
  async (t: FinishFrameTask) => (await folders()).finishFrame(t),
  (r) => [r.maskPng, r.freeSpacePng, r.roadPng, r.boundary, r.video, r.confusion],
);

const logs = () => import('./logs/frame-tasks.js');

/** Logs: a camera message decoded to RGB24 (and preprocessed, when asked); pixels and tensor move back. */
export const decodeLogImage = defineTask(
  async (t: DecodeLogTask) => (await logs()).decodeLogTask(t),
  (r) => [r.pixels, r.input],
);
