import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/media.js';
import { summaryOf, thresholdModel, twoColourFrame, writePng } from './fixtures.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => (tmp = tempDir('segstream-score-')));
afterAll(() => tmp.cleanup());
const W = 128;
const H = 72;
const map = (fn: (x: number, y: number) => number) => {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) m[y * W + x] = fn(x, y);
  return m;
};

describe('scoring', () => {
  it('CamVid layout in the model ids: known per-class IoU and mIoU, in the output and the manifest', async () => {
    const root = path.join(tmp.dir, 'camvid');
    // Red (class 0, "red", free space) for x < 48; labelled 0 for x < 64, 1 elsewhere.
    // Per row: red TP 48, FN 16, FP 0 -> IoU 75; other TP 64, FP 16 -> IoU 80; mIoU 77.5.
    for (let i = 0; i < 2; i++) {
      writePng(
        path.join(root, 'val', `f${i}.png`),
        twoColourFrame(W, H, (x) => x < 48),
        W,
        H,
      );
      writePng(
        path.join(root, 'valannot', `f${i}.png`),
        map((x) => (x < 64 ? 0 : 1)),
        W,
        H,
        'gray',
      );
    }
    const out = path.join(tmp.dir, 'camvid-out');
    const r = await runCli([root, '--masks', out, '-m', thresholdModel, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.scores).toEqual([
      expect.objectContaining({
        dataset: 'camvid',
        labelSpace: 'model',
        frames: 2,
        pixels: 2 * W * H,
        miou: 77.5,
        perClass: { red: 75, other: 80 },
        freeSpace: { iou: 75, precision: 100, recall: 75 },
      }),
    ]);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.scores[0].miou).toBe(77.5);
    expect(manifest.sequences[0].scores.miou).toBe(77.5);

    // A resumed run re-scores skipped frames from their saved masks: same numbers.
    const again = await runCli([root, '--masks', out, '-m', thresholdModel, '--json']);
    expect(summaryOf(again.stdout)).toMatchObject({
      frames: 0,
      skipped: 2,
      scores: [expect.objectContaining({ frames: 2, miou: 77.5 })],
    });
    // Human-readable report on stderr.
    const text = await runCli([root, '--masks', out, '-m', thresholdModel, '-q']);
    expect(text.stderr).toMatch(/mIoU\s+77\.50/);
  });

  it('KITTI semantics (Cityscapes label ids) mapped to CamVid classes by the documented table', async () => {
    const model = path.join(tmp.dir, 'road-sky-model');
    cpSync(thresholdModel, model, { recursive: true });
    const card = JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8'));
    card.classes[0].name = 'Road';
    card.classes[1].name = 'Sky';
    card.roles = { freeSpace: ['Road'], road: ['Road'], vehicle: [] };
    writeFileSync(path.join(model, 'model.json'), JSON.stringify(card));
    const root = path.join(tmp.dir, 'kitti-sem');
    // Predicted Road (red) from row 36; labelled road (id 7) from row 32, sky (23) above, rows 0-3 unlabelled (0, ignored).
    // Road: TP 36 rows, FN 4 rows -> 90; Sky: TP 28 rows, FP 4 rows -> 87.5; mIoU 88.75.
    writePng(
      path.join(root, 'training', 'image_2', '000000_10.png'),
      twoColourFrame(W, H, (_, y) => y >= 36),
      W,
      H,
    );
    writePng(
      path.join(root, 'training', 'semantic', '000000_10.png'),
      map((_, y) => (y >= 32 ? 7 : y >= 4 ? 23 : 0)),
      W,
      H,
      'gray',
    );
    const r = await runCli([root, '--masks', path.join(tmp.dir, 'sem-out'), '-m', model, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [score] = summaryOf(r.stdout).scores;
    expect(score).toMatchObject({ dataset: 'cityscapes', labelSpace: 'camvid-11', frames: 1, miou: 88.75 });
    expect(score.perClass).toMatchObject({ Road: 90, Sky: 87.5, Car: null });
    expect(score.freeSpace).toEqual({ iou: 90, precision: 100, recall: 90 });
  });

  it('KITTI road ground truth: road = magenta, valid = red channel > 0, lane files ignored', async () => {
    const root = path.join(tmp.dir, 'data_road');
    writePng(
      path.join(root, 'training', 'image_2', 'um_000000.png'),
      twoColourFrame(W, H, (_, y) => y >= 36),
      W,
      H,
    );
    // Road from row 40 (magenta), non-road red above, rows 0-7 black (outside the valid area).
    const gt = new Uint8Array(W * H * 3);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) gt.set(y >= 40 ? [255, 0, 255] : y >= 8 ? [255, 0, 0] : [0, 0, 0], (y * W + x) * 3);
    writePng(path.join(root, 'training', 'gt_image_2', 'um_road_000000.png'), gt, W, H);
    writePng(path.join(root, 'training', 'gt_image_2', 'um_lane_000000.png'), new Uint8Array(W * H * 3), W, H);
    const r = await runCli([root, '--kitti-road', path.join(tmp.dir, 'road-out'), '-m', thresholdModel, '--json']);
    expect(r.code, r.stderr).toBe(0);
    // TP 32 rows, FP 4 rows (36-39), FN 0: IoU = precision = 32/36, recall 100, F1 = 64/68.
    expect(summaryOf(r.stdout).scores).toEqual([
      expect.objectContaining({
        dataset: 'kitti-road',
        labelSpace: 'road',
        frames: 1,
        pixels: 64 * W,
        road: { iou: 88.89, precision: 88.89, recall: 100, f1: 94.12 },
      }),
    ]);
  });
});
