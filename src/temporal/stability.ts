/**
 * The stability figure of a run: how often a pixel's class changes between consecutive frames
 * although the source there did not change ("flicker").
 */

import { STATIC_LUMA_THRESHOLD } from './luma.js';

export { STATIC_LUMA_THRESHOLD };

/** Stability of a sequence; percentages 0-100, rounded to 3 decimals; null where nothing was counted. */
export interface StabilitySummary {
  /** Consecutive frame pairs compared. */
  pairs: number;
  /** Of the pixels whose source did not change (see `staticShare`), the share whose class changed. Lower is steadier. */
  flicker: number | null;
  /** Of all pixels, the share whose class changed (moving scene included). */
  changed: number | null;
  /** Of all pixels, the share whose source did not change (luma change ≤ `lumaThreshold` in its 3x3 neighbourhood). */
  staticShare: number | null;
  /** Per class name: of the unchanged-source pixels labelled that class in either frame, the share labelled differently in the other. */
  perClass: Record<string, number | null>;
  lumaThreshold: number;
}

/**
 * Accumulates {@link StabilitySummary} over a sequence. Feed frames in order; a change of size
 * starts a new sequence. Holds one previous class map and luma plane.
 */
export class StabilityMeter {
  #prevMap: Uint8Array | undefined;
  #pairs = 0;
  #pixels = 0;
  #static = 0;
  #staticChanged = 0;
  #changed = 0;
  readonly #union = new Float64Array(256);
  readonly #flips = new Float64Array(256);

  /** `classNames[id]` names class id `id`. */
  constructor(
    readonly classNames: readonly string[],
    readonly threshold = STATIC_LUMA_THRESHOLD,
  ) {}

  /**
   * Adds the next frame's class map. `change` is the per-pixel 3x3 luma change since the
   * previous frame (`lumaChange` in luma.ts, same size), or undefined where this frame starts a new
   * sequence.
   */
  add(classMap: Uint8Array, change: Uint8Array | undefined): void {
    const prevMap = this.#prevMap;
    const comparable =
      prevMap !== undefined &&
      change !== undefined &&
      prevMap.length === classMap.length &&
      change.length === classMap.length;
    if (comparable) this.#count(prevMap, classMap, change);
    // A copy (the caller's map may be handed on, or moved to a worker, after this call), into the
    // previous frame's buffer when the size stays.
    if (prevMap && prevMap.length === classMap.length) prevMap.set(classMap);
    else this.#prevMap = classMap.slice();
  }

  #count(prevMap: Uint8Array, classMap: Uint8Array, change: Uint8Array): void {
    const t = this.threshold;
    const union = this.#union;
    const flips = this.#flips;
    let stat = 0;
    let statChanged = 0;
    let changed = 0;
    for (let i = 0; i < classMap.length; i++) {
      const a = prevMap[i];
      const b = classMap[i];
      if (a === b) {
        if (change[i] <= t) {
          stat++;
          union[a]++;
        }
        continue;
      }
      changed++;
      if (change[i] > t) continue;
      stat++;
      statChanged++;
      union[a]++;
      union[b]++;
      flips[a]++;
      flips[b]++;
    }
    this.#pairs++;
    this.#pixels += classMap.length;
    this.#static += stat;
    this.#staticChanged += statChanged;
    this.#changed += changed;
  }

  /** The figures so far. */
  summary(): StabilitySummary {
    const pct = (num: number, den: number) => (den > 0 ? Math.round((num / den) * 1e5) / 1e3 : null);
    const perClass: Record<string, number | null> = {};
    this.classNames.forEach((name, id) => (perClass[name] = pct(this.#flips[id], this.#union[id])));
    return {
      pairs: this.#pairs,
      flicker: pct(this.#staticChanged, this.#static),
      changed: pct(this.#changed, this.#pixels),
      staticShare: pct(this.#static, this.#pixels),
      perClass,
      lumaThreshold: this.threshold,
    };
  }
}
