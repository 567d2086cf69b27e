import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDataset } from '../../../src/datasets/labelled.js';
import { evaluateDataset } from '../../../src/runs/eval/evaluate.js';
import { CAMVID_CLASSES, CITYSCAPES_TO_CAMVID, IGNORE, labelSpaceFor } from '../../../src/datasets/label-maps.js';
import { loadModel } from '../../../src/infer/model-card.js';
import { liveChildCount } from '../../../src/process/child.js';
import { tempDir } from '../../helpers/media.js';
import { RED_COLS, inRect, labelMap, redLeftImage, thresholdModel, writeCarRoadModel, writePng } from './fixtures.js';

/**
 * Cityscapes label ids per pixel: the red part is car (26) with a truck (27, also Car) patch and
 * an ego-vehicle (1, ignored) patch; the rest is road (7) with sidewalk (8 -> Pavement) and
 * vegetation (21 -> Tree) patches. The model below predicts Car on red and Road elsewhere.
 * Per image: Car labels 3456 - 120 = 3336, all right -> IoU 100; Road TP 5760 - 380 = 5380,
 * FP 380 -> IoU 93.40; Pavement (280) and Tree (100) never predicted -> 0; the other 7 CamVid
 * classes appear nowhere -> null. mIoU = (100 + 93.4028 + 0 + 0) / 4 = 48.35.
 */
const label = labelMap((x, y) => {
  if (x < RED_COLS) return inRect(x, y, [0, 0, 9, 9]) ? 27 : inRect(x, y, [0, 60, 9, 71]) ? 1 : 26;
  return inRect(x, y, [100, 0, 127, 9]) ? 8 : inRect(x, y, [60, 20, 69, 29]) ? 21 : 7;
});

describe('Cityscapes layout: detection, natural order, label-id mapping', () => {
  const tmp = tempDir('segstream-cityscapes-');
  const ds = path.join(tmp.dir, 'cityscapes');
  const modelDir = path.join(tmp.dir, 'car-road-model');
  const files = ['city10/city10_000001_000019', 'city2/city2_000010_000019', 'city2/city2_000002_000019'];

  beforeAll(() => {
    for (const [i, f] of files.entries()) {
      writePng(path.join(ds, 'leftImg8bit', 'val', `${f}_leftImg8bit.png`), redLeftImage(i), 'rgb');
      writePng(path.join(ds, 'gtFine', 'val', `${f}_gtFine_labelIds.png`), label, 'gray');
    }
    // Cityscapes ships other gtFine files next to labelIds, and stray files happen: both are skipped.
    writePng(path.join(ds, 'gtFine', 'val', 'city2', 'city2_000002_000019_gtFine_color.png'), redLeftImage(), 'rgb');
    writeFileSync(path.join(ds, 'leftImg8bit', 'val', 'city2', 'notes.png.txt'), 'x');
    writeCarRoadModel(modelDir);
  });
  afterAll(() => tmp.cleanup());

  it('detects the layout and lists pairs in natural order', async () => {
    const d = await listDataset({ dir: ds });
    expect(d.format).toBe('cityscapes');
    expect(d.samples.map((s) => s.name)).toEqual([
      'city2/city2_000002_000019_leftImg8bit.png',
      'city2/city2_000010_000019_leftImg8bit.png',
      'city10/city10_000001_000019_leftImg8bit.png',
    ]);
    expect(d.samples[0].label).toBe(path.join(ds, 'gtFine', 'val', 'city2', 'city2_000002_000019_gtFine_labelIds.png'));
    expect(d.samples[0]).toMatchObject({ width: 128, height: 72 });
  });

  it('maps Cityscapes label ids to CamVid-11 by the documented table', async () => {
    const space = labelSpaceFor('cityscapes', await loadModel(modelDir));
    const idx = (name: string) => CAMVID_CLASSES.indexOf(name as (typeof CAMVID_CLASSES)[number]);
    const expected: [number, string | null][] = [
      [7, 'Road'],
      [8, 'Pavement'],
      [11, 'Building'],
      [12, 'Fence'],
      [13, 'Fence'],
      [17, 'Pole'],
      [19, 'SignSymbol'],
      [20, 'SignSymbol'],
      [21, 'Tree'],
      [22, 'Tree'],
      [23, 'Sky'],
      [24, 'Pedestrian'],
      [25, 'Bicyclist'],
      [32, 'Bicyclist'],
      [33, 'Bicyclist'],
      [26, 'Car'],
      [27, 'Car'],
      [28, 'Car'],
      [31, 'Car'],
      [0, null],
      [1, null],
      [6, null],
      [9, null],
      [10, null],
      [14, null],
      [29, null],
      [30, null],
      [255, null],
    ];
    for (const [id, name] of expected)
      expect([id, space.labelLut[id]]).toEqual([id, name === null ? IGNORE : idx(name)]);
    expect(Object.keys(CITYSCAPES_TO_CAMVID)).toHaveLength(19);
    expect([space.predictionLut[0], space.predictionLut[1], space.predictionLut[2]]).toEqual([
      idx('Car'),
      idx('Road'),
      11,
    ]);
    expect(space.freeSpace).toEqual([idx('Road')]);
  });

  it('evaluates with the mapped labels and leaves nothing running', async () => {
    const r = await evaluateDataset({ dir: ds, model: modelDir, workers: 1, threads: 1 });
    expect(r).toMatchObject({ format: 'cityscapes', labelSpace: 'camvid-11', frames: 3, miou: 48.35 });
    expect(r.perClass).toEqual({
      Sky: null,
      Building: null,
      Pole: null,
      Road: 93.4,
      Pavement: 0,
      Tree: 0,
      SignSymbol: null,
      Fence: null,
      Car: 100,
      Pedestrian: null,
      Bicyclist: null,
    });
    expect(r.freeSpace).toEqual({ iou: 93.4, precision: 93.4, recall: 100 });
    expect(liveChildCount()).toBe(0);
  });

  it('refuses Cityscapes labels for a model with no CamVid classes', async () => {
    await expect(evaluateDataset({ dir: ds, model: thresholdModel })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INVALID_OPTION',
    });
  });

  it('a damaged label mid-run rejects with INPUT_CORRUPT naming it and leaves no ffmpeg behind', async () => {
    const broken = path.join(tmp.dir, 'broken');
    for (const sub of ['leftImg8bit', 'gtFine']) {
      mkdirSync(path.join(broken, sub, 'val', 'c'), { recursive: true });
    }
    for (let i = 0; i < 5; i++) {
      writePng(path.join(broken, 'leftImg8bit', 'val', 'c', `c_${i}_leftImg8bit.png`), redLeftImage(i), 'rgb');
      writePng(path.join(broken, 'gtFine', 'val', 'c', `c_${i}_gtFine_labelIds.png`), label, 'gray');
    }
    const third = path.join(broken, 'gtFine', 'val', 'c', 'c_2_gtFine_labelIds.png');
    writeFileSync(third, readFileSync(third).subarray(0, 50));
    await expect(evaluateDataset({ dir: broken, model: modelDir, workers: 1, threads: 1 })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INPUT_CORRUPT',
      message: expect.stringContaining('c_2_gtFine_labelIds.png'),
    });
    expect(liveChildCount()).toBe(0);
  });

  it('stops on abort with SEGSTREAM_ERR_ABORTED', async () => {
    const stop = new AbortController();
    stop.abort();
    await expect(
      evaluateDataset({ dir: ds, model: modelDir, workers: 1, threads: 1, signal: stop.signal }),
    ).rejects.toMatchObject({ code: 'SEGSTREAM_ERR_ABORTED' });
    expect(liveChildCount()).toBe(0);
  });
});
