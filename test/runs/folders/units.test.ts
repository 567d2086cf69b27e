import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeSpaceBoundary, NO_FREE_SPACE, freeSpaceLine } from '../../../src/pixels/free-space-boundary.js';
import { roadMapName } from '../../../src/runs/folders/outputs.js';
import { probabilityToBytes } from '../../../src/pixels/resample.js';
import { expandGlob } from '../../../src/datasets/glob.js';
import { createEngine } from '../../../src/infer/engine.js';
import { loadModel } from '../../../src/infer/model-card.js';
import { tempDir, tinyModelDir } from '../../helpers/media.js';
import { resizeToTensor } from '../../../src/pixels/tensor.js';
import { thresholdModel } from './fixtures.js';

describe('free-space boundary', () => {
  it('finds, per column, the first non-free row above the free run at the bottom', () => {
    const W = 6;
    const H = 5;
    // Columns: 0 free from row 2 down; 1 whole column free; 2 bottom not free; 3 free at rows 3-4
    // with free space again higher up (not connected to the bottom); 4 only the bottom row; 5 none.
    const F = 1;
    const rows = [
      [0, F, 0, F, 0, 0],
      [0, F, F, 0, 0, 0],
      [F, F, F, 0, 0, 0],
      [F, F, F, F, 0, 0],
      [F, F, 0, F, F, 0],
    ];
    const map = Uint8Array.from(rows.flat(), (v) => (v ? 7 : 3));
    const isFree = new Uint8Array(256);
    isFree[7] = 1;
    const fs = freeSpaceBoundary(map, W, H, isFree);
    expect(Array.from(fs.boundary)).toEqual([1, -1, NO_FREE_SPACE, 2, 3, NO_FREE_SPACE]);
    expect(fs.freeFraction).toBe(15 / 30); // 2 + 2 + 3 + 4 + 4 free pixels
    const line = freeSpaceLine('image_02', '0000000000', 0, W, H, fs);
    expect(line.boundary).toEqual([1, -1, null, 2, 3, null]);
    expect(line.freeFraction).toBe(0.5);
  });
});

describe('KITTI road maps', () => {
  it('names maps as the benchmark does and quantises bilinear probabilities', () => {
    expect(roadMapName('um_000000')).toBe('um_road_000000.png');
    expect(roadMapName('umm_000093')).toBe('umm_road_000093.png');
    expect(roadMapName('uu_000012')).toBe('uu_road_000012.png');
    expect(roadMapName('0000000042')).toBe('0000000042_road.png');
    const out = probabilityToBytes(Float32Array.from([0, 1]), 2, 1, 4, 1);
    // half-pixel bilinear 2 -> 4: positions -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
    expect(Array.from(out)).toEqual([0, 64, 191, 255]);
  });

  it('engine probabilities: softmax of the road classes, unchanged class maps', async () => {
    const model = await loadModel(thresholdModel);
    const engine = await createEngine(model, { threads: 1 });
    try {
      const { width: W, height: H } = model.card.input;
      const x = new Float32Array(3 * W * H);
      x.fill(0.9, 0, (W * H) / 2); // red channel high in the top half
      const [plain] = await engine.run([x]);
      const [withP] = await engine.run([x], { probabilities: model.roadIds });
      expect(plain.probability).toBeUndefined();
      expect(Buffer.from(withP.classMap).equals(Buffer.from(plain.classMap))).toBe(true);
      const p = withP.probability!;
      expect(p.length).toBe(withP.width * withP.height);
      expect(p[0]).toBeGreaterThan(0.5); // red -> road
      expect(p[p.length - 1]).toBeLessThan(0.5);
      expect(withP.classMap[0]).toBe(0);
    } finally {
      await engine.dispose();
    }
  });

  it('TF.js and ONNX give the same road probabilities for the same network', async () => {
    const model = await loadModel(tinyModelDir);
    const { width: W, height: H } = model.card.input;
    const rgb = new Uint8Array(W * H * 3).map((_, i) => (i * 37 + ((i / 700) | 0) * 5) % 251);
    const onnx = await createEngine(model, { engine: 'onnx', threads: 1 });
    const tfjs = await createEngine(model, { engine: 'tfjs' });
    try {
      const [a] = await onnx.run([resizeToTensor(rgb, W, H, model.card.input, onnx.inputLayout)], {
        probabilities: model.roadIds,
      });
      const [b] = await tfjs.run([resizeToTensor(rgb, W, H, model.card.input, tfjs.inputLayout)], {
        probabilities: model.roadIds,
      });
      let worst = 0;
      for (let i = 0; i < a.probability!.length; i++)
        worst = Math.max(worst, Math.abs(a.probability![i] - b.probability![i]));
      expect(worst).toBeLessThan(1e-4);
      const [plain] = await tfjs.run([resizeToTensor(rgb, W, H, model.card.input, tfjs.inputLayout)]);
      expect(plain.probability).toBeUndefined();
    } finally {
      await onnx.dispose();
      await tfjs.dispose();
    }
  });
});

describe('globs', () => {
  it('matches within a segment with * and across segments with **, classes, literal names, natural order', async () => {
    const tmp = tempDir('segstream-glob-');
    try {
      const names = [
        'a.png',
        'img_00.png',
        'img_01.png',
        'img_03.png',
        'frame2.png',
        'frame10.png',
        '.hidden.png',
        'run (1)a.png',
        'x{a,b}1.png',
        'd/a.png',
        'd/e/a.png',
      ];
      for (const n of names) {
        mkdirSync(path.dirname(path.join(tmp.dir, n)), { recursive: true });
        writeFileSync(path.join(tmp.dir, n), '');
      }
      const rel = async (p: string) =>
        (await expandGlob(path.join(tmp.dir, p))).files.map((f) => path.relative(tmp.dir, f));
      expect(await rel('*.png')).toEqual([
        'a.png',
        'frame2.png',
        'frame10.png',
        'img_00.png',
        'img_01.png',
        'img_03.png',
        'run (1)a.png',
        'x{a,b}1.png',
      ]);
      expect(await rel('**/a.png')).toEqual(['a.png', 'd/a.png', 'd/e/a.png']);
      expect(await rel('*/a.png')).toEqual(['d/a.png']);
      expect(await rel('img_0[0-2].png')).toEqual(['img_00.png', 'img_01.png']);
      expect(await rel('img_0[!0].png')).toEqual(['img_01.png', 'img_03.png']);
      expect(await rel('img_0?.png')).toEqual(['img_00.png', 'img_01.png', 'img_03.png']);
      expect(await rel('run (1)*.png')).toEqual(['run (1)a.png']);
      expect(await rel('x{a,b}*.png')).toEqual(['x{a,b}1.png']);
      expect(await rel('nothing/*.png')).toEqual([]);
      expect((await expandGlob(path.join(tmp.dir, 'd', '**', '*.png'))).base).toBe(path.join(tmp.dir, 'd'));
    } finally {
      tmp.cleanup();
    }
  });
});
