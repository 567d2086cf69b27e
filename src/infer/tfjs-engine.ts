/**
 * The `tfjs` engine: a TF.js layers or graph model on the best available backend (see
 * {@link selectTfjsBackend}). Every run is one `tf.tidy` (input, network, per-head argmax and
 * class mapping), so no tensor outlives a run; `dispose()` frees the model's weights.
 */
import { aspectHint } from './input-size.js';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { checkInputs, fixedDim, packChunk, planBatches } from './batch.js';
import { selectTfjsBackend, type Tf } from './tfjs-backend.js';
import { fileIOHandler, readTfjsModelJson, tfjsFormatOf } from './tfjs-io.js';
import type { Engine, EngineOptions, EngineOutput, EngineRunOptions, LoadedModel } from './types.js';

type AnyModel = LayersModel | GraphModel;

function invalid(model: LoadedModel, what: string, cause?: unknown): SegStreamError {
  return new SegStreamError(
    ErrorCodes.MODEL_INVALID,
    `The TF.js model ${model.files.tfjs} does not fit its card ${model.dir}/model.json: ${what}`,
    {
      cause,
      context: { stage: 'model' },
    },
  );
}

const shapeText = (s: readonly (number | null | undefined)[] | undefined) =>
  s ? `[${s.map((d) => (typeof d === 'number' && d >= 0 ? d : '?')).join(',')}]` : 'unknown';

/**
 * Creates the TF.js engine for a loaded model.
 *
 * The format comes from `engines.tfjs.format`, else from the model.json's own `format`.
 * @throws SegStreamError ENGINE_UNAVAILABLE when the card has no TF.js file; DEVICE_UNAVAILABLE
 *   for `device: 'cuda'` without @tensorflow/tfjs-node-gpu; MODEL_INVALID when the model does
 *   not load or its input/outputs disagree with the card.
 */
export async function createTfjsEngine(model: LoadedModel, options: EngineOptions = {}): Promise<Engine> {
  const spec = model.card.engines.tfjs;
  const file = model.files.tfjs;
  if (!spec || !file) {
    throw new SegStreamError(
      ErrorCodes.ENGINE_UNAVAILABLE,
      `Model "${model.card.name}" has no TF.js files (engines.tfjs in its card); use --engine onnx.`,
    );
  }
  const json = await readTfjsModelJson(file);
  const declared = tfjsFormatOf(json);
  const format = spec.format ?? declared;
  if (!format) throw invalid(model, 'cannot tell whether it is a layers or a graph model; set engines.tfjs.format.');
  if (declared && declared !== format) {
    throw invalid(model, `the card says engines.tfjs.format "${format}" but the file is a ${declared} model.`);
  }
  const backend = await selectTfjsBackend(options.device ?? 'cpu');
  const { tf } = backend;
  let net: AnyModel;
  try {
    net =
      format === 'layers'
        ? await tf.loadLayersModel(fileIOHandler(file))
        : await tf.loadGraphModel(fileIOHandler(file));
  } catch (err) {
    if (err instanceof SegStreamError) throw err;
    throw invalid(model, `TF.js cannot load it as a ${format} model: ${(err as Error).message}`, err);
  }
  try {
    const batch = checkModel(net, model);
    return new TfjsEngine(model, tf, net, format, batch, backend.description);
  } catch (err) {
    net.dispose();
    throw err;
  }
}

/** Checks input and output shapes against the card; returns the fixed batch size or null. */
function checkModel(net: AnyModel, model: LoadedModel): number | null {
  const { width: W, height: H } = model.card.input;
  const layout = model.card.engines.tfjs!.layout;
  if (net.inputs.length !== 1) throw invalid(model, `expected one input, but it has ${net.inputs.length}.`);
  const shape = net.inputs[0].shape;
  const expected = layout === 'NHWC' ? [null, H, W, 3] : [null, 3, H, W];
  if (shape) {
    const fits = shape.length === 4 && shape.every((d, i) => i === 0 || fixedDim(d) === null || d === expected[i]);
    if (!fits) {
      throw invalid(
        model,
        `expected an input of shape ${shapeText(expected)} (${layout}, card input ${W}x${H}), but it is ${shapeText(shape)}.${aspectHint(model)}`,
      );
    }
  }
  const heads = model.card.heads;
  if (net.outputs.length < heads.length) {
    throw invalid(
      model,
      `the card has ${heads.length} heads but the model has ${net.outputs.length} output(s); heads map to outputs in order.`,
    );
  }
  const cAxis = layout === 'NHWC' ? 3 : 1;
  heads.forEach((head, i) => {
    const s = net.outputs[i].shape;
    if (s && (s.length !== 4 || (fixedDim(s[cAxis]) !== null && s[cAxis] !== head.classes.length))) {
      throw invalid(
        model,
        `expected output ${i} to be ${layout} with ${head.classes.length} channels (heads[${i}].classes), but it is ${shapeText(s)}.`,
      );
    }
  });
  return shape ? fixedDim(shape[0]) : null;
}

class TfjsEngine implements Engine {
  readonly name = 'tfjs' as const;
  readonly inputLayout: 'NCHW' | 'NHWC';
  #net: AnyModel | undefined;

  constructor(
    readonly model: LoadedModel,
    private readonly tf: Tf,
    net: AnyModel,
    private readonly format: 'layers' | 'graph',
    private readonly batch: number | null,
    readonly backend: string,
  ) {
    this.#net = net;
    this.inputLayout = model.card.engines.tfjs!.layout;
  }

  async run(inputs: Float32Array[], options: EngineRunOptions = {}): Promise<EngineOutput[]> {
    const { width: W, height: H } = this.model.card.input;
    const perInput = 3 * W * H;
    const layout = this.inputLayout;
    checkInputs(inputs, perInput, layout === 'NHWC' ? `[${H},${W},3] NHWC` : `[3,${H},${W}] NCHW`);
    const results: EngineOutput[] = [];
    for (const chunk of planBatches(inputs.length, this.batch)) {
      const net = this.#net;
      if (!net)
        throw new SegStreamError(
          ErrorCodes.INFERENCE_FAILED,
          'The TF.js engine was disposed; create a new engine to run more frames.',
        );
      let ids: Tensor;
      let prob: Tensor | undefined;
      let logits: Tensor[];
      try {
        [ids, prob, logits] = this.#classIds(
          net,
          packChunk(inputs, chunk, perInput),
          chunk.size,
          options.probabilities,
          options.scores,
        );
      } catch (err) {
        if (err instanceof SegStreamError) throw err;
        throw new SegStreamError(
          ErrorCodes.INFERENCE_FAILED,
          `TF.js failed to run ${this.model.files.tfjs}: ${(err as Error).message}`,
          {
            cause: err,
            context: { stage: 'infer' },
          },
        );
      }
      try {
        const [, height, width] = ids.shape as [number, number, number];
        const data = (await ids.data()) as Int32Array;
        const probs = prob ? ((await prob.data()) as Float32Array) : undefined;
        const raw = await Promise.all(logits.map(async (t) => (await t.data()) as Float32Array));
        const pixels = width * height;
        for (let b = 0; b < chunk.count; b++) {
          const out: EngineOutput = {
            classMap: Uint8Array.from(data.subarray(b * pixels, (b + 1) * pixels)),
            width,
            height,
          };
          if (probs) out.probability = probs.slice(b * pixels, (b + 1) * pixels);
          if (options.scores) {
            const per = (i: number) => this.model.card.heads[i].classes.length * pixels;
            out.scores = { layout: this.inputLayout, heads: raw.map((r, i) => r.slice(b * per(i), (b + 1) * per(i))) };
          }
          results.push(out);
        }
      } finally {
        ids.dispose();
        prob?.dispose();
        for (const t of logits) t.dispose();
      }
    }
    return results;
  }

  /**
   * Input → network → per-head argmax → global class ids, as one int32 [N, h, w] tensor; with
   * `probIds`, also the float32 [N, h, w] softmax probability of those classes (see
   * `EngineRunOptions.probabilities`); with `scores`, also every head's raw output.
   */
  #classIds(
    net: AnyModel,
    packed: Float32Array,
    n: number,
    probIds?: readonly number[],
    scores?: boolean,
  ): [Tensor, Tensor | undefined, Tensor[]] {
    const { tf, model } = this;
    const { width: W, height: H } = model.card.input;
    const nhwc = this.inputLayout === 'NHWC';
    const kept = tf.tidy(() => {
      const x = tf.tensor4d(packed, nhwc ? [n, H, W, 3] : [n, 3, H, W]);
      const raw = this.format === 'layers' ? (net as LayersModel).predict(x) : (net as GraphModel).execute(x);
      const outs = Array.isArray(raw) ? raw : [raw];
      let ids: Tensor | undefined;
      let prob: Tensor | undefined;
      const wanted = probIds ? new Set(probIds) : undefined;
      model.card.heads.forEach((head, i) => {
        const logits = outs[i];
        const cAxis = nhwc ? 3 : 1;
        if (logits.rank !== 4 || logits.shape[cAxis] !== head.classes.length) {
          throw invalid(
            model,
            `output ${i} has shape ${shapeText(logits.shape)}; expected ${nhwc ? 'NHWC' : 'NCHW'} with ${head.classes.length} channels.`,
          );
        }
        const winner = tf.argMax(logits, cAxis);
        const lut = tf.tensor1d(
          head.classes.map((c) => (c === null ? -1 : c)),
          'int32',
        );
        const mapped = tf.gather(lut, winner);
        if (ids && !ids.shape.every((d, k) => d === mapped.shape[k])) {
          throw invalid(model, `heads disagree on output size: ${shapeText(ids.shape)} vs ${shapeText(mapped.shape)}.`);
        }
        const base = ids ?? tf.zerosLike(mapped);
        ids = tf.where(tf.greaterEqual(mapped, 0), mapped, base);
        if (wanted) {
          const soft = tf.softmax(nhwc ? logits : tf.transpose(logits, [0, 2, 3, 1]), -1);
          const inSet = tf.tensor1d(
            head.classes.map((c) => (c !== null && wanted.has(c) ? 1 : 0)),
            'float32',
          );
          const pass = tf.tensor1d(
            head.classes.map((c) => (c === null ? 1 : 0)),
            'float32',
          );
          const pSet = tf.sum(tf.mul(soft, inSet), -1);
          const pPass = tf.sum(tf.mul(soft, pass), -1);
          prob = tf.add(pSet, tf.mul(pPass, prob ?? tf.zerosLike(pSet)));
        }
      });
      return [ids!, prob ?? ids!, ...(scores ? outs.slice(0, model.card.heads.length) : [])];
    });
    return [kept[0], kept[1] === kept[0] ? undefined : kept[1], kept.slice(2)];
  }

  async dispose(): Promise<void> {
    const net = this.#net;
    this.#net = undefined;
    net?.dispose();
  }
}
