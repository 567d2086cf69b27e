/**
 * The project-trained tiny fixture (test/fixtures/models/tiny): one network exported to ONNX
 * and to TF.js; both engines must load it and agree on the class map.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/infer/engine.js';
import { loadModel } from '../../src/infer/model-card.js';
import type { Engine, LoadedModel } from '../../src/infer/types.js';
import { agreement, decodeImage, preprocess, roadScene, share, type RgbImage } from './helpers/images.js';
import { sharedDir, skipWithout, tinyFixtureDir } from './helpers/model-folders.js';

const camvidVal = path.join(sharedDir, 'datasets', 'camvid', 'val');
let model: LoadedModel;
let onnx: Engine;
let tfjs: Engine;

beforeAll(async () => {
  model = await loadModel(tinyFixtureDir);
  onnx = await createEngine(model, { engine: 'onnx', threads: 2 });
  tfjs = await createEngine(model, { engine: 'tfjs' });
}, 30_000);
afterAll(async () => {
  await onnx?.dispose();
  await tfjs?.dispose();
});

async function both(img: RgbImage) {
  const [a] = await onnx.run([preprocess(img, model.card.input, onnx.inputLayout)]);
  const [b] = await tfjs.run([preprocess(img, model.card.input, tfjs.inputLayout)]);
  return [a, b] as const;
}

describe('tiny fixture model', () => {
  it('loads for both engines with their own layouts, roles resolved', () => {
    expect(model.files.onnx).toBe(path.join(tinyFixtureDir, 'model.onnx'));
    expect(model.files.tfjs).toBe(path.join(tinyFixtureDir, 'tfjs', 'model.json'));
    expect(model.freeSpaceIds).toEqual([model.card.classes.findIndex((c) => c.name === 'Road')]);
    expect(onnx.inputLayout).toBe('NCHW');
    expect(tfjs.inputLayout).toBe('NHWC');
    expect(tfjs.backend).toMatch(/^tfjs/);
  });

  it('both engines give the same class map on a synthetic road scene (>= 99% of pixels)', async () => {
    const [a, b] = await both(roadScene(480, 360, 1));
    expect(a).toMatchObject({ width: 128, height: 72 });
    expect(b).toMatchObject({ width: 128, height: 72 });
    expect(agreement(a.classMap, b.classMap)).toBeGreaterThanOrEqual(0.99);
    expect(new Set(a.classMap).size).toBeGreaterThan(1);
  });

  it.skipIf(skipWithout(camvidVal, 'the real-frame parity test'))(
    'both engines agree on real CamVid frames, and the map looks like a street',
    async () => {
      const files = readdirSync(camvidVal)
        .filter((f) => f.endsWith('.png'))
        .sort();
      const road = model.freeSpaceIds;
      const sky = [model.card.classes.findIndex((c) => c.name === 'Sky')];
      for (const f of [files[0], files[Math.floor(files.length / 2)]]) {
        const [a, b] = await both(decodeImage(path.join(camvidVal, f)));
        expect(agreement(a.classMap, b.classMap)).toBeGreaterThanOrEqual(0.99);
        expect(share(a.classMap, a.width, a.height * 0.8, a.height, road)).toBeGreaterThan(0.5);
        expect(share(a.classMap, a.width, 0, a.height * 0.15, road)).toBeLessThan(0.05);
        expect(share(a.classMap, a.width, 0, a.height * 0.15, sky)).toBeGreaterThan(0.15);
      }
    },
  );

  it('batched runs give the same maps as single runs on both engines', async () => {
    for (const engine of [onnx, tfjs]) {
      const xs = [0, 3].map((s) => preprocess(roadScene(480, 360, s), model.card.input, engine.inputLayout));
      const batch = await engine.run(xs);
      const single = await engine.run([xs[1]]);
      expect(batch[1].classMap).toEqual(single[0].classMap);
    }
  });

  it('tfjs leaks no tensors on the real model: stable over 10 runs, baseline after dispose', async () => {
    const { tf } = await import('../../src/infer/tfjs-backend.js').then((m) => m.selectTfjsBackend('cpu'));
    const baseline = tf.memory().numTensors;
    const engine = await createEngine(model, { engine: 'tfjs' });
    const loaded = tf.memory().numTensors;
    const x = preprocess(roadScene(), model.card.input, 'NHWC');
    for (let i = 0; i < 10; i++) await engine.run([x]);
    expect(tf.memory().numTensors).toBe(loaded);
    await engine.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
