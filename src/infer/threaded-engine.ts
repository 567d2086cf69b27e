/**
 * An engine that runs on its own worker thread (see `engine-thread.ts`), behind the same
 * {@link Engine} interface. The calling thread only posts inputs and receives class maps, so
 * its event loop stays free while the network computes: in a video pipeline that thread also
 * reads the decoder's pipe, feeds the encoder and talks to the pre/post-processing workers.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ErrorCodes, SegStreamError, reviveError, type SerializedError } from '../errors.js';
import { compiledModulePath } from '../workers/module-path.js';
import { registerLiveEngine, unregisterLiveEngine } from './live-engines.js';
import type { Engine, EngineName, EngineOptions, EngineOutput, EngineRunOptions, LoadedModel } from './types.js';

/** What the thread is started with (`workerData`). */
export interface ThreadStart {
  model: LoadedModel;
  engine: EngineName;
  options: EngineOptions;
}

/** Main thread → inference thread. */
export type ThreadRequest =
  | { type: 'run'; id: number; inputs: Float32Array[]; options: EngineRunOptions; returnInputs?: boolean }
  | { type: 'end-stream'; stream: number }
  | { type: 'dispose' };

/** Inference thread → main thread. */
export type ThreadMessage =
  | { type: 'ready'; backend: string; inputLayout: 'NCHW' | 'NHWC' }
  | { type: 'failed'; error: SerializedError }
  | { type: 'result'; id: number; outputs: EngineOutput[]; inputs?: Float32Array[] }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'disposed' };

/** Path of the compiled thread module (see {@link compiledModulePath}). */
export function engineThreadPath(moduleUrl: string = import.meta.url): string {
  return compiledModulePath('infer/engine-thread.js', moduleUrl);
}

/** Input buffers kept for reuse ({@link Engine.takeSpareInput}): a run has at most a few in flight. */
const MAX_SPARE_INPUTS = 4;

/** How long dispose waits for the thread to release the engine and end before terminating it. */
const DISPOSE_GRACE_MS = 5000;

/**
 * Starts `engine` for `model` on a new worker thread and resolves when it is ready.
 *
 * `run(inputs, { transferInputs: true })` moves the inputs' buffers to the thread instead of
 * copying them (they are detached afterwards); they come back with the results, to be refilled
 * ({@link Engine.takeSpareInput}). Class maps come back moved, never copied.
 * `run(inputs, { post })` runs a post-network step on the thread, next to the network ({@link Engine.endStream}).
 *
 * @throws SegStreamError with the code the engine itself would throw (ENGINE_UNAVAILABLE,
 *   DEVICE_UNAVAILABLE, MODEL_INVALID, ...); INTERNAL when the thread module is missing.
 */
export async function createThreadedEngine(
  model: LoadedModel,
  engine: EngineName,
  options: EngineOptions = {},
): Promise<Engine> {
  const filename = engineThreadPath();
  if (!existsSync(filename)) {
    throw new SegStreamError(
      ErrorCodes.INTERNAL,
      `Inference thread module ${filename} not found: worker threads run compiled JavaScript; run "npm run build" first.`,
    );
  }
  const start: ThreadStart = { model, engine, options };
  const worker = new Worker(filename, { workerData: start });
  const ready = await new Promise<{ backend: string; inputLayout: 'NCHW' | 'NHWC' }>((resolveReady, reject) => {
    const onMessage = (msg: ThreadMessage) => {
      cleanup();
      if (msg.type === 'ready') resolveReady(msg);
      else if (msg.type === 'failed') reject(reviveError(msg.error, ErrorCodes.INFERENCE_FAILED));
      else
        reject(new SegStreamError(ErrorCodes.INTERNAL, `The inference thread sent "${msg.type}" before it was ready.`));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(
        new SegStreamError(ErrorCodes.INFERENCE_FAILED, `The inference thread failed to start: ${err.message}`, {
          cause: err,
        }),
      );
    };
    const onExit = (code: number) => {
      cleanup();
      reject(
        new SegStreamError(
          ErrorCodes.INFERENCE_FAILED,
          `The inference thread ended (exit code ${code}) before it was ready.`,
        ),
      );
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  return new ThreadedEngine(model, engine, worker, ready.backend, ready.inputLayout);
}

class ThreadedEngine implements Engine {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (o: EngineOutput[]) => void; reject: (e: Error) => void }>();
  /** Input buffers moved back by the thread after their run, for {@link takeSpareInput}. */
  readonly #spare: Float32Array[] = [];
  #nextId = 0;
  #ended: SegStreamError | undefined;
  #exited: Promise<void>;

  constructor(
    readonly model: LoadedModel,
    readonly name: EngineName,
    worker: Worker,
    readonly backend: string,
    readonly inputLayout: 'NCHW' | 'NHWC',
  ) {
    this.#worker = worker;
    registerLiveEngine(this);
    worker.on('message', (msg: ThreadMessage) => {
      if (msg.type !== 'result' && msg.type !== 'error') return;
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if (msg.type === 'result') {
        for (const input of msg.inputs ?? []) if (this.#spare.length < MAX_SPARE_INPUTS) this.#spare.push(input);
        p.resolve(msg.outputs);
      } else p.reject(reviveError(msg.error, ErrorCodes.INFERENCE_FAILED));
    });
    worker.on('error', (err) =>
      this.#fail(
        new SegStreamError(ErrorCodes.INFERENCE_FAILED, `The inference thread failed: ${err.message}`, { cause: err }),
      ),
    );
    this.#exited = new Promise((resolveExit) => {
      worker.once('exit', (code) => {
        unregisterLiveEngine(this);
        this.#fail(new SegStreamError(ErrorCodes.INFERENCE_FAILED, `The inference thread ended (exit code ${code}).`));
        resolveExit();
      });
    });
  }

  #fail(err: SegStreamError): void {
    this.#ended ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  run(inputs: Float32Array[], options: EngineRunOptions = {}): Promise<EngineOutput[]> {
    if (this.#ended) return Promise.reject(this.#ended);
    const id = this.#nextId++;
    const { transferInputs, ...rest } = options;
    const transfer = transferInputs ? [...new Set(inputs.map((i) => i.buffer as ArrayBuffer))] : [];
    return new Promise((resolveRun, reject) => {
      this.#pending.set(id, { resolve: resolveRun, reject });
      // Moved inputs come back with the results (the thread has finished with them), to be refilled.
      const msg: ThreadRequest = { type: 'run', id, inputs, options: rest, returnInputs: transfer.length > 0 };
      try {
        this.#worker.postMessage(msg, transfer);
      } catch (err) {
        this.#pending.delete(id);
        reject(
          new SegStreamError(
            ErrorCodes.INFERENCE_FAILED,
            `Could not send frames to the inference thread: ${(err as Error).message}`,
            { cause: err },
          ),
        );
      }
    });
  }

  takeSpareInput(length: number): Float32Array | undefined {
    for (let input = this.#spare.pop(); input; input = this.#spare.pop()) if (input.length === length) return input;
    return undefined;
  }

  /** The thread hosts post-network steps (runs with `post`): forgets a stream's step. */
  endStream(stream: number): void {
    if (!this.#ended) this.#worker.postMessage({ type: 'end-stream', stream } satisfies ThreadRequest);
  }

  #disposing: Promise<void> | undefined;

  /** Idempotent: a second call (an abort, then the run's own clean-up) waits for the first. */
  dispose(): Promise<void> {
    this.#disposing ??= this.#dispose();
    return this.#disposing;
  }

  async #dispose(): Promise<void> {
    if (!this.#ended) {
      this.#ended = new SegStreamError(
        ErrorCodes.INFERENCE_FAILED,
        'The engine was disposed; create a new engine to run more frames.',
      );
      this.#worker.postMessage({ type: 'dispose' } satisfies ThreadRequest);
      const timer = setTimeout(() => void this.#worker.terminate(), DISPOSE_GRACE_MS);
      await this.#exited;
      clearTimeout(timer);
    } else {
      await this.#worker.terminate();
      await this.#exited;
    }
  }
}
