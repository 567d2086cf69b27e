/**
 * Finds the static region at the bottom of a camera's picture (the car's own bonnet or dashboard)
 * from the first seconds of a run: per pixel, the temporal standard deviation of the luma; per
 * column, the run of static pixels that touches the bottom edge; the column heights smoothed by a
 * running median (noise breaks single columns); and sanity limits that answer "nothing found" for a
 * clip whose bottom moves (the road itself). Smooth new asphalt is nearly still too (measured on the
 * dashcam clip at a third of its size: luma standard deviation 1.0-1.3 in the 10th percentile of a
 * row, ~1.5-1.8 median), hence a limit of 1 level and a run that must span most columns.
 */

/** Limits of {@link StaticBottomFinder}; defaults in {@link STATIC_BOTTOM_DEFAULTS}. */
export interface StaticBottomOptions {
  /** A pixel is static when its luma's standard deviation over the frames is below this (0-255 levels). */
  maxStd: number;
  /** Fewest frames to decide on. */
  minFrames: number;
  /** At least this fraction of the columns must have a static bottom run of the least height (a bonnet spans the picture; still asphalt between lane markings does not). */
  minWidthFraction: number;
  /** Its median column height must be at least this fraction of the height (a few rows of noise are not a bonnet). */
  minHeightFraction: number;
  /** And no column higher than this fraction of the height (a static picture is not a bonnet). */
  maxHeightFraction: number;
}

/** Defaults of {@link StaticBottomOptions}. */
export const STATIC_BOTTOM_DEFAULTS: Readonly<StaticBottomOptions> = Object.freeze({
  maxStd: 1,
  minFrames: 8,
  minWidthFraction: 0.8,
  minHeightFraction: 0.02,
  maxHeightFraction: 0.5,
});

/**
 * Accumulates greyscale frames (`width * height` bytes each) and then says which bottom region
 * stayed still. Memory: two `Float64Array`s of the frame size, whatever the number of frames.
 *
 * @example
 * ```ts
 * const finder = new StaticBottomFinder(240, 135);
 * for (const grey of frames) finder.add(grey);
 * const mask = finder.result(); // 1 = static bottom, or null
 * ```
 */
export class StaticBottomFinder {
  readonly #sum: Float64Array;
  readonly #sumSq: Float64Array;
  #frames = 0;
  readonly #o: StaticBottomOptions;

  constructor(
    readonly width: number,
    readonly height: number,
    options: Partial<StaticBottomOptions> = {},
  ) {
    this.#sum = new Float64Array(width * height);
    this.#sumSq = new Float64Array(width * height);
    this.#o = { ...STATIC_BOTTOM_DEFAULTS, ...options };
  }

  /** Frames added so far. */
  get frames(): number {
    return this.#frames;
  }

  /** Adds one greyscale frame. */
  add(grey: Uint8Array): void {
    const sum = this.#sum,
      sq = this.#sumSq;
    for (let i = 0; i < sum.length; i++) {
      const v = grey[i];
      sum[i] += v;
      sq[i] += v * v;
    }
    this.#frames++;
  }

  /**
   * The static bottom region as `width * height` bytes (1 inside), or null when there is none
   * within the limits (or too few frames).
   */
  result(): Uint8Array | null {
    const { width: w, height: h } = this;
    const o = this.#o;
    if (this.#frames < o.minFrames) return null;
    const minRows = Math.max(1, Math.ceil(o.minHeightFraction * h));
    const raw = this.#columnHeights();
    if (raw.filter((v) => v >= minRows).length < o.minWidthFraction * w) return null;
    const heights = smoothHeights(raw, Math.max(1, Math.round(w * 0.03)));
    if (Math.max(...heights) > o.maxHeightFraction * h) return null;
    const mask = new Uint8Array(w * h);
    for (let x = 0; x < w; x++) for (let y = h - heights[x]; y < h; y++) mask[y * w + x] = 1;
    return mask;
  }

  /** Per column: how many rows up from the bottom edge stay static without a break. */
  #columnHeights(): Int32Array {
    const { width: w, height: h } = this;
    const n = this.#frames;
    const limit = this.#o.maxStd * this.#o.maxStd;
    const heights = new Int32Array(w);
    for (let x = 0; x < w; x++) {
      let y = h - 1;
      for (; y >= 0; y--) {
        const i = y * w + x;
        const mean = this.#sum[i] / n;
        if (this.#sumSq[i] / n - mean * mean >= limit) break;
      }
      heights[x] = h - 1 - y;
    }
    return heights;
  }
}

/** Running median of `heights` over `2 * radius + 1` columns (clamped at the edges). */
function smoothHeights(heights: Int32Array, radius: number): Int32Array {
  const out = new Int32Array(heights.length);
  const window: number[] = [];
  for (let x = 0; x < heights.length; x++) {
    window.length = 0;
    for (let k = Math.max(0, x - radius); k <= Math.min(heights.length - 1, x + radius); k++) window.push(heights[k]);
    window.sort((a, b) => a - b);
    out[x] = window[window.length >> 1]!;
  }
  return out;
}
