/**
 * Eval and outputs take their classes from one function: the masks of a frame-folder run, the
 * masks of the video render task and the confusion counted by `seg-stream eval` all equal
 * `classMapAt` (bilinear scores at the frame size) of the network's scores, not the
 * nearest-neighbour enlargement of the network-size class map.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readImage } from '../../../src/codecs/image.js';
import { decodePngBytes, toRgb24 } from '../../../src/codecs/png-decode.js';
import { labelSpaceFor } from '../../../src/datasets/label-maps.js';
import { ConfusionMatrix } from '../../../src/datasets/metrics.js';
import { headLookup } from '../../../src/infer/argmax.js';
import { createEngine } from '../../../src/infer/engine.js';
import type { Engine } from '../../../src/infer/types.js';
import { modelForSource } from '../../../src/infer/input-size.js';
import { loadModel } from '../../../src/infer/model-card.js';
import { upscaleClassMap } from '../../../src/pixels/class-map.js';
import { classMapAt } from '../../../src/pixels/score-upsample.js';
import { resizeToTensor } from '../../../src/pixels/tensor.js';
import { evaluateDataset } from '../../../src/runs/eval/evaluate.js';
import { segmentFolder } from '../../../src/runs/folders/segment-folder.js';
import { renderFrame } from '../../../src/runs/video/frame-tasks.js';
import { camvidDir, haveCamvid } from './fixtures.js';

const FRAMES = 3;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'seg-same-path-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const agreement = (a: Uint8Array, b: Uint8Array) => {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
};

describe.runIf(haveCamvid())('one class path for eval and outputs (camvid-default on CamVid val)', () => {
  it('folder masks, video render masks and eval counts all follow classMapAt of the scores', async () => {
    // A CamVid-layout copy of the first frames of val.
    const names = readdirSync(path.join(camvidDir, 'val'))
      .filter((f) => f.endsWith('.png'))
      .sort()
      .slice(0, FRAMES);
    for (const d of ['val', 'valannot']) mkdirSync(path.join(tmp, 'ds', d), { recursive: true });
    for (const n of names)
      for (const d of ['val', 'valannot']) copyFileSync(path.join(camvidDir, d, n), path.join(tmp, 'ds', d, n));

    // Expected: the network's scores of each frame, classes by classMapAt (and by nearest, to show the test can fail).
    const base = await loadModel('camvid-default');
    const space = labelSpaceFor('camvid', base);
    const want = new ConfusionMatrix(space.classes);
    const nearest = new ConfusionMatrix(space.classes);
    const expected = new Map<
      string,
      {
        map: Uint8Array;
        nearest: Uint8Array;
        rgb: Uint8Array;
        w: number;
        h: number;
        scores: unknown;
        out: { classMap: Uint8Array; width: number; height: number };
      }
    >();
    let engine: Engine | undefined;
    for (const n of names) {
      const img = (await readImage(path.join(tmp, 'ds', 'val', n), 'ffmpeg')).png;
      const label = (await readImage(path.join(tmp, 'ds', 'valannot', n), 'ffmpeg', true)).png;
      const model = modelForSource(base, { width: img.width, height: img.height });
      engine ??= await createEngine(model, { engine: 'onnx' });
      const rgb = toRgb24(img);
      const [o] = await engine.run([resizeToTensor(rgb, img.width, img.height, model.card.input, engine.inputLayout)], {
        scores: true,
      });
      const map = classMapAt(
        { ...o, luts: model.card.heads.map(headLookup), offset: model.card.outputOffset },
        img.width,
        img.height,
      );
      const near = upscaleClassMap(o.classMap, o.width, o.height, img.width, img.height);
      want.accumulate(label.indices ?? label.data, map, space.labelLut, space.predictionLut);
      nearest.accumulate(label.indices ?? label.data, near, space.labelLut, space.predictionLut);
      expected.set(n, { map, nearest: near, rgb, w: img.width, h: img.height, scores: o.scores, out: o });
    }
    await engine?.dispose();

    // Frame-folder run: its masks.
    await segmentFolder({
      input: names.map((n) => path.join(tmp, 'ds', 'val', n)),
      masks: path.join(tmp, 'masks'),
      model: base,
    });
    for (const n of names) {
      const e = expected.get(n)!;
      const mask = decodePngBytes(readFileSync(path.join(tmp, 'masks', n)))!.data;
      // The same network on another thread count may differ in the last bits: allow 0.05 % of pixels.
      expect(agreement(mask, e.map)).toBeGreaterThanOrEqual(0.9995);
      expect(agreement(e.nearest, e.map)).toBeLessThan(0.997); // nearest differs enough for this test to fail on it
    }

    // The video render task: masks of the same frame and scores.
    const first = expected.get(names[0])!;
    const rendered = renderFrame({
      pixels: first.rgb.slice(),
      format: 'rgb24',
      width: first.w,
      height: first.h,
      classMap: first.out.classMap,
      mapWidth: first.out.width,
      mapHeight: first.out.height,
      scores: first.scores as never,
      luts: base.card.heads.map(headLookup),
      offset: base.card.outputOffset,
      lut: null,
      alpha: 0.5,
      masks: true,
      freeSpaceIds: null,
    });
    expect(agreement(decodePngBytes(rendered.maskPng!)!.data, first.map)).toBe(1);

    // Eval: its confusion matrix counts the classMapAt classes.
    const r = await evaluateDataset({ dir: path.join(tmp, 'ds'), split: 'val', model: base });
    const got = r.confusion.flat();
    const diff = (cm: ConfusionMatrix) => got.reduce((s, v, i) => s + Math.abs(v - cm.counts[i]), 0) / r.pixels;
    expect(diff(want)).toBeLessThanOrEqual(0.001);
    expect(diff(nearest)).toBeGreaterThan(0.005);
  }, 240_000);
});
