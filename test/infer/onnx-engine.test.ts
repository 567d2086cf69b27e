import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { createOnnxEngine, ortCudaInstalled } from '../../src/infer/onnx-engine.js';
import { loadModel } from '../../src/infer/model-card.js';
import type { Engine } from '../../src/infer/types.js';
import { preprocess, roadScene } from './helpers/images.js';
import { MARKING_HEAD, SCENE_HEAD, TempModels, convCard, twoHeadCard } from './helpers/model-folders.js';
import { expectedConvClassMap } from './helpers/onnx-writer.js';

const tm = new TempModels();
const engines: Engine[] = [];
beforeAll(() => tm.init());
afterAll(async () => {
  await Promise.all(engines.map((e) => e.dispose()));
  await tm.cleanup();
});

const W = 48;
const H = 32;
let n = 0;

async function engineFor(inputShape: (number | string)[], heads = [SCENE_HEAD], card = convCard(W, H), threads = 1) {
  const dir = await tm.onnxModel(`onnx-${n++}`, { inputShape, heads }, card);
  const engine = await createOnnxEngine(await loadModel(dir), { threads });
  engines.push(engine);
  return engine;
}

function scenes(count: number) {
  return Array.from({ length: count }, (_, i) => {
    const spec = convCard(W, H).input as never;
    const img = roadScene(W * 2, H * 2, i);
    return preprocess(img, spec, 'NCHW');
  });
}

describe('onnx engine', () => {
  it('gives the class map computed by hand, with every class present', async () => {
    const engine = await engineFor(['batch', 3, H, W]);
    expect(engine.name).toBe('onnx');
    expect(engine.inputLayout).toBe('NCHW');
    expect(engine.backend).toMatch(/^onnxruntime-node 1\.\d+\.\d+ cpu \(1 thread\)$/);
    const [x] = scenes(1);
    const [out] = await engine.run([x]);
    const expected = expectedConvClassMap(x, W, H, [SCENE_HEAD]);
    expect(out).toMatchObject({ width: W, height: H });
    expect(out.classMap).toEqual(expected.classMap);
    expect(new Set(out.classMap)).toEqual(new Set([0, 1, 2]));
  });

  it('applies heads in order: a later head overrides only through non-null channels', async () => {
    const card = twoHeadCard(W, H, { onnx: { file: 'model.onnx' } });
    const engine = await engineFor(['batch', 3, H, W], [SCENE_HEAD, MARKING_HEAD], card);
    const [x] = scenes(1);
    const [out] = await engine.run([x]);
    const expected = expectedConvClassMap(x, W, H, [SCENE_HEAD, MARKING_HEAD]);
    expect(out.classMap).toEqual(expected.classMap);
    const counts = [0, 1, 2, 3].map((c) => out.classMap.filter((v) => v === c).length);
    expect(counts.every((c) => c > 0)).toBe(true);
  });

  it('runs a batch through a dynamic-batch model and a fixed batch-1 model alike, in order', async () => {
    const inputs = scenes(3);
    const expected = inputs.map((x) => expectedConvClassMap(x, W, H, [SCENE_HEAD]).classMap);
    for (const batchDim of ['N', 1]) {
      const engine = await engineFor([batchDim, 3, H, W]);
      const outs = await engine.run(inputs);
      expect(outs.map((o) => o.classMap)).toEqual(expected);
    }
    expect(expected[0]).not.toEqual(expected[2]);
  });

  it('returns maps at the output tensor size when the network downsamples', async () => {
    const strided = { ...SCENE_HEAD, stride: 2 };
    const engine = await engineFor(['N', 3, H, W], [strided]);
    const [x] = scenes(1);
    const [out] = await engine.run([x]);
    const expected = expectedConvClassMap(x, W, H, [strided]);
    expect(out).toMatchObject({ width: W / 2, height: H / 2 });
    expect(out.classMap).toEqual(expected.classMap);
  });

  it('MODEL_INVALID when the network input disagrees with the card, saying what was expected', async () => {
    const dir = await tm.onnxModel(
      'onnx-wrong-size',
      { inputShape: [1, 3, 64, 64], heads: [SCENE_HEAD] },
      convCard(W, H),
    );
    const err = await createOnnxEngine(await loadModel(dir)).catch((e) => e);
    expect(err.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(err.message).toContain(`[N,3,${H},${W}]`);
    expect(err.message).toContain('[1,3,64,64]');
  });

  it('MODEL_INVALID for an unknown output name or a wrong channel count, listing the outputs', async () => {
    const unknown = await tm.onnxModel(
      'onnx-bad-out',
      { inputShape: [1, 3, H, W], heads: [SCENE_HEAD] },
      convCard(W, H, { heads: [{ output: 'logits', classes: [0, 1, 2] }] }),
    );
    const e1 = await createOnnxEngine(await loadModel(unknown)).catch((e) => e);
    expect(e1.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(e1.message).toMatch(/"logits" is not an output .* outputs are: seg/);
    const channels = await tm.onnxModel(
      'onnx-bad-ch',
      { inputShape: [1, 3, H, W], heads: [SCENE_HEAD] },
      convCard(W, H, { heads: [{ output: 'seg', classes: [0, 1] }] }),
    );
    const e2 = await createOnnxEngine(await loadModel(channels)).catch((e) => e);
    expect(e2.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(e2.message).toMatch(/2 channels/);
  });

  it('MODEL_INVALID when engines.onnx.inputName is not an input of the network', async () => {
    const dir = await tm.onnxModel(
      'onnx-bad-in',
      { inputShape: [1, 3, H, W], heads: [SCENE_HEAD] },
      convCard(W, H, { engines: { onnx: { file: 'model.onnx', inputName: 'images' } } }),
    );
    const err = await createOnnxEngine(await loadModel(dir)).catch((e) => e);
    expect(err.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(err.message).toMatch(/"images".* inputs are: input/);
  });

  it('MODEL_INVALID when the weight file is not an ONNX model', async () => {
    const dir = await tm.folder('onnx-garbage', { 'model.json': convCard(W, H), 'model.onnx': 'not a protobuf' });
    await expect(createOnnxEngine(await loadModel(dir))).rejects.toMatchObject({ code: ErrorCodes.MODEL_INVALID });
  });

  it('INVALID_OPTION for an input of the wrong size; INFERENCE_FAILED after dispose (dispose is idempotent)', async () => {
    const engine = await engineFor(['N', 3, H, W]);
    await expect(engine.run([new Float32Array(10)])).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTION });
    await engine.dispose();
    await engine.dispose();
    await expect(engine.run(scenes(1))).rejects.toMatchObject({ code: ErrorCodes.INFERENCE_FAILED });
  });

  it('device cuda: DEVICE_UNAVAILABLE with the CUDA install command when the CUDA build is absent', async () => {
    const dir = await tm.onnxModel('onnx-cuda', { inputShape: [1, 3, H, W], heads: [SCENE_HEAD] }, convCard(W, H));
    const model = await loadModel(dir);
    const result = await createOnnxEngine(model, { device: 'cuda' }).catch((e) => e);
    if (!ortCudaInstalled()) {
      expect(result.code).toBe(ErrorCodes.DEVICE_UNAVAILABLE);
      expect(result.message).toContain('npm install onnxruntime-node --onnxruntime-node-install=cuda12');
    } else if ('run' in result) {
      engines.push(result);
      expect(result.backend).toMatch(/ cuda$/);
    } else {
      expect(result.code).toBe(ErrorCodes.DEVICE_UNAVAILABLE);
    }
  });
});
