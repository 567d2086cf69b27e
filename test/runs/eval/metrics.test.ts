import { describe, expect, it } from 'vitest';
import { readCardMetrics } from '../../../src/datasets/card-metrics.js';
import { naturalCompare } from '../../../src/datasets/natural-order.js';
import { CAMVID_CLASSES, IGNORE } from '../../../src/datasets/label-maps.js';
import { ConfusionMatrix, classIoU, computeMetrics } from '../../../src/datasets/metrics.js';
import type { ModelCard } from '../../../src/infer/types.js';

describe('metrics from a hand-made confusion matrix', () => {
  // rows = label, columns = prediction (a, b, c, none-of-them)
  const cm = ConfusionMatrix.fromRows(
    ['a', 'b', 'c', 'd'],
    [
      [50, 10, 0, 0, 5], // a: TP 50, FN 15
      [5, 30, 5, 0, 0], // b: TP 30, FN 10
      [0, 0, 0, 0, 0], // c: never labelled ...
      [0, 0, 0, 0, 0], // d: never labelled, never predicted -> null, left out of the mean
    ],
  );

  it('computes IoU = TP / (TP + FP + FN) per class', () => {
    const iou = classIoU(cm);
    expect(iou[0]).toBeCloseTo(50 / (50 + 5 + 15), 12); // FP 5 (from b)
    expect(iou[1]).toBeCloseTo(30 / (30 + 10 + 10), 12); // FP 10 (from a), FN 10
    expect(iou[2]).toBe(0); // ... but predicted 5 times: IoU 0, counted in the mean
    expect(iou[3]).toBeNull();
  });

  it('averages over classes with TP + FP + FN > 0 and reports percentages rounded to 2 decimals', () => {
    const m = computeMetrics(cm, [0]);
    expect(m.perClass).toEqual({ a: 71.43, b: 60, c: 0, d: null });
    expect(m.miou).toBe(Math.round(((100 * (50 / 70 + 30 / 50 + 0)) / 3) * 100) / 100); // 43.81
    expect(m.miou).toBe(43.81);
    expect(m.pixelAccuracy).toBe(Math.round(((100 * 80) / 105) * 100) / 100);
    // free space = class a: TP 50, FP 5, FN 15 (the "none" column counts as a miss)
    expect(m.freeSpace).toEqual({ iou: 71.43, precision: 90.91, recall: 76.92 });
  });

  it('accumulates maps through the label and prediction lookups, skipping ignored pixels', () => {
    const m = new ConfusionMatrix(['x', 'y']);
    const labelLut = new Uint8Array(256).fill(IGNORE);
    labelLut[0] = 0;
    labelLut[1] = 1;
    const predLut = new Uint8Array(256).fill(2);
    predLut[0] = 0;
    predLut[1] = 1;
    m.accumulate(Uint8Array.of(0, 0, 1, 1, 9, 1), Uint8Array.of(0, 1, 1, 7, 0, 1), labelLut, predLut);
    expect(m.rows()).toEqual([
      [1, 1, 0],
      [0, 2, 1],
    ]);
    expect(m.total).toBe(5);
    expect(computeMetrics(new ConfusionMatrix(['x'])).miou).toBeNull();
  });

  it('rejects malformed counts', () => {
    expect(() => ConfusionMatrix.fromRows(['a'], [[1, 2, 3]])).toThrow(/Expected 1 or 2 counts/);
    expect(() => new ConfusionMatrix(['a']).add(1, 0)).toThrow(/class index/);
  });
});

describe('helpers', () => {
  it('sorts names naturally, independent of locale', () => {
    const names = ['img10.png', 'img2.png', 'img1.png', 'b_2_x.png', 'img02.png', 'a.png', 'b_10_x.png'];
    expect([...names].sort(naturalCompare)).toEqual([
      'a.png',
      'b_2_x.png',
      'b_10_x.png',
      'img1.png',
      'img02.png',
      'img2.png',
      'img10.png',
    ]);
  });

  it('reads the accuracy a model card claims', () => {
    const card = {
      metrics: { split: 'CamVid val', mIoU: 50.76, pixelAccuracy: 82.55, classIoU: { Sky: 92.33, Road: 'n/a' } },
    } as unknown as ModelCard;
    expect(readCardMetrics(card)).toEqual({
      split: 'CamVid val',
      miou: 50.76,
      pixelAccuracy: 82.55,
      classIoU: { Sky: 92.33 },
    });
    expect(readCardMetrics({} as ModelCard)).toBeUndefined();
    expect(CAMVID_CLASSES).toHaveLength(11);
  });
});
