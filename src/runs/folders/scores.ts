/**
 * Scoring a run against the ground truth its datasets carry, with the evaluation module's label
 * spaces and metrics: CamVid labels (CamVid-11 ids), Cityscapes `labelIds` (Cityscapes gtFine
 * and KITTI semantics, mapped to CamVid-11 by `CITYSCAPES_TO_CAMVID`), IDD-Lite level-1 labels
 * (scored per IDD group, the model's classes mapped by `CAMVID_TO_IDD`), and KITTI road ground
 * truth (the model's road role against the benchmark's road area).
 */
import { labelSpaceFor, type LabelSpace } from '../../datasets/label-maps.js';
import { ConfusionMatrix, computeMetrics, type SegmentationMetrics } from '../../datasets/metrics.js';
import type { LoadedModel } from '../../infer/types.js';
import type { LabelTask } from './frame-tasks.js';
import type { LabelFormat, Sequence } from '../../datasets/layouts.js';

/** Road metrics in percent (2 decimals); null where undefined. */
export interface RoadMetrics {
  iou: number | null;
  precision: number | null;
  recall: number | null;
  /** F1 = 2PR/(P+R), the KITTI road benchmark's F-measure (here in the perspective image). */
  f1: number | null;
}

/** Scores of one dataset format (or one sequence). */
export interface ScoreReport {
  dataset: LabelFormat;
  /** `camvid-11`, `model` (labels in the model's own ids) or `road`. */
  labelSpace: string;
  /** Frames scored. */
  frames: number;
  /** Label pixels counted. */
  pixels: number;
  miou?: SegmentationMetrics['miou'];
  pixelAccuracy?: SegmentationMetrics['pixelAccuracy'];
  perClass?: SegmentationMetrics['perClass'];
  freeSpace?: SegmentationMetrics['freeSpace'];
  road?: RoadMetrics;
}

type Acc = {
  format: LabelFormat;
  space?: Pick<LabelSpace, 'name' | 'classes' | 'freeSpace'>;
  cm?: ConfusionMatrix;
  road?: { tp: number; fp: number; fn: number; tn: number };
  frames: number;
};

/**
 * The raw counts behind a format's scores, as plain JSON: runs over parts of a dataset (fleet
 * sequence jobs) are merged by adding them ({@link mergeScoreCounts}), which gives exactly the
 * scores of one run over the whole dataset.
 */
export interface ScoreCounts {
  format: LabelFormat;
  frames: number;
  /** Class-id labels: the label space and its confusion matrix (`K x (K + 1)`, row-major). */
  space?: { name: LabelSpace['name']; classes: string[]; freeSpace: number[] };
  confusion?: number[];
  /** KITTI road labels. */
  road?: { tp: number; fp: number; fn: number; tn: number };
}

const pct = (num: number, den: number) => (den > 0 ? Math.round((10000 * num) / den) / 100 : null);

/** Collects per-frame counts per dataset format and per sequence. */
export class RunScores {
  readonly notes: string[] = [];
  #spaces = new Map<LabelFormat, LabelSpace | null>();
  #total = new Map<LabelFormat, Acc>();
  #perSequence = new Map<string, Acc>();

  constructor(private readonly model: LoadedModel) {}

  /** The label task for frames of `seq`, or null when the sequence cannot be scored (a note says why). */
  labelTask(seq: Sequence): Omit<LabelTask, 'file'> | null {
    const format = seq.labelFormat;
    if (!format) return null;
    if (format === 'kitti-road') {
      if (this.model.roadIds.length === 0)
        return this.#note(
          format,
          `model "${this.model.card.name}" has no road classes (roles.road), so KITTI road ground truth is not scored`,
        );
      return {
        kind: 'kitti-road',
        labelLut: new Uint8Array(256),
        predictionLut: new Uint8Array(256),
        classes: 1,
        roadIds: this.model.roadIds,
      };
    }
    if (!this.#spaces.has(format)) {
      try {
        this.#spaces.set(format, labelSpaceFor(format, this.model));
      } catch (err) {
        this.#spaces.set(format, null);
        this.notes.push(`${format} ground truth not scored: ${(err as Error).message}`);
      }
    }
    const space = this.#spaces.get(format);
    if (!space) return null;
    return {
      kind: 'ids',
      labelLut: space.labelLut,
      predictionLut: space.predictionLut,
      classes: space.classes.length,
      roadIds: [],
    };
  }

  #note(format: LabelFormat, note: string): null {
    if (!this.notes.includes(note)) this.notes.push(note);
    this.#spaces.set(format, null);
    return null;
  }

  /** Adds one frame's counts. */
  add(
    seq: Sequence,
    counts: { confusion?: Float64Array; road?: { tp: number; fp: number; fn: number; tn: number } },
  ): void {
    const format = seq.labelFormat!;
    for (const [map, key] of [
      [this.#total, format],
      [this.#perSequence, seq.id],
    ] as const) {
      let acc = (map as Map<string, Acc>).get(key);
      if (!acc) {
        const space = this.#spaces.get(format) ?? undefined;
        acc = {
          format,
          space,
          frames: 0,
          ...(space ? { cm: new ConfusionMatrix(space.classes) } : { road: { tp: 0, fp: 0, fn: 0, tn: 0 } }),
        };
        (map as Map<string, Acc>).set(key, acc);
      }
      acc.frames++;
      if (acc.cm && counts.confusion)
        for (let i = 0; i < counts.confusion.length; i++) acc.cm.counts[i] += counts.confusion[i];
      if (acc.road && counts.road) for (const k of ['tp', 'fp', 'fn', 'tn'] as const) acc.road[k] += counts.road[k];
    }
  }

  /** The counts behind {@link totals}, for merging with other runs' ({@link mergeScoreCounts}). */
  counts(): ScoreCounts[] {
    return [...this.#total.values()].map((acc) => ({
      format: acc.format,
      frames: acc.frames,
      ...(acc.cm && acc.space
        ? {
            space: { name: acc.space.name, classes: [...acc.space.classes], freeSpace: [...acc.space.freeSpace] },
            confusion: [...acc.cm.counts],
          }
        : {}),
      ...(acc.road ? { road: { ...acc.road } } : {}),
    }));
  }

  /** Reports per dataset format. */
  totals(): ScoreReport[] {
    return [...this.#total.values()].map(report);
  }

  /** The confusion matrix summed over every frame of a ground-truth format (class-id labels only). */
  confusion(format: LabelFormat): ConfusionMatrix | undefined {
    return this.#total.get(format)?.cm;
  }

  /** The label space of a ground-truth format, once a sequence of it asked for its label task. */
  labelSpace(format: LabelFormat): LabelSpace | undefined {
    return this.#spaces.get(format) ?? undefined;
  }

  /** The report of one sequence, if it was scored. */
  sequence(id: string): ScoreReport | undefined {
    const acc = this.#perSequence.get(id);
    return acc ? report(acc) : undefined;
  }
}

function report(acc: Acc): ScoreReport {
  if (acc.cm && acc.space) {
    const m = computeMetrics(acc.cm, acc.space.freeSpace);
    return {
      dataset: acc.format,
      labelSpace: acc.space.name,
      frames: acc.frames,
      pixels: acc.cm.total,
      miou: m.miou,
      pixelAccuracy: m.pixelAccuracy,
      perClass: m.perClass,
      freeSpace: m.freeSpace,
    };
  }
  const { tp, fp, fn, tn } = acc.road!;
  const precision = pct(tp, tp + fp);
  const recall = pct(tp, tp + fn);
  const f1 = tp > 0 ? Math.round((20000 * tp) / (2 * tp + fp + fn)) / 100 : tp + fp + fn > 0 ? 0 : null;
  return {
    dataset: acc.format,
    labelSpace: 'road',
    frames: acc.frames,
    pixels: tp + fp + fn + tn,
    road: { iou: pct(tp, tp + fp + fn), precision, recall, f1 },
  };
}

/** Adds the counts of several runs per format and reports them: the scores of one run over all their frames. */
export function mergeScoreCounts(parts: readonly ScoreCounts[]): ScoreReport[] {
  const merged = new Map<LabelFormat, Acc>();
  for (const p of parts) {
    let acc = merged.get(p.format);
    if (!acc) {
      acc = {
        format: p.format,
        frames: 0,
        ...(p.space
          ? { space: p.space, cm: new ConfusionMatrix(p.space.classes) }
          : { road: { tp: 0, fp: 0, fn: 0, tn: 0 } }),
      };
      merged.set(p.format, acc);
    }
    acc.frames += p.frames;
    if (acc.cm && p.confusion) for (let i = 0; i < p.confusion.length; i++) acc.cm.counts[i] += p.confusion[i];
    if (acc.road && p.road) for (const k of ['tp', 'fp', 'fn', 'tn'] as const) acc.road[k] += p.road[k];
  }
  return [...merged.values()].map(report);
}
