import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDataset } from '../../../src/datasets/labelled.js';
import { findSequences } from '../../../src/datasets/layouts.js';
import { sequenceFold } from '../../../src/datasets/folds.js';
import { CAMVID_CLASSES, CAMVID_TO_IDD, IDD_GROUPS, IGNORE, labelSpaceFor } from '../../../src/datasets/label-maps.js';
import { evaluateDataset } from '../../../src/runs/eval/evaluate.js';
import { loadModel } from '../../../src/infer/model-card.js';
import { liveChildCount } from '../../../src/process/child.js';
import { runCli } from '../../helpers/cli.js';
import { bins, tempDir } from '../../helpers/media.js';
import { RED_COLS, inRect, labelMap, redLeftImage, thresholdModel, writeCarRoadModel, writePng } from './fixtures.js';

/**
 * IDD level-1 ids per pixel: the red part is vehicles (3) with a living-things (2) patch and a
 * void (255) patch; the rest is drivable (0) with non-drivable (1) and sky (6) patches. The model
 * below predicts Car (→ vehicles) on red and Road (→ drivable) elsewhere. Per image: vehicles TP
 * 3456 − 220 = 3236, FP 100 (the living things) → IoU 97.00; drivable TP 5760 − 380 = 5380, FP 380
 * → 93.40; living things, non-drivable and sky never predicted → 0; road-side and far objects
 * occur nowhere → null. mIoU = (97.0024 + 93.4028) / 5 = 38.08.
 */
const label = labelMap((x, y) => {
  if (x < RED_COLS) return inRect(x, y, [0, 0, 9, 9]) ? 2 : inRect(x, y, [0, 60, 9, 71]) ? 255 : 3;
  return inRect(x, y, [100, 0, 127, 9]) ? 1 : inRect(x, y, [60, 20, 69, 29]) ? 6 : 0;
});

describe('IDD-Lite layout: detection, folds by sequence folder, CamVid classes scored as IDD groups', () => {
  const tmp = tempDir('segstream-idd-');
  const ds = path.join(tmp.dir, 'idd_lite');
  const modelDir = path.join(tmp.dir, 'car-road-model');
  // sequence folder -> frame ids; folds: '2' → 4, '10' → 3, '11' → 0
  const frames: [string, string][] = [
    ['10', '000001'],
    ['2', '000010'],
    ['2', '000002'],
    ['11', '000005'],
  ];

  beforeAll(() => {
    for (const [i, [seq, id]] of frames.entries()) {
      const png = path.join(tmp.dir, `src${i}.png`);
      writePng(png, redLeftImage(i), 'rgb');
      const jpg = path.join(ds, 'leftImg8bit', 'train', seq, `${id}_image.jpg`);
      mkdirSync(path.dirname(jpg), { recursive: true });
      const r = spawnSync(bins.ffmpeg.path, ['-v', 'error', '-y', '-i', png, '-q:v', '2', jpg], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      writePng(path.join(ds, 'gtFine', 'train', seq, `${id}_label.png`), label, 'gray');
    }
    writeCarRoadModel(modelDir);
  });
  afterAll(() => tmp.cleanup());

  it('assigns folds by a hash of the folder name alone (the rule training/idd.py shares)', () => {
    expect(['0', '1', '2', '10', '11', '20'].map(sequenceFold)).toEqual([3, 4, 4, 3, 0, 0]);
  });

  it('detects the layout, lists JPEG frames with their labels in natural order', async () => {
    const d = await listDataset({ dir: ds, split: 'train' });
    expect(d.format).toBe('idd');
    expect(d.samples.map((s) => s.name)).toEqual([
      '2/000002_image.jpg',
      '2/000010_image.jpg',
      '10/000001_image.jpg',
      '11/000005_image.jpg',
    ]);
    expect(d.samples[0].label).toBe(path.join(ds, 'gtFine', 'train', '2', '000002_label.png'));
    expect(d.samples[0]).toMatchObject({ width: 128, height: 72 });
    expect(d.subset).toBeUndefined();
    const seqs = await findSequences(ds, { recursive: true });
    expect(seqs.map((s) => [s.id, s.layout, s.labelFormat, s.frames.length])).toEqual([
      ['train/2', 'idd', 'idd', 2],
      ['train/10', 'idd', 'idd', 1],
      ['train/11', 'idd', 'idd', 1],
    ]);
  });

  it('maps the 11 CamVid classes to the IDD groups by the documented table', async () => {
    const space = labelSpaceFor('idd', await loadModel('camvid-default'));
    expect(space.name).toBe('idd-level1');
    expect(space.classes).toEqual([...IDD_GROUPS]);
    const group = (g: string) => IDD_GROUPS.indexOf(g as (typeof IDD_GROUPS)[number]);
    expect(CAMVID_CLASSES.map((_, id) => IDD_GROUPS[space.predictionLut[id]])).toEqual([
      'sky',
      'far objects',
      'road-side objects',
      'drivable',
      'non-drivable',
      'far objects',
      'road-side objects',
      'road-side objects',
      'vehicles',
      'living things',
      'vehicles',
    ]);
    expect(CAMVID_CLASSES.map((n) => CAMVID_TO_IDD[n])).toEqual(
      CAMVID_CLASSES.map((_, id) => IDD_GROUPS[space.predictionLut[id]]),
    );
    for (let v = 0; v < 256; v++) expect([v, space.labelLut[v]]).toEqual([v, v < 7 ? v : IGNORE]);
    expect(space.freeSpace).toEqual([group('drivable')]);
  });

  it('scores per IDD group, free space = drivable, and leaves nothing running', async () => {
    const r = await evaluateDataset({ dir: ds, split: 'train', model: modelDir, workers: 1, threads: 1 });
    expect(r).toMatchObject({ format: 'idd', labelSpace: 'idd-level1', frames: 4, miou: 38.08 });
    expect(r.perClass).toEqual({
      drivable: 93.4,
      'non-drivable': 0,
      'living things': 0,
      vehicles: 97,
      'road-side objects': null,
      'far objects': null,
      sky: 0,
    });
    expect(r.freeSpace).toEqual({ iou: 93.4, precision: 93.4, recall: 100 });
    expect(r.pixels).toBe(4 * (128 * 72 - 120));
    expect(liveChildCount()).toBe(0);
  });

  it('--fold K evaluates whole sequence folders of fold K; --sequences FILE the folders it names', async () => {
    const fold = await runCli([
      'eval',
      ds,
      '--format',
      'idd',
      '--split',
      'train',
      '--fold',
      '4',
      '--model',
      modelDir,
      '--workers',
      '1',
      '--threads',
      '1',
      '--json',
      '-q',
    ]);
    expect(fold.code, fold.stderr).toBe(0);
    expect(JSON.parse(fold.stdout)).toMatchObject({
      frames: 2,
      subset: { fold: 4, folds: 5, sequences: ['2'] },
      miou: 38.08,
    });

    const list = path.join(tmp.dir, 'holdout.txt');
    writeFileSync(list, '# held-out sequence folders\n11\n\n10  # a comment\n');
    const seqs = await runCli([
      'eval',
      ds,
      '--format',
      'idd',
      '--split',
      'train',
      '--sequences',
      list,
      '--model',
      modelDir,
      '--workers',
      '1',
      '--threads',
      '1',
      '-q',
    ]);
    expect(seqs.code, seqs.stderr).toBe(0);
    expect(seqs.stdout).toContain('(idd, train, 2 sequence folders, 2 images)');
    expect(seqs.stdout).toMatch(/vehicles\s+97\.00/);
    expect(seqs.stdout).toMatch(/free space\s+93\.40/);
  });

  it('refuses a fold out of range, a folder the split lacks, folds on a CamVid layout, and both options at once', async () => {
    await expect(listDataset({ dir: ds, split: 'train', fold: 5 })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INVALID_OPTION',
    });
    await expect(listDataset({ dir: ds, split: 'train', sequences: ['2', '99'] })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INVALID_OPTION',
      message: expect.stringContaining('99'),
    });
    await expect(listDataset({ dir: ds, split: 'train', fold: 1, sequences: ['2'] })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INVALID_OPTION',
    });
    await expect(listDataset({ dir: ds, split: 'train', fold: 1 })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_NO_FRAMES',
    });
    const camvid = path.join(tmp.dir, 'camvid');
    writePng(path.join(camvid, 'val', 'a.png'), redLeftImage(), 'rgb');
    writePng(path.join(camvid, 'valannot', 'a.png'), label, 'gray');
    await expect(listDataset({ dir: camvid, fold: 0 })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INVALID_OPTION',
      message: expect.stringContaining('camvid'),
    });
    const missing = await runCli(['eval', ds, '--split', 'train', '--sequences', path.join(tmp.dir, 'nope.txt')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^seg-stream: SEGSTREAM_ERR_INPUT_NOT_FOUND: cannot read the --sequences file/);
  });

  it('refuses IDD labels for a model with no CamVid classes', async () => {
    await expect(evaluateDataset({ dir: ds, split: 'train', model: thresholdModel })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INVALID_OPTION',
    });
  });
});
