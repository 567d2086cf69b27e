/**
 * A pool of worker threads (piscina) running the named tasks of one module: generic, it knows no
 * task. Buffers travel by transfer, and a task's coded error comes back with its code (see
 * `task.ts`). The module's tasks are made with {@link defineTask}.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { ErrorCodes, SegStreamError, invalidOption, reviveError } from '../errors.js';
import { isTaskFailure } from './task.js';
import { ownsBuffer, transferListOf } from './transfer.js';

/** Options of {@link createWorkerPool}. */
export interface WorkerPoolOptions {
  /** The compiled worker module whose named exports are the tasks (see `compiledModulePath`). */
  filename: string;
  /** Worker threads, all started up front. Default: `max(1, os.availableParallelism())`. */
  threads?: number;
  /**
   * Tasks that may wait for a free thread; one more is rejected with `SEGSTREAM_ERR_WORKER_FAILED`.
   * Default: `max(4, threads * threads)` (piscina's `auto`, at least 4). Callers should keep the
   * number of tasks in flight at or under `threads + maxQueue`.
   */
  maxQueue?: number;
}

/** Per-call options of {@link WorkerPool.run}. */
export interface WorkerRunOptions {
  /**
   * Views whose buffers are moved to the worker (detached here afterwards). A view that does not
   * own its whole ArrayBuffer is copied into one that does first, so unrelated bytes never move;
   * SharedArrayBuffer-backed views are shared, not moved.
   */
  transfer?: ArrayBufferView[];
  /** Aborting rejects with `SEGSTREAM_ERR_ABORTED` (a running task's thread is terminated and replaced). */
  signal?: AbortSignal;
}

/** A pool of worker threads. */
export interface WorkerPool {
  /** Number of worker threads. */
  readonly threads: number;
  /** Maximum queued tasks. */
  readonly maxQueue: number;
  /** Thread ids of the live workers; empty once `close()` or `destroy()` has finished. */
  readonly threadIds: number[];
  /** Tasks waiting for a thread. */
  readonly queueSize: number;
  /**
   * Runs the task exported as `name` by the worker module with `task` as its argument.
   *
   * @throws {SegStreamError} the task's own coded error; `SEGSTREAM_ERR_WORKER_FAILED` when the
   *   task failed without one or the pool is closed; `SEGSTREAM_ERR_ABORTED` on abort
   */
  run<R>(name: string, task: object, options?: WorkerRunOptions): Promise<R>;
  /** Finishes queued and running tasks, then ends every thread. Idempotent. */
  close(): Promise<void>;
  /** Rejects queued and running tasks and terminates every thread now. Idempotent. */
  destroy(): Promise<void>;
  /** Same as {@link WorkerPool.close}. */
  [Symbol.asyncDispose](): Promise<void>;
}

function resolveOptions(options: WorkerPoolOptions): { threads: number; maxQueue: number } {
  const threads = options.threads ?? Math.max(1, availableParallelism());
  if (!Number.isSafeInteger(threads) || threads < 1)
    throw invalidOption('threads', 'a positive integer', options.threads);
  const maxQueue = options.maxQueue ?? Math.max(4, threads * threads);
  if (!Number.isSafeInteger(maxQueue) || maxQueue < 0)
    throw invalidOption('maxQueue', 'a non-negative integer', options.maxQueue);
  return { threads, maxQueue };
}

/**
 * Starts a pool of worker threads for the tasks of `options.filename`.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` for bad options;
 *   `SEGSTREAM_ERR_WORKER_FAILED` when the compiled worker module is missing
 * @example
 * ```ts
 * await using pool = createWorkerPool({ filename: compiledModulePath('runs/worker-entry.js') });
 * const r = await pool.run<PreprocessResult>('preprocess', task, { transfer: [task.pixels] });
 * ```
 */
export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const { threads, maxQueue } = resolveOptions(options);
  const { filename } = options;
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
    run<R>(name: string, task: object, runOptions: WorkerRunOptions = {}): Promise<R> {
      if (closing !== null || destroying !== null) {
        return Promise.reject(
          new SegStreamError(
            ErrorCodes.WORKER_FAILED,
            `Cannot run ${name}: the worker pool is closed; create a new pool`,
            { context: { stage: name } },
          ),
        );
      }
      const views = (runOptions.transfer ?? []).map((v) =>
        v.buffer instanceof SharedArrayBuffer || ownsBuffer(v) ? v : copyOwned(task, v),
      );
      const run = piscina
        .run(task, { name, transferList: transferListOf(...views), signal: runOptions.signal ?? null })
        .then(
          (result: unknown) => {
            if (isTaskFailure(result)) throw reviveError(result.segStreamTaskError, ErrorCodes.WORKER_FAILED);
            return result as R;
          },
          (err: unknown) => {
            throw workerError(name, err);
          },
        );
      const settled: Promise<unknown> = run.then(
        () => pending.delete(settled),
        () => pending.delete(settled),
      );
      pending.add(settled);
      return run;
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

/** Replaces `view` in `task` by a copy that owns its buffer (so the move takes nothing else along). */
function copyOwned(task: object, view: ArrayBufferView): ArrayBufferView {
  const copy = new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
  const typed = new (view.constructor as new (b: ArrayBufferLike) => ArrayBufferView)(copy.buffer);
  for (const [key, value] of Object.entries(task)) if (value === view) (task as Record<string, unknown>)[key] = typed;
  return typed;
}

function workerError(stage: string, err: unknown): SegStreamError {
  if (err instanceof SegStreamError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name === 'AbortError') {
    return new SegStreamError(ErrorCodes.ABORTED, `The ${stage} task was aborted`, { cause: err, context: { stage } });
  }
  return new SegStreamError(ErrorCodes.WORKER_FAILED, `The ${stage} worker failed: ${message}`, {
    cause: err,
    context: { stage },
  });
}
