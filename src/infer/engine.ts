/**
 * Creating an inference engine for a loaded model, and describing what is installed.
 * Each engine's package is imported only when that engine is used or described: a run whose
 * engine works on its own thread never loads onnxruntime-node on the calling thread (its code
 * would only weigh on that thread's heap, see `createThreadedEngine`).
 */
import { DEFAULTS, LIMITS, checkDevice, checkEngineName, positiveInt } from '../defaults.js';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { createThreadedEngine } from './threaded-engine.js';
import type { Engine, EngineName, EngineOptions, LoadedModel } from './types.js';

/** Options of {@link createEngine}. */
export interface CreateEngineOptions extends EngineOptions {
  /** Which engine runs the model; default `onnx`. */
  engine?: EngineName;
  /**
   * Run the engine on its own worker thread so the calling thread's event loop stays free while
   * the network computes (onnxruntime-node computes on the thread that calls `run`). Used by the
   * video, batch and eval pipelines for the `onnx` engine; the `tfjs` engine ignores it and stays
   * on the calling thread (its native tfjs-node backends cannot be installed here to prove them on
   * a worker thread). Default false.
   */
  thread?: boolean;
}

/** Merges `opts` with the engine and device of {@link DEFAULTS} and validates them (`threads` undefined = all cores). */
export function resolveEngineOptions(
  opts: CreateEngineOptions = {},
): Required<Omit<CreateEngineOptions, 'threads' | 'spin' | 'thread'>> & { threads?: number; spin?: boolean } {
  const engine = checkEngineName(opts.engine ?? DEFAULTS.engine);
  const device = checkDevice(opts.device ?? DEFAULTS.device);
  const { threads } = opts;
  if (threads !== undefined) positiveInt(threads, 'threads', LIMITS.threads);
  const spin = opts.spin === true;
  return threads === undefined ? { engine, device, spin } : { engine, device, threads, spin };
}

/**
 * Creates the inference engine for `model`.
 *
 * @example
 * ```ts
 * const model = await loadModel(DEFAULT_MODEL);
 * const engine = await createEngine(model, { engine: 'onnx', threads: 2 });
 * try { const [out] = await engine.run([input]); } finally { await engine.dispose(); }
 * ```
 * @throws SegStreamError INVALID_OPTION for a bad option; ENGINE_UNAVAILABLE when the card has
 *   no file for the engine; DEVICE_UNAVAILABLE when the device cannot be used (with install
 *   advice); MODEL_INVALID when the network disagrees with its card.
 */
export async function createEngine(model: LoadedModel, opts: CreateEngineOptions = {}): Promise<Engine> {
  const { engine, device, threads, spin } = resolveEngineOptions(opts);
  if (!model.card.engines[engine] || !model.files[engine]) {
    const other = engine === 'onnx' ? 'tfjs' : 'onnx';
    const hint = model.card.engines[other] ? ` It has ${other} files: use --engine ${other}.` : '';
    throw new SegStreamError(
      ErrorCodes.ENGINE_UNAVAILABLE,
      `Model "${model.card.name}" (${model.dir}) has no ${engine} files in its card (engines.${engine}).${hint}`,
    );
  }
  const engineOpts: EngineOptions = threads === undefined ? { device, spin } : { device, threads, spin };
  if (engine === 'onnx') {
    if (opts.thread) return createThreadedEngine(model, engine, engineOpts);
    const { createOnnxEngine } = await import('./onnx-engine.js');
    return createOnnxEngine(model, engineOpts);
  }
  const { createTfjsEngine } = await import('./tfjs-engine.js');
  return createTfjsEngine(model, engineOpts);
}

/**
 * Says what each engine would run on here, for `--version`, e.g.
 * `{ onnx: 'onnxruntime-node 1.30.0 (cpu; cuda: not installed)', tfjs: 'tfjs 4.22.0 wasm (simd); tfjs-node: not installed; ...' }`.
 * Never throws: a broken engine is described as such.
 */
export async function describeEngines(): Promise<{ onnx: string; tfjs: string }> {
  const { ortCudaInstalled, ortVersion, ortWebGpuBundled } = await import('./onnx-engine.js');
  const onnx = `onnxruntime-node ${ortVersion()} (cpu; webgpu: ${ortWebGpuBundled() ? 'bundled, needs a GPU adapter' : 'not in this build'}; cuda: ${ortCudaInstalled() ? 'installed' : 'not installed'})`;
  let tfjs: string;
  try {
    const { selectTfjsBackend } = await import('./tfjs-backend.js');
    const cpu = await selectTfjsBackend('cpu');
    const gpu = await selectTfjsBackend('cuda').then(
      () => 'tfjs-node-gpu: installed',
      () => 'tfjs-node-gpu: not installed',
    );
    // The cuda probe may have switched the process-wide backend: restore the cpu choice.
    await selectTfjsBackend('cpu');
    tfjs = `${cpu.description}; ${gpu}`;
  } catch (err) {
    tfjs = `unavailable (${(err as Error).message})`;
  }
  return { onnx, tfjs };
}
