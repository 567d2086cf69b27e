/** The accuracy a model card claims, read into a typed shape to compare with a measurement. */
import type { LoadedModel, ModelCard } from '../infer/types.js';

/** Accuracy figures from a card's `metrics` (percent, as written there). */
export interface CardMetrics {
  /** Free text naming the split, e.g. `CamVid val (101 frames, 480x360)`. */
  split?: string;
  /** Free text describing how the figure was measured. */
  protocol?: string;
  miou?: number;
  pixelAccuracy?: number;
  classIoU?: Record<string, number>;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Reads the measured accuracy from a model card (`metrics.mIoU`, `metrics.pixelAccuracy`,
 * `metrics.classIoU`, `metrics.split`, `metrics.protocol`), or `undefined` when it has none.
 *
 * @example
 * ```ts
 * const claimed = readCardMetrics(await loadModel('camvid-default'));
 * const result = await evaluateDataset({ dir, split: 'val', model: 'camvid-default' });
 * expect(result.miou).toBeGreaterThanOrEqual(claimed!.miou! - 0.5);
 * ```
 */
export function readCardMetrics(model: LoadedModel | ModelCard): CardMetrics | undefined {
  const card = 'card' in model ? model.card : model;
  const m = card.metrics;
  if (m === undefined || m === null || typeof m !== 'object') return undefined;
  const out: CardMetrics = {};
  if (typeof m.split === 'string') out.split = m.split;
  if (typeof m.protocol === 'string') out.protocol = m.protocol;
  const miou = num(m.mIoU ?? m.miou);
  if (miou !== undefined) out.miou = miou;
  const acc = num(m.pixelAccuracy);
  if (acc !== undefined) out.pixelAccuracy = acc;
  if (m.classIoU && typeof m.classIoU === 'object') {
    const entries = Object.entries(m.classIoU as Record<string, unknown>).flatMap(([k, v]) =>
      num(v) === undefined ? [] : [[k, v as number] as const],
    );
    out.classIoU = Object.fromEntries(entries);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
