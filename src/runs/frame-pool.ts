/**
 * The worker pool of a run: the generic {@link WorkerPool} on `runs/worker-entry.ts`, with one
 * typed method per task. Frame buffers are moved to the worker and back (the caller's `pixels`
 * view is detached until the result hands the frame back).
 */
import { invalidOption } from '../errors.js';
import { checkDimension, checkLength } from '../pixels/check.js';
import { frameByteLength } from '../pixels/yuv.js';
import type { PixelFormat } from '../types.js';
import { compiledModulePath } from '../workers/module-path.js';
import { createWorkerPool, type WorkerPool, type WorkerRunOptions } from '../workers/pool.js';
import type { DecodeFrameResult, DecodeFrameTask, FinishFrameResult, FinishFrameTask } from './folders/frame-tasks.js';
import type { FinishOutput, FinishTask } from './core/finish.js';
import type { PreprocessResult, PreprocessTask, RenderResult, RenderTask } from './video/frame-tasks.js';

/** Options of {@link createFramePool}. */
export interface FramePoolOptions {
  /** Worker threads, all started up front. Default: `max(1, os.availableParallelism())`. */
  threads?: number;
  /** Tasks that may wait for a free thread (see {@link WorkerPoolOptions.maxQueue}). */
  maxQueue?: number;
}

/** Per-call options: an abort signal. */
export type FrameTaskOptions = Pick<WorkerRunOptions, 'signal'>;

/** The worker pool of a run, one method per task. */
export interface FramePool extends WorkerPool {
  /** Video: resize + normalise a frame. `task.pixels` (and `task.out`) are moved: use the returned `pixels` (and `input`). */
  preprocess(task: PreprocessTask, options?: FrameTaskOptions): Promise<PreprocessResult>;
  /** Video: overlay + masks of a frame. `task.pixels` is moved: use the returned `pixels`. */
  render(task: RenderTask, options?: FrameTaskOptions): Promise<RenderResult>;
  /** Every kind: the shared finish step of a frame (`core/finish.ts`). `task.pixels` is moved: use the returned `pixels`. */
  finish(task: FinishTask, options?: FrameTaskOptions): Promise<FinishOutput>;
  /** Frame folders: reads, decodes and (with `spec`) preprocesses an image file. */
  decodeFrame(task: DecodeFrameTask, options?: FrameTaskOptions): Promise<DecodeFrameResult>;
  /** Frame folders: masks, free-space boundary, road map, overlay and scores. `task.pixels` is moved. */
  finishFrame(task: FinishFrameTask, options?: FrameTaskOptions): Promise<FinishFrameResult>;
}

/** The compiled worker module of runs. */
export const WORKER_ENTRY = 'runs/worker-entry.js';

/**
 * Starts the worker threads of a run.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` for bad options;
 *   `SEGSTREAM_ERR_WORKER_FAILED` when the compiled worker module is missing
 * @example
 * ```ts
 * await using pool = createFramePool({ threads: 2 });
 * const { input, pixels } = await pool.preprocess({ pixels: frame.pixels, format: frame.format, width, height, spec, layout: 'NCHW' });
 * frame.pixels = pixels;
 * ```
 */
export function createFramePool(options: FramePoolOptions = {}): FramePool {
  const pool = createWorkerPool({ ...options, filename: compiledModulePath(WORKER_ENTRY) });
  const checked = <R>(check: () => void, run: () => Promise<R>): Promise<R> => {
    try {
      check();
    } catch (err) {
      return Promise.reject(err);
    }
    return run();
  };
  return Object.assign(pool, {
    preprocess: (task: PreprocessTask, o: FrameTaskOptions = {}) =>
      checked(
        () => checkFrame(task.pixels, task.format, task.width, task.height),
        () =>
          pool.run<PreprocessResult>(
            'preprocess',
            { ...task },
            { ...o, transfer: task.out ? [task.pixels, task.out] : [task.pixels] },
          ),
      ),
    render: (task: RenderTask, o: FrameTaskOptions = {}) =>
      checked(
        () => {
          checkFrame(task.pixels, task.format, task.width, task.height);
          checkDimension('mapWidth', task.mapWidth);
          checkDimension('mapHeight', task.mapHeight);
          checkLength('classMap', task.classMap, task.mapWidth * task.mapHeight);
          if (task.lut !== null) checkLength('lut', task.lut, 256 * 4);
        },
        () =>
          pool.run<RenderResult>(
            'render',
            { ...task },
            { ...o, transfer: [task.pixels, ...(task.scores?.heads ?? [])] },
          ),
      ),
    // No copy of the task: it is made per frame by the caller, its `run` constants shared.
    finish: (task: FinishTask, o: FrameTaskOptions = {}) =>
      pool.run<FinishOutput>('finish', task, {
        ...o,
        transfer: [...(task.pixels ? [task.pixels] : []), ...(task.scores?.heads ?? [])],
      }),
    decodeFrame: (task: DecodeFrameTask, o: FrameTaskOptions = {}) =>
      pool.run<DecodeFrameResult>('decodeFrame', { ...task }, o),
    finishFrame: (task: FinishFrameTask, o: FrameTaskOptions = {}) =>
      pool.run<FinishFrameResult>(
        'finishFrame',
        { ...task },
        { ...o, transfer: [...(task.pixels ? [task.pixels] : []), ...(task.scores?.heads ?? [])] },
      ),
  });
}

function checkFrame(pixels: Uint8Array, format: PixelFormat, width: number, height: number): void {
  checkDimension('width', width);
  checkDimension('height', height);
  if (format !== 'rgb24' && format !== 'yuv420p') throw invalidOption('format', 'rgb24 or yuv420p', format);
  checkLength('pixels', pixels, frameByteLength(format, width, height));
}
