/**
 * The `onnx` engine: an onnxruntime-node InferenceSession on the CPU (default), the WebGPU
 * execution provider bundled with onnxruntime-node (Dawn: Vulkan on Linux, Metal on macOS, D3D12 on
 * Windows; no CUDA libraries) or the CUDA one, with per-head argmax into the model's global class ids.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { applyHead, applyHeadProbability, headLookup, headMembership } from './argmax.js';
import { checkInputs, fixedDim, packChunk, planBatches } from './batch.js';
import { aspectHint } from './input-size.js';
import type { Engine, EngineOptions, EngineOutput, EngineRunOptions, LoadedModel } from './types.js';

/** How to get the CUDA build of onnxruntime-node (its install script downloads the CUDA EP). */
export const ORT_CUDA_ADVICE =
  'The CUDA execution provider needs the CUDA 12 build of onnxruntime-node (Linux x64, with CUDA 12 and cuDNN 9 installed): ' +
  'run `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` in this project (on a fresh install: ' +
  '`npm install onnxruntime-node --onnxruntime-node-install=cuda12`), with internet access, since its install script downloads ' +
  'the CUDA provider libraries (the project .npmrc skips them by default); or use --device cpu.';

/** What a machine needs for `--device webgpu`. */
export const ORT_WEBGPU_ADVICE =
  'The WebGPU execution provider bundled with onnxruntime-node needs a GPU adapter: on Linux a Vulkan loader (Debian/Ubuntu: ' +
  "`apt-get install libvulkan1`) and the GPU vendor's Vulkan driver (NVIDIA's driver, or Mesa for AMD/Intel); Metal on macOS, " +
  'D3D12 on Windows. `vulkaninfo --summary` shows whether the machine has one. Or use --device cpu.';

/** True when this onnxruntime-node build bundles the WebGPU execution provider (it says nothing about an adapter). */
export function ortWebGpuBundled(): boolean {
  try {
    return ort.listSupportedBackends().some((b) => b.name === 'webgpu' && b.bundled);
  } catch {
    return false;
  }
}

const PROVIDERS = { cpu: 'cpu', cuda: 'cuda', webgpu: 'webgpu' } as const;

/** The installed onnxruntime-node version. */
export function ortVersion(): string {
  return ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown';
}

/**
 * True when the onnxruntime-node install holds the CUDA execution provider library (an
 * install with `--onnxruntime-node-install=cuda12`). It says nothing about a GPU being present.
 */
export function ortCudaInstalled(): boolean {
  try {
    const req = createRequire(import.meta.url);
    const root = path.dirname(req.resolve('onnxruntime-node/package.json'));
    return readdirSync(path.join(root, 'bin'))
      .filter((d) => d.startsWith('napi-v'))
      .some((d) =>
        existsSync(path.join(root, 'bin', d, process.platform, process.arch, 'libonnxruntime_providers_cuda.so')),
      );
  } catch {
    return false;
  }
}

function invalid(model: LoadedModel, what: string): SegStreamError {
  return new SegStreamError(
    ErrorCodes.MODEL_INVALID,
    `The ONNX model ${model.files.onnx} does not fit its card ${model.dir}/model.json: ${what}`,
    {
      context: { stage: 'model' },
    },
  );
}

const shapeText = (s: readonly unknown[]) =>
  `[${s.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' && d ? d : '?')).join(',')}]`;

/**
 * Creates the ONNX engine for a loaded model.
 *
 * Defaults: `device` `cpu`; `threads` = `os.availableParallelism()` (intra-op threads).
 * @throws SegStreamError ENGINE_UNAVAILABLE when the card has no ONNX file; DEVICE_UNAVAILABLE
 *   when `device: 'cuda'` cannot start (with install advice); MODEL_INVALID when the network's
 *   input or outputs disagree with the card.
 */
export async function createOnnxEngine(model: LoadedModel, options: EngineOptions = {}): Promise<Engine> {
  const spec = model.card.engines.onnx;
  const file = model.files.onnx;
  if (!spec || !file) {
    throw new SegStreamError(
      ErrorCodes.ENGINE_UNAVAILABLE,
      `Model "${model.card.name}" has no ONNX file (engines.onnx in its card); use --engine tfjs.`,
    );
  }
  const device = options.device ?? 'cpu';
  const threads = options.threads ?? os.availableParallelism();
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [PROVIDERS[device]],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Idle intra-op threads spin by default; in a pipeline that shares the cores with ffmpeg and
    // the workers, spinning steals the CPU the other stages need.
    extra: { session: { intra_op: { allow_spinning: options.spin ? '1' : '0' }, inter_op: { allow_spinning: '0' } } },
  };
  if (device === 'cuda' && !ortCudaInstalled()) {
    throw new SegStreamError(
      ErrorCodes.DEVICE_UNAVAILABLE,
      `onnxruntime-node ${ortVersion()} has no CUDA execution provider installed. ${ORT_CUDA_ADVICE}`,
    );
  }
  if (device === 'webgpu' && !ortWebGpuBundled()) {
    throw new SegStreamError(
      ErrorCodes.DEVICE_UNAVAILABLE,
      `onnxruntime-node ${ortVersion()} on ${process.platform}-${process.arch} has no WebGPU execution provider; use device cpu.`,
    );
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, sessionOptions);
  } catch (err) {
    if (device === 'cuda') {
      throw new SegStreamError(
        ErrorCodes.DEVICE_UNAVAILABLE,
        `onnxruntime-node could not start on CUDA: ${(err as Error).message}. ${ORT_CUDA_ADVICE}`,
        { cause: err },
      );
    }
    if (device === 'webgpu') {
      throw new SegStreamError(
        ErrorCodes.DEVICE_UNAVAILABLE,
        `onnxruntime-node could not start on WebGPU: ${webGpuReason(err)}. ${ORT_WEBGPU_ADVICE}`,
        { cause: err },
      );
    }
    throw new SegStreamError(
      ErrorCodes.MODEL_INVALID,
      `onnxruntime-node cannot load ${file}: ${(err as Error).message}`,
      { cause: err, context: { stage: 'model' } },
    );
  }
  try {
    const io = inspectSession(session, model);
    const backend = `onnxruntime-node ${ortVersion()} ${device === 'cpu' ? `cpu (${threads} thread${threads === 1 ? '' : 's'})` : device}`;
    return new OnnxEngine(model, session, io, backend);
  } catch (err) {
    await session.release().catch(() => undefined);
    throw err;
  }
}

/** The last line of ONNX Runtime's message ("Failed to get a WebGPU adapter: No supported adapters"), without its source position. */
function webGpuReason(err: unknown): string {
  const text = String((err as Error)?.message ?? err);
  const m = /Failed to get a WebGPU adapter[^\n]*/.exec(text);
  return (m ? m[0] : (text.split('\n').pop() ?? text)).trim().replace(/\.$/, '');
}

interface SessionIO {
  inputName: string;
  batch: number | null;
  layout: 'NCHW' | 'NHWC';
}

function inspectSession(session: ort.InferenceSession, model: LoadedModel): SessionIO {
  const spec = model.card.engines.onnx!;
  const { width: W, height: H } = model.card.input;
  const inputName = spec.inputName ?? session.inputNames[0];
  if (
    inputName === undefined ||
    !session.inputNames.includes(inputName) ||
    (!spec.inputName && session.inputNames.length !== 1)
  ) {
    const which = spec.inputName
      ? `an input named "${spec.inputName}" (engines.onnx.inputName)`
      : 'exactly one input (or set engines.onnx.inputName)';
    throw invalid(model, `expected ${which}, but its inputs are: ${session.inputNames.join(', ')}.`);
  }
  const meta = session.inputMetadata.find((m) => m.name === inputName);
  const expected = spec.layout === 'NCHW' ? ['N', 3, H, W] : ['N', H, W, 3];
  if (meta?.isTensor) {
    const shape = meta.shape;
    const fits = shape.length === 4 && shape.every((d, i) => i === 0 || fixedDim(d) === null || d === expected[i]);
    if (!fits || meta.type !== 'float32') {
      throw invalid(
        model,
        `expected input "${inputName}" to be float32 ${shapeText(expected)} (${spec.layout}, card input ${W}x${H}), but it is ${meta.type} ${shapeText(shape)}.${aspectHint(model)}`,
      );
    }
  }
  for (const [i, head] of model.card.heads.entries()) {
    if (!session.outputNames.includes(head.output)) {
      throw invalid(
        model,
        `heads[${i}].output "${head.output}" is not an output of the network; its outputs are: ${session.outputNames.join(', ')}.`,
      );
    }
    const out = session.outputMetadata.find((m) => m.name === head.output);
    if (out?.isTensor) {
      const cAxis = spec.layout === 'NCHW' ? 1 : 3;
      const c = out.shape[cAxis];
      if (out.shape.length !== 4 || (fixedDim(c) !== null && c !== head.classes.length)) {
        throw invalid(
          model,
          `expected output "${head.output}" to be ${spec.layout} with ${head.classes.length} channels (heads[${i}].classes), but it is ${shapeText(out.shape)}.`,
        );
      }
    }
  }
  return { inputName, batch: meta?.isTensor ? fixedDim(meta.shape[0]) : null, layout: spec.layout };
}

class OnnxEngine implements Engine {
  readonly name = 'onnx' as const;
  readonly inputLayout: 'NCHW' | 'NHWC';
  #session: ort.InferenceSession | undefined;
  readonly #io: SessionIO;
  readonly #luts: Int16Array[];
  readonly #outputNames: string[];

  constructor(
    readonly model: LoadedModel,
    session: ort.InferenceSession,
    io: SessionIO,
    readonly backend: string,
  ) {
    this.#session = session;
    this.#io = io;
    this.inputLayout = io.layout;
    this.#luts = model.card.heads.map(headLookup);
    this.#outputNames = model.card.heads.map((h) => h.output);
  }

  async run(inputs: Float32Array[], options: EngineRunOptions = {}): Promise<EngineOutput[]> {
    const { width: W, height: H } = this.model.card.input;
    const members = options.probabilities
      ? this.model.card.heads.map((h) => headMembership(h, options.probabilities!))
      : undefined;
    const perInput = 3 * W * H;
    const layout = this.#io.layout;
    checkInputs(inputs, perInput, layout === 'NCHW' ? `[3,${H},${W}] NCHW` : `[${H},${W},3] NHWC`);
    const results: EngineOutput[] = [];
    for (const chunk of planBatches(inputs.length, this.#io.batch)) {
      const session = this.#session;
      if (!session)
        throw new SegStreamError(
          ErrorCodes.INFERENCE_FAILED,
          'The ONNX engine was disposed; create a new engine to run more frames.',
        );
      const dims = layout === 'NCHW' ? [chunk.size, 3, H, W] : [chunk.size, H, W, 3];
      const tensor = new ort.Tensor('float32', packChunk(inputs, chunk, perInput), dims);
      let outputs: ort.InferenceSession.OnnxValueMapType;
      try {
        outputs = await session.run({ [this.#io.inputName]: tensor }, this.#outputNames);
      } catch (err) {
        throw new SegStreamError(
          ErrorCodes.INFERENCE_FAILED,
          `onnxruntime-node failed to run ${this.model.files.onnx}: ${(err as Error).message}`,
          {
            cause: err,
            context: { stage: 'infer' },
          },
        );
      }
      try {
        results.push(...this.#postprocess(outputs, chunk.count, members, options.scores, options.argmax ?? true));
      } finally {
        for (const v of Object.values(outputs)) v.dispose();
      }
    }
    return results;
  }

  #postprocess(
    outputs: ort.InferenceSession.OnnxValueMapType,
    count: number,
    members?: Int8Array[],
    scores?: boolean,
    argmax = true,
  ): EngineOutput[] {
    const layout = this.#io.layout;
    const heads = this.model.card.heads;
    let width = 0;
    let height = 0;
    const tensors = heads.map((head, i) => {
      const t = outputs[head.output];
      const [, a, b, c] = t.dims;
      const [ch, h, w] = layout === 'NCHW' ? [a, b, c] : [c, a, b];
      if (t.dims.length !== 4 || t.type !== 'float32' || ch !== head.classes.length) {
        throw new SegStreamError(
          ErrorCodes.MODEL_INVALID,
          `Output "${head.output}" of ${this.model.files.onnx} is ${t.type} ${shapeText(t.dims)}; expected float32 ${layout} with ${head.classes.length} channels (heads[${i}].classes).`,
        );
      }
      if (i === 0) [width, height] = [w, h];
      else if (w !== width || h !== height) {
        throw new SegStreamError(
          ErrorCodes.MODEL_INVALID,
          `Heads of ${this.model.files.onnx} disagree on output size: "${heads[0].output}" is ${width}x${height}, "${head.output}" is ${w}x${h}.`,
        );
      }
      return t;
    });
    const pixels = width * height;
    const out: EngineOutput[] = [];
    for (let b = 0; b < count; b++) {
      const classMap = new Uint8Array(pixels);
      if (argmax)
        tensors.forEach((t, i) => {
          const channels = heads[i].classes.length;
          applyHead(
            classMap,
            { data: t.data as Float32Array, offset: b * channels * pixels, channels, layout },
            this.#luts[i],
          );
        });
      const result: EngineOutput = { classMap, width, height };
      if (members) {
        const probability = new Float32Array(pixels);
        tensors.forEach((t, i) => {
          const channels = heads[i].classes.length;
          applyHeadProbability(
            probability,
            { data: t.data as Float32Array, offset: b * channels * pixels, channels, layout },
            members[i],
          );
        });
        result.probability = probability;
      }
      if (scores) {
        result.scores = {
          layout,
          heads: tensors.map((t, i) => itemScores(t.data as Float32Array, b, heads[i].classes.length * pixels)),
        };
      }
      out.push(result);
    }
    return out;
  }

  async dispose(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    await session?.release();
  }
}

/**
 * Item `b`'s values of an output tensor: the tensor's own array when it is that item alone and
 * owns its buffer (batch 1: no copy; a disposed CPU tensor only drops its reference), a copy otherwise.
 */
function itemScores(data: Float32Array, b: number, per: number): Float32Array {
  if (b === 0 && data.length === per && data.byteOffset === 0 && data.buffer.byteLength === data.byteLength)
    return data;
  return data.slice(b * per, (b + 1) * per);
}
