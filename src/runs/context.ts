/**
 * What every run owns — binaries, model, engine, worker pool, stage clock and stop signal — and
 * disposes in one place. Video, frame-folder and eval runs (and a fleet worker's job, which is one
 * of them) are written as: make the context, load the model, check the outputs, start the engine
 * and the pool, push frames through the scheduler, and always `close()`.
 */
import { type StopReason } from '../defaults.js';
import { createEngine } from '../infer/engine.js';
import { modelAtSize, modelForSource, type InputSize } from '../infer/input-size.js';
import { DEFAULT_MODEL, loadModel } from '../infer/model-card.js';
import type { DeviceName, Engine, EngineName, LoadedModel } from '../infer/types.js';
import { resolveFfmpeg, type FfmpegBinaries } from '../process/binaries.js';
import { createFramePool, type FramePool } from './frame-pool.js';
import { StageClock } from './stats.js';

export type { StopReason };

/** What a run context is made from (the shared part of every run's options, after defaults). */
export interface RunContextOptions {
  model?: string | LoadedModel;
  /** An engine name, or an Engine the caller owns (used as is, never disposed by the run). */
  engine: EngineName | Engine;
  device: DeviceName;
  threads: number;
  workers: number;
  /** Worker tasks allowed to wait for a thread. */
  maxQueue: number;
  ffmpegPath?: string;
  ffprobePath?: string;
  /** The caller's stop: aborting it stops the run gracefully with reason `signal`. */
  signal?: AbortSignal;
}

/** The resources of one run. */
export class RunContext {
  /** When the run was asked for (setup time is measured from here). */
  readonly created = performance.now();
  readonly binaries: FfmpegBinaries;
  readonly clock = new StageClock();
  /** Aborted when the run should stop taking new frames (user stop, a limit reached, an error). */
  readonly stop = new AbortController();
  #stopReason: StopReason = 'end';
  /** The model as its card has it; {@link model} may be it at this run's input size. */
  #loaded: LoadedModel | undefined;
  #model: LoadedModel | undefined;
  #engine: Engine | undefined;
  #pool: FramePool | undefined;
  #ready: number | undefined;
  #closed: Promise<void> | undefined;
  readonly #onUserStop = () => this.requestStop('signal');

  constructor(readonly options: RunContextOptions) {
    this.binaries = resolveFfmpeg({ ffmpegPath: options.ffmpegPath, ffprobePath: options.ffprobePath });
    options.signal?.addEventListener('abort', this.#onUserStop, { once: true });
    if (options.signal?.aborted) this.requestStop('signal');
  }

  /** Why the run stopped taking frames (`end` until something stops it). */
  get stopReason(): StopReason {
    return this.#stopReason;
  }

  /** Stops taking new frames; the first reason given wins. */
  requestStop(reason: StopReason): void {
    if (this.stop.signal.aborted) return;
    this.#stopReason = reason;
    this.stop.abort();
  }

  /** Records why a run ended that no stop request explains (e.g. a file's frame limit reached). */
  endedBy(reason: StopReason): void {
    if (this.#stopReason === 'end') this.#stopReason = reason;
  }

  /** Loads the model named in the options (once). */
  async loadModel(): Promise<LoadedModel> {
    const m = this.options.model;
    this.#loaded ??= typeof m === 'object' ? m : await loadModel(m ?? DEFAULT_MODEL);
    this.#model ??= this.#loaded;
    return this.#model;
  }

  /**
   * Fixes the run's network input size from its source's frame size, by the card's
   * `input.resize` policy (`inputSizeFor`): from here on {@link model} is at that size, and so is
   * the engine {@link start} makes. An engine the caller owns keeps its own model's size. Call it
   * before `start()`; a run that never calls it runs at the card's size.
   */
  async sizeFor(source: InputSize): Promise<LoadedModel> {
    if (this.started) throw new Error('RunContext.sizeFor() before start()');
    await this.loadModel();
    const model = this.#loaded!;
    const { engine } = this.options;
    this.#model =
      typeof engine === 'object' ? modelAtSize(model, engine.model.card.input) : modelForSource(model, source);
    return this.#model;
  }

  get model(): LoadedModel {
    if (!this.#model) throw new Error('RunContext.loadModel() first');
    return this.#model;
  }

  /**
   * Starts the worker pool and the engine (on its own thread for `onnx`); the workers start while
   * the engine loads the model. Starts the clock's memory sampling.
   *
   * @param what `{ engine: false }` starts the workers only (a run with nothing to infer)
   */
  async start(what: { engine?: boolean } = {}): Promise<void> {
    const model = await this.loadModel();
    this.#pool = createFramePool({ threads: this.options.workers, maxQueue: this.options.maxQueue });
    const { engine, device, threads } = this.options;
    if (what.engine !== false)
      this.#engine =
        typeof engine === 'object' ? engine : await createEngine(model, { engine, device, threads, thread: true });
    this.#ready = performance.now();
    this.clock.startSampling();
  }

  get engine(): Engine {
    if (!this.#engine) throw new Error('RunContext.start() first');
    return this.#engine;
  }

  /** The engine when one was started (or given). */
  get engineIfStarted(): Engine | undefined {
    return this.#engine ?? (typeof this.options.engine === 'object' ? this.options.engine : undefined);
  }

  get pool(): FramePool {
    if (!this.#pool) throw new Error('RunContext.start() first');
    return this.#pool;
  }

  /** True once {@link start} has finished. */
  get started(): boolean {
    return this.#ready !== undefined;
  }

  /** `performance.now()` when the engine was ready (fps are timed from here). */
  get readyAt(): number {
    return this.#ready ?? performance.now();
  }

  /** Seconds from {@link created} to the engine being ready (probing, model, engine). */
  get setupSeconds(): number {
    return Math.round(this.readyAt - this.created) / 1000;
  }

  /** Ends the worker threads and the engine (unless the caller owns it) and the clock. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.options.signal?.removeEventListener('abort', this.#onUserStop);
      this.clock.stopSampling();
      await this.#pool?.destroy();
      if (typeof this.options.engine !== 'object') await this.#engine?.dispose();
    })();
    return this.#closed;
  }
}
