import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { loadModel } from '../../src/infer/model-card.js';
import { selectTfjsBackend, type TfjsBackend } from '../../src/infer/tfjs-backend.js';
import { createTfjsEngine } from '../../src/infer/tfjs-engine.js';
import { createOnnxEngine } from '../../src/infer/onnx-engine.js';
import { preprocess, roadScene } from './helpers/images.js';
import { MARKING_HEAD, SCENE_HEAD, TempModels, convCard, twoHeadCard } from './helpers/model-folders.js';
import { buildConvModel, expectedConvClassMap } from './helpers/onnx-writer.js';
import { writeGraphConvModel, writeLayersConvModel } from './helpers/tfjs-writer.js';

const tm = new TempModels();
let backend: TfjsBackend;
beforeAll(async () => {
  await tm.init();
  // Select the engine's backend first, so the helpers build models on it too.
  backend = await selectTfjsBackend('cpu');
}, 30_000);
afterAll(() => tm.cleanup());

const W = 48;
const H = 32;
const tfjsCard = (extra: Record<string, unknown> = {}) =>
  convCard(W, H, { engines: { tfjs: { file: 'tfjs/model.json', layout: 'NHWC' } }, ...extra });

function scene(seed = 0, layout: 'NCHW' | 'NHWC' = 'NHWC') {
  return preprocess(roadScene(W * 2, H * 2, seed), convCard(W, H).input as never, layout);
}

let n = 0;
async function layersFolder(heads = [SCENE_HEAD], card = tfjsCard(), batch: number | null = null, h = H, w = W) {
  const dir = await tm.folder(`tfjs-${n++}`, { 'model.json': card });
  await writeLayersConvModel(path.join(dir, 'tfjs'), h, w, heads, batch);
  return dir;
}

describe('tfjs backend', () => {
  it('uses the best installed backend and says which (wasm here: tfjs-node is not installable offline)', async () => {
    expect(backend.description).toMatch(
      /^(tfjs-node(-gpu)? 4\.\d+\.\d+ tensorflow \(.+\)|tfjs 4\.\d+\.\d+ (wasm \(.*simd.*\)|cpu .*))$/,
    );
    let nodeInstalled = true;
    await import(optionalPackage('@tensorflow/tfjs-node')).catch(() => (nodeInstalled = false));
    if (!nodeInstalled) {
      expect(backend.name).toBe('wasm');
      expect(backend.tf.getBackend()).toBe('wasm');
    }
  });

  it('device cuda without tfjs-node-gpu: DEVICE_UNAVAILABLE with install advice', async () => {
    let gpuInstalled = true;
    await import(optionalPackage('@tensorflow/tfjs-node-gpu')).catch(() => (gpuInstalled = false));
    if (gpuInstalled) return;
    const dir = await layersFolder();
    const err = await createTfjsEngine(await loadModel(dir), { device: 'cuda' }).catch((e) => e);
    expect(err.code).toBe(ErrorCodes.DEVICE_UNAVAILABLE);
    expect(err.message).toContain('npm install @tensorflow/tfjs-node-gpu');
    expect(backend.tf.getBackend()).toBe(backend.name);
  });
});

describe('tfjs engine', () => {
  it('layers model: the class map computed by hand, batched, in order', async () => {
    const engine = await createTfjsEngine(await loadModel(await layersFolder()));
    try {
      expect(engine.name).toBe('tfjs');
      expect(engine.inputLayout).toBe('NHWC');
      expect(engine.backend).toBe(backend.description);
      const seeds = [0, 1, 2];
      const outs = await engine.run(seeds.map((s) => scene(s)));
      seeds.forEach((s, i) => {
        const expected = expectedConvClassMap(scene(s, 'NCHW'), W, H, [SCENE_HEAD]);
        expect(outs[i]).toMatchObject({ width: W, height: H });
        expect(outs[i].classMap).toEqual(expected.classMap);
      });
      expect(new Set(outs[0].classMap)).toEqual(new Set([0, 1, 2]));
    } finally {
      await engine.dispose();
    }
  });

  it('two heads with null channels and a downsampling net agree with the ONNX engine on the same model', async () => {
    const heads = [
      { ...SCENE_HEAD, stride: 2 },
      { ...MARKING_HEAD, stride: 2 },
    ];
    const card = twoHeadCard(W, H, { onnx: { file: 'model.onnx' }, tfjs: { file: 'tfjs/model.json', layout: 'NHWC' } });
    const dir = await layersFolder(heads, card);
    await writeFile(path.join(dir, 'model.onnx'), buildConvModel({ inputShape: ['N', 3, H, W], heads }));
    const model = await loadModel(dir);
    const tfjs = await createTfjsEngine(model);
    const onnx = await createOnnxEngine(model, { threads: 1 });
    try {
      const [a] = await tfjs.run([scene(3)]);
      const [b] = await onnx.run([scene(3, 'NCHW')]);
      expect(a).toMatchObject({ width: W / 2, height: H / 2 });
      expect(a.classMap).toEqual(b.classMap);
      expect(new Set(a.classMap)).toEqual(new Set([0, 1, 2, 3]));
    } finally {
      await tfjs.dispose();
      await onnx.dispose();
    }
  });

  it('graph model loads through the file IOHandler and gives the same map', async () => {
    const dir = await tm.folder('tfjs-graph', {
      'model.json': tfjsCard({ engines: { tfjs: { file: 'tfjs/model.json', layout: 'NHWC', format: 'graph' } } }),
    });
    await writeGraphConvModel(path.join(dir, 'tfjs'), H, W, [SCENE_HEAD]);
    const engine = await createTfjsEngine(await loadModel(dir));
    try {
      const [out] = await engine.run([scene(1), scene(2)]);
      expect(out.classMap).toEqual(expectedConvClassMap(scene(1, 'NCHW'), W, H, [SCENE_HEAD]).classMap);
    } finally {
      await engine.dispose();
    }
  });

  it('a fixed batch-1 model runs a batch of 3 in order', async () => {
    const engine = await createTfjsEngine(await loadModel(await layersFolder([SCENE_HEAD], tfjsCard(), 1)));
    try {
      const outs = await engine.run([scene(0), scene(1), scene(2)]);
      expect(outs.map((o) => o.classMap)).toEqual(
        [0, 1, 2].map((s) => expectedConvClassMap(scene(s, 'NCHW'), W, H, [SCENE_HEAD]).classMap),
      );
    } finally {
      await engine.dispose();
    }
  });

  it('leaks no tensors: numTensors is stable over 10 runs and back to baseline after dispose', async () => {
    const { tf } = backend;
    const baseline = tf.memory().numTensors;
    const engine = await createTfjsEngine(await loadModel(await layersFolder()));
    const loaded = tf.memory().numTensors;
    expect(loaded).toBeGreaterThan(baseline);
    const x = scene(0);
    for (let i = 0; i < 10; i++) await engine.run([x, x]);
    expect(tf.memory().numTensors).toBe(loaded);
    await expect(engine.run([new Float32Array(3)])).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTION });
    expect(tf.memory().numTensors).toBe(loaded);
    await engine.dispose();
    await engine.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
    await expect(engine.run([x])).rejects.toMatchObject({ code: ErrorCodes.INFERENCE_FAILED });
  });

  it('MODEL_INVALID when the input shape disagrees with the card, leaving no tensors behind', async () => {
    const { tf } = backend;
    const before = tf.memory().numTensors;
    const dir = await layersFolder([SCENE_HEAD], tfjsCard(), null, 40, 40);
    const err = await createTfjsEngine(await loadModel(dir)).catch((e) => e);
    expect(err.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(err.message).toContain(`[?,${H},${W},3]`);
    expect(err.message).toContain('[?,40,40,3]');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('MODEL_INVALID when the card has more heads than the model has outputs, or the wrong channel count', async () => {
    const twoHeads = twoHeadCard(W, H, { tfjs: { file: 'tfjs/model.json', layout: 'NHWC' } });
    const e1 = await createTfjsEngine(await loadModel(await layersFolder([SCENE_HEAD], twoHeads))).catch((e) => e);
    expect(e1.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(e1.message).toMatch(/2 heads but the model has 1 output/);
    const e2 = await createTfjsEngine(
      await loadModel(await layersFolder([SCENE_HEAD], tfjsCard({ heads: [{ output: 'seg', classes: [0, 1] }] }))),
    ).catch((e) => e);
    expect(e2.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(e2.message).toMatch(/2 channels/);
  });

  it('MODEL_INVALID when the card format contradicts the file, or the file is not a TF.js model', async () => {
    const dir = await layersFolder(
      [SCENE_HEAD],
      tfjsCard({ engines: { tfjs: { file: 'tfjs/model.json', format: 'graph' } } }),
    );
    const e1 = await createTfjsEngine(await loadModel(dir)).catch((e) => e);
    expect(e1.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(e1.message).toMatch(/"graph" but the file is a layers model/);
    const bad = await tm.folder('tfjs-not-json', { 'model.json': tfjsCard(), 'tfjs/model.json': '<html>' });
    const e2 = await loadModel(bad).catch((e) => e);
    expect(e2.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(e2.message).toMatch(/not valid JSON/);
  });
});

/** A package name typed as any string: optional packages are imported without their type declarations. */
function optionalPackage(name: string): string {
  return name;
}
