/**
 * Segmentation metrics from a confusion matrix: per-class IoU, mIoU, pixel accuracy and
 * free-space IoU/precision/recall.
 */
import { invalidOption } from '../errors.js';
import { IGNORE } from './label-maps.js';

/**
 * Pixel counts, rows = label class, columns = predicted class, over `K` evaluated classes.
 *
 * There are `K + 1` columns: the last counts pixels predicted as something that is none of the
 * evaluated classes (a model class with no counterpart). Counts are float64, exact up to 2^53.
 */
export class ConfusionMatrix {
  readonly classes: readonly string[];
  /** Row-major `K x (K + 1)` counts. */
  readonly counts: Float64Array;

  constructor(classes: readonly string[]) {
    if (classes.length === 0 || classes.length > 255)
      throw invalidOption('classes', '1 to 255 class names', classes.length);
    this.classes = [...classes];
    this.counts = new Float64Array(classes.length * (classes.length + 1));
  }

  /**
   * A matrix from rows of counts (`K` rows of `K` or `K + 1` numbers).
   *
   * @example
   * ```ts
   * const cm = ConfusionMatrix.fromRows(['a', 'b'], [[8, 2], [0, 10]]);
   * ```
   */
  static fromRows(classes: readonly string[], rows: readonly (readonly number[])[]): ConfusionMatrix {
    const cm = new ConfusionMatrix(classes);
    const k = classes.length;
    if (rows.length !== k) throw invalidOption('rows', `${k} rows`, rows.length);
    rows.forEach((row, l) => {
      if (row.length !== k && row.length !== k + 1)
        throw invalidOption(`rows[${l}]`, `${k} or ${k + 1} counts`, row.length);
      row.forEach((n, p) => cm.add(l, p, n));
    });
    return cm;
  }

  /** Adds `count` pixels of label class `label` predicted as `pred` (`K` = none of the classes). */
  add(label: number, pred: number, count = 1): void {
    const k = this.classes.length;
    if (!Number.isInteger(label) || label < 0 || label >= k)
      throw invalidOption('label', `a class index 0..${k - 1}`, label);
    if (!Number.isInteger(pred) || pred < 0 || pred > k) throw invalidOption('pred', `a class index 0..${k}`, pred);
    if (!(count >= 0)) throw invalidOption('count', 'a count >= 0', count);
    this.counts[label * (k + 1) + pred] += count;
  }

  /**
   * Adds one image: `label` and `pred` are raw maps of the same size; `labelLut` turns a label
   * value into a class index or {@link IGNORE}, `predLut` a model class id into a class index or `K`.
   */
  accumulate(label: Uint8Array, pred: Uint8Array, labelLut: Uint8Array, predLut: Uint8Array): void {
    if (label.length !== pred.length) throw invalidOption('pred', `${label.length} pixels (the label's)`, pred.length);
    const cols = this.classes.length + 1;
    const counts = this.counts;
    for (let i = 0; i < label.length; i++) {
      const l = labelLut[label[i]];
      if (l === IGNORE) continue;
      counts[l * cols + predLut[pred[i]]]++;
    }
  }

  /** Pixels counted (ignored label pixels are not). */
  get total(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }

  /** The counts as `K` rows of `K + 1` numbers. */
  rows(): number[][] {
    const cols = this.classes.length + 1;
    return this.classes.map((_, l) => Array.from(this.counts.subarray(l * cols, (l + 1) * cols)));
  }
}

/** Metrics in percent (0-100), rounded to 2 decimals; `null` where undefined (0/0). */
export interface SegmentationMetrics {
  /** Mean IoU over the classes with TP + FP + FN > 0. */
  miou: number | null;
  /** Correct pixels / counted pixels. */
  pixelAccuracy: number | null;
  /** IoU = TP / (TP + FP + FN) per class name; `null` for a class neither labelled nor predicted. */
  perClass: Record<string, number | null>;
  /** Free-space classes merged into one: IoU, precision and recall. */
  freeSpace: { iou: number | null; precision: number | null; recall: number | null };
}

const pct = (num: number, den: number) => (den > 0 ? round2((100 * num) / den) : null);
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Per-class IoU as fractions 0..1 (unrounded); `null` when TP + FP + FN = 0. */
export function classIoU(cm: ConfusionMatrix): (number | null)[] {
  const k = cm.classes.length;
  const cols = k + 1;
  const c = cm.counts;
  return cm.classes.map((_, i) => {
    const tp = c[i * cols + i];
    let row = 0;
    let col = 0;
    for (let j = 0; j < cols; j++) row += c[i * cols + j];
    for (let j = 0; j < k; j++) col += c[j * cols + i];
    const union = row + col - tp;
    return union > 0 ? tp / union : null;
  });
}

/**
 * Computes every metric of a confusion matrix.
 *
 * mIoU is the mean of the unrounded class IoUs, then rounded; classes with no labelled and no
 * predicted pixel are left out of the mean. Free space treats the classes `freeSpace` (indices)
 * as one class against all other counted pixels, prediction "none of the classes" included.
 *
 * @example
 * ```ts
 * const m = computeMetrics(ConfusionMatrix.fromRows(['a', 'b'], [[8, 2], [0, 10]]), [0]);
 * m.perClass.a; // 80
 * ```
 */
export function computeMetrics(cm: ConfusionMatrix, freeSpace: readonly number[] = []): SegmentationMetrics {
  const k = cm.classes.length;
  const cols = k + 1;
  const c = cm.counts;
  const ious = classIoU(cm);
  const present = ious.filter((x): x is number => x !== null);
  let correct = 0;
  for (let i = 0; i < k; i++) correct += c[i * cols + i];
  const free = new Set(freeSpace);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let l = 0; l < k; l++) {
    for (let p = 0; p < cols; p++) {
      const n = c[l * cols + p];
      const lf = free.has(l);
      const pf = p < k && free.has(p);
      if (lf && pf) tp += n;
      else if (pf) fp += n;
      else if (lf) fn += n;
    }
  }
  const perClass: Record<string, number | null> = {};
  cm.classes.forEach((name, i) => (perClass[name] = ious[i] === null ? null : round2(100 * ious[i])));
  return {
    miou: present.length > 0 ? round2((100 * present.reduce((a, b) => a + b, 0)) / present.length) : null,
    pixelAccuracy: pct(correct, cm.total),
    perClass,
    freeSpace:
      free.size > 0
        ? { iou: pct(tp, tp + fp + fn), precision: pct(tp, tp + fp), recall: pct(tp, tp + fn) }
        : { iou: null, precision: null, recall: null },
  };
}
