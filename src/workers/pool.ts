/**
 * The pre/post-processing worker pool: piscina threads running `tasks.ts`, with frame buffers
 * moved (not copied) in both directions.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ErrorCodes, SegStreamError, invalidOption, type ErrorCode } from '../errors.js';
import { checkDimension, checkLength } from '../pixels/check.js';
import { frameByteLength } from '../pixels/yuv.js';
import type { PixelFormat } from '../types.js';
import { ownsBuffer, transferListOf } from './transfer.js';
import type { PreprocessResult, PreprocessTask, RenderResult, RenderTask, RgbPreprocessTask } from './types.js';
import type { DecodeFrameResult, DecodeFrameTask, FinishFrameResult, FinishFrameTask } from './batch-tasks.js';

/** Options of {@link createWorkerPool}. */
export interface WorkerPoolOptions {
  /** Worker threads, all started up front. Default: `max(1, os.availableParallelism())`. */
  threads?: number;
  /**
   * Tasks that may wait for a free thread; one more is rejected with `SEGSTREAM_ERR_WORKER_FAILED`.
   * Default: `max(4, threads * threads)` (piscina's `auto`, at least 4). Callers should keep the
   * number of frames in flight at or under `threads + maxQueue`.
   */
  maxQueue?: number;
}

/** Per-call options. */
export interface WorkerRunOptions {
  /** Aborting rejects with `SEGSTREAM_ERR_ABORTED` (a running task's thread is terminated and replaced). */
  signal?: AbortSignal;
}

/** A pool of worker threads for per-frame pixel work. */
export interface WorkerPool {
  /** Number of worker threads. */
  readonly threads: number;
  /** Maximum queued tasks. */
  readonly maxQueue: number;
  /** Thread ids of the live workers; empty once `close()` or `destroy()` has finished. */
  readonly threadIds: number[];
  /** Tasks waiting for a thread. */
  readonly queueSize: number;
  /** Resize + normalise a frame in a worker. `task.pixels` is moved: use the returned `pixels`. */
  preprocess(task: PreprocessTask | RgbPreprocessTask, options?: WorkerRunOptions): Promise<PreprocessResult>;
  /** Overlay + masks for a frame in a worker. `task.pixels` is moved: use the returned `pixels`. */
  render(task: RenderTask, options?: WorkerRunOptions): Promise<RenderResult>;
  /** Frame folders: reads, decodes and (with `spec`) preprocesses an image file in a worker. */
  decodeFrame(task: DecodeFrameTask, options?: WorkerRunOptions): Promise<DecodeFrameResult>;
  /** Frame folders: full-size masks, free-space boundary, road map, overlay and scores of a frame. `task.pixels` is moved. */
  finishFrame(task: FinishFrameTask, options?: WorkerRunOptions): Promise<FinishFrameResult>;
  /** Finishes queued and running tasks, then ends every thread. Idempotent. */
  close(): Promise<void>;
  /** Rejects queued and running tasks and terminates every thread now. Idempotent. */
  destroy(): Promise<void>;
  /** Same as {@link WorkerPool.close}. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Path of the compiled worker module for a pool module at `moduleUrl`.
 *
 * In production the pool runs from `dist/workers/pool.js` and its sibling `tasks.js` is used.
 * When the pool itself runs from TypeScript sources (vitest, ts loaders) the sibling is
 * `src/workers/tasks.ts`, which a worker thread cannot load: `new Worker()` starts a fresh
 * Node isolate without the test runner's TypeScript transform. So the compiled
 * `dist/workers/tasks.js` (tsconfig `outDir`) is used instead; run `npm run build` first.
 */
export function tasksModulePath(moduleUrl: string = import.meta.url): string {
  const here = fileURLToPath(moduleUrl);
  if (/\.[cm]?ts$/.test(here)) return resolve(dirname(here), '..', '..', 'dist', 'workers', 'tasks.js');
  return join(dirname(here), 'tasks.js');
}

function resolveOptions(options: WorkerPoolOptions): { threads: number; maxQueue: number } {
  const threads = options.threads ?? Math.max(1, availableParallelism());
  if (!Number.isSafeInteger(threads) || threads < 1) throw invalidOption('threads', 'a positive integer', options.threads);
  const maxQueue = options.maxQueue ?? Math.max(4, threads * threads);
  if (!Number.isSafeInteger(maxQueue) || maxQueue < 0) throw invalidOption('maxQueue', 'a non-negative integer', options.maxQueue);
  return { threads, maxQueue };
}

/**
 * Starts a pool of worker threads for preprocessing and rendering.
 *
 * Frame buffers travel by transfer: `task.pixels` is detached on the caller's side until the
 * result hands it back. A frame whose view does not own its whole ArrayBuffer (a slice of a
 * larger buffer) is copied once instead, so unrelated bytes are never moved away; a
 * SharedArrayBuffer-backed frame is shared, not moved.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` for bad options;
 *   `SEGSTREAM_ERR_WORKER_FAILED` when the compiled worker module is missing
 * @example
 * ```ts
 * await using pool = createWorkerPool();
 * const { input, pixels } = await pool.preprocess({ pixels: frame.pixels, format: frame.format, width, height, spec, layout: 'NCHW' });
 * frame.pixels = pixels;
 * ```
 */
export function createWorkerPool(options: WorkerPoolOptions = {}): WorkerPool {
  const { threads, maxQueue } = resolveOptions(options);
  const filename = tasksModulePath();
  if (!existsSync(filename)) {
    throw new SegStreamError(
      ErrorCodes.WORKER_FAILED,
      `Worker module ${filename} not found: worker threads run compiled JavaScript; run "npm run build" first`,
    );
  }
  const piscina = new Piscina({ filename, minThreads: threads, maxThreads: threads, maxQueue });
  // piscina emits 'error' (e.g. close timeout); an EventEmitter without a listener would throw it.
  piscina.on('error', () => {});

  const pending = new Set<Promise<unknown>>();
  let closing: Promise<void> | null = null;
  let destroying: Promise<void> | null = null;

  function submit<R>(name: 'preprocess' | 'render' | 'decodeFrame' | 'finishFrame', task: object & { pixels?: Uint8Array }, runOptions: WorkerRunOptions): Promise<R> {
    if (closing !== null || destroying !== null) {
      return Promise.reject(
        new SegStreamError(ErrorCodes.WORKER_FAILED, `Cannot run ${name}: the worker pool is closed; create a new pool`, {
          context: { stage: name },
        }),
      );
    }
    if (task.pixels && !(task.pixels.buffer instanceof SharedArrayBuffer) && !ownsBuffer(task.pixels)) task.pixels = task.pixels.slice();
    const run = piscina
      .run(task, { name, transferList: transferListOf(task.pixels), signal: runOptions.signal ?? null })
      .catch((err: unknown) => {
        throw workerError(name, err);
      }) as Promise<R>;
    const settled: Promise<unknown> = run.then(
      () => pending.delete(settled),
      () => pending.delete(settled),
    );
    pending.add(settled);
    return run;
  }

  return {
    threads,
    maxQueue,
    get threadIds() {
      // An exited Worker reports threadId -1.
      return piscina.threads.map((w) => w.threadId).filter((id) => id !== -1);
    },
    get queueSize() {
      return piscina.queueSize;
    },
    preprocess(given, runOptions = {}) {
      let task: PreprocessTask;
      if ('rgb' in given) {
        const { rgb, ...rest } = given;
        task = { ...rest, pixels: rgb, format: 'rgb24' };
      } else {
        task = given;
      }
      try {
        checkFrame(task.pixels, task.format, task.width, task.height);
      } catch (err) {
        return Promise.reject(err);
      }
      return submit<PreprocessResult>('preprocess', { ...task }, runOptions);
    },
    render(task, runOptions = {}) {
      try {
        checkFrame(task.pixels, task.format, task.width, task.height);
        checkDimension('mapWidth', task.mapWidth);
        checkDimension('mapHeight', task.mapHeight);
        checkLength('classMap', task.classMap, task.mapWidth * task.mapHeight);
        if (task.lut !== null) checkLength('lut', task.lut, 256 * 4);
      } catch (err) {
        return Promise.reject(err);
      }
      return submit<RenderResult>('render', { ...task }, runOptions);
    },
    decodeFrame(task, runOptions = {}) {
      return submit<DecodeFrameResult>('decodeFrame', { ...task } as object, runOptions);
    },
    finishFrame(task, runOptions = {}) {
      return submit<FinishFrameResult>('finishFrame', { ...task }, runOptions);
    },
    close() {
      if (destroying !== null) return destroying;
      closing ??= (async () => {
        while (pending.size > 0) await Promise.allSettled([...pending]);
        await piscina.close();
      })();
      return closing;
    },
    destroy() {
      destroying ??= piscina.destroy();
      return destroying;
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
}

function checkFrame(pixels: Uint8Array, format: PixelFormat, width: number, height: number): void {
  checkDimension('width', width);
  checkDimension('height', height);
  if (format !== 'rgb24' && format !== 'yuv420p') throw invalidOption('format', 'rgb24 or yuv420p', format);
  checkLength('pixels', pixels, frameByteLength(format, width, height));
}

function workerError(stage: string, err: unknown): SegStreamError {
  if (err instanceof SegStreamError) return err;
  // Errors cross the thread boundary as plain Errors (structured clone keeps only the message):
  // tasks that throw SegStreamErrors send them as "<code>: <message>" (see tasks.ts `coded`).
  const m = err instanceof Error ? /^(SEGSTREAM_ERR_[A-Z_]+): ([\s\S]*)$/.exec(err.message) : null;
  if (m && (Object.values(ErrorCodes) as string[]).includes(m[1]!)) {
    return new SegStreamError(m[1] as ErrorCode, m[2]!, { cause: err, context: { stage } });
  }
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name === 'AbortError') {
    return new SegStreamError(ErrorCodes.ABORTED, `The ${stage} task was aborted`, { cause: err, context: { stage } });
  }
  return new SegStreamError(ErrorCodes.WORKER_FAILED, `The ${stage} worker failed: ${message}`, { cause: err, context: { stage } });
}
