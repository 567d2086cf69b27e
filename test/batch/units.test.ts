import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeSpaceBoundary, NO_FREE_SPACE, freeSpaceLine } from '../../src/runs/folders/free-space-boundary.js';
import { decodePngBytes, toRgb24 } from '../../src/batch/png-decode.js';
import { probabilityToBytes, roadMapName } from '../../src/batch/road-map.js';
import { globToRegExp } from '../../src/datasets/glob.js';
import { createEngine } from '../../src/infer/engine.js';
import { loadModel } from '../../src/infer/model-card.js';
import { encodePng } from '../../src/render/png.js';
import { bins, tempDir, tinyModelDir } from '../helpers/media.js';
import { resizeToTensor } from '../../src/render/resize.js';
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

describe('PNG decoder', () => {
  it('reads every row filter and colour type as ffmpeg does', () => {
    const { dir, cleanup } = tempDir();
    try {
      const W = 37;
      const H = 23;
      const rgb = new Uint8Array(W * H * 3).map((_, i) => (i * 37 + ((i / 97) | 0) * 11) & 0xff);
      const src = path.join(dir, 'src.png');
      writeFileSync(src, encodePng(rgb, W, H, 'rgb'));
      for (const [fmt, extra] of [['rgb24', ['-pred', 'mixed']], ['rgba', ['-pred', 'paeth']], ['gray', ['-pred', 'avg']], ['ya8', ['-pred', 'sub']], ['pal8', []]] as const) {
        const file = path.join(dir, `${fmt}.png`);
        const r = spawnSync(bins.ffmpeg.path, ['-v', 'error', '-y', '-i', src, '-pix_fmt', fmt, ...extra, file]);
        expect(r.status).toBe(0);
        const png = decodePngBytes(readFileSync(file), file)!;
        const want = spawnSync(bins.ffmpeg.path, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 1 << 24 }).stdout;
        expect([png.width, png.height]).toEqual([W, H]);
        expect(Buffer.from(toRgb24(png)).equals(want), fmt).toBe(true);
      }
    } finally {
      cleanup();
    }
  });

  it('leaves 16-bit PNGs to ffmpeg and rejects damaged ones with a code', () => {
    const gray = encodePng(new Uint8Array(64).fill(9), 8, 8, 'gray');
    const sixteen = Uint8Array.from(gray);
    sixteen[24] = 16; // IHDR bit depth (CRC not checked by the decoder)
    expect(decodePngBytes(sixteen)).toBeNull();
    expect(() => decodePngBytes(new TextEncoder().encode('not a png at all, just some text here'), 'x.png')).toThrow(expect.objectContaining({ code: 'SEGSTREAM_ERR_INPUT_CORRUPT' }));
    expect(() => decodePngBytes(gray.subarray(0, gray.length - 20), 'cut.png')).toThrow(expect.objectContaining({ code: 'SEGSTREAM_ERR_INPUT_CORRUPT' }));
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
      expect(plain!.probability).toBeUndefined();
      expect(Buffer.from(withP!.classMap).equals(Buffer.from(plain!.classMap))).toBe(true);
      const p = withP!.probability!;
      expect(p.length).toBe(withP!.width * withP!.height);
      expect(p[0]).toBeGreaterThan(0.5); // red -> road
      expect(p[p.length - 1]).toBeLessThan(0.5);
      expect(withP!.classMap[0]).toBe(0);
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
      const [a] = await onnx.run([resizeToTensor(rgb, W, H, model.card.input, onnx.inputLayout)], { probabilities: model.roadIds });
      const [b] = await tfjs.run([resizeToTensor(rgb, W, H, model.card.input, tfjs.inputLayout)], { probabilities: model.roadIds });
      let worst = 0;
      for (let i = 0; i < a!.probability!.length; i++) worst = Math.max(worst, Math.abs(a!.probability![i]! - b!.probability![i]!));
      expect(worst).toBeLessThan(1e-4);
      const [plain] = await tfjs.run([resizeToTensor(rgb, W, H, model.card.input, tfjs.inputLayout)]);
      expect(plain!.probability).toBeUndefined();
    } finally {
      await onnx.dispose();
      await tfjs.dispose();
    }
  });
});

describe('globs', () => {
  it('matches within a segment with * and across segments with **', () => {
    expect(globToRegExp('*.png').test('a.png')).toBe(true);
    expect(globToRegExp('*.png').test('d/a.png')).toBe(false);
    expect(globToRegExp('**/*.png').test('d/e/a.png')).toBe(true);
    expect(globToRegExp('img_0[0-2].png').test('img_01.png')).toBe(true);
  });
});
