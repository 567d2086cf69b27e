/**
 * "Bring your own model": the third-party TwinLiteNet ONNX export in ../shared, used through a
 * card written for it. Skipped (with a message) where ../shared is absent, except in CI.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { createEngine } from '../../src/infer/engine.js';
import { loadModel } from '../../src/infer/model-card.js';
import type { Engine, LoadedModel } from '../../src/infer/types.js';
import { decodeImage, preprocess, roadScene, share } from './helpers/images.js';
import { TempModels, sharedDir, skipWithout, twinLiteNetOnnx } from './helpers/model-folders.js';

const camvidVal = path.join(sharedDir, 'datasets', 'camvid', 'val');
const tm = new TempModels();
let model: LoadedModel;
let engine: Engine;

describe.skipIf(skipWithout(twinLiteNetOnnx, 'TwinLiteNet tests'))('TwinLiteNet through a user-written card', () => {
  beforeAll(async () => {
    await tm.init();
    model = await loadModel(await tm.twinLiteNet());
    engine = await createEngine(model, { threads: 2 });
  });
  afterAll(async () => {
    await engine?.dispose();
    await tm.cleanup();
  });

  it('loads with roles resolved and reports a 320x320 map', async () => {
    expect(model.freeSpaceIds).toEqual([1]);
    expect(engine.backend).toMatch(/^onnxruntime-node .* cpu \(2 threads\)$/);
    const [out] = await engine.run([preprocess(roadScene(), model.card.input, 'NCHW')]);
    expect(out).toMatchObject({ width: 320, height: 320 });
  });

  it('matches a reference computed straight from onnxruntime: drivable argmax, then lanes on top', async () => {
    const x = preprocess(roadScene(640, 360, 2), model.card.input, 'NCHW');
    const session = await ort.InferenceSession.create(twinLiteNetOnnx, { intraOpNumThreads: 1 });
    try {
      const r = await session.run({ input: new ort.Tensor('float32', x, [1, 3, 320, 320]) });
      const da = r.drivable_area.data as Float32Array;
      const ll = r.lanes.data as Float32Array;
      const P = 320 * 320;
      const ref = new Uint8Array(P);
      for (let p = 0; p < P; p++) ref[p] = ll[P + p] > ll[p] ? 2 : da[P + p] > da[p] ? 1 : 0;
      const [out] = await engine.run([x]);
      expect(out.classMap).toEqual(ref);
    } finally {
      await session.release();
    }
  });

  it('a batch through the fixed batch-1 input gives the same maps as single runs', async () => {
    const a = preprocess(roadScene(640, 360, 0), model.card.input, 'NCHW');
    const b = preprocess(roadScene(640, 360, 5), model.card.input, 'NCHW');
    const both = await engine.run([a, b]);
    const [one] = await engine.run([b]);
    expect(both).toHaveLength(2);
    expect(both[1].classMap).toEqual(one.classMap);
  });

  it.skipIf(skipWithout(camvidVal, 'the real-frame TwinLiteNet test'))(
    'finds drivable road in the lower part of real CamVid frames and none in the sky',
    async () => {
      const frames = readdirSync(camvidVal)
        .filter((f) => f.endsWith('.png'))
        .sort()
        .filter((_, i) => i % 25 === 0)
        .slice(0, 4);
      expect(frames.length).toBeGreaterThan(0);
      const outs = await engine.run(
        frames.map((f) => preprocess(decodeImage(path.join(camvidVal, f)), model.card.input, 'NCHW')),
      );
      for (const o of outs) {
        const bottom = share(o.classMap, o.width, o.height * 0.75, o.height, [1, 2]);
        const top = share(o.classMap, o.width, 0, o.height / 3, [1, 2]);
        expect(bottom).toBeGreaterThan(0.3);
        expect(top).toBeLessThan(0.02);
      }
    },
  );

  it('MODEL_INVALID for a card whose input size disagrees with the network', async () => {
    const dir = await tm.twinLiteNet('twinlitenet-wrong', { input: { width: 640, height: 360 } });
    const err = await createEngine(await loadModel(dir)).catch((e) => e);
    expect(err.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(err.message).toContain('[N,3,360,640]');
    expect(err.message).toContain('[1,3,320,320]');
  });
});
